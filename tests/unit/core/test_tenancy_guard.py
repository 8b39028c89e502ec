"""Tenancy is enforced when a class is defined, as PostHog's ``routing.py`` does: a viewset that
overrides ``get_queryset`` (and so could skip the organization filter) fails at import, and every
API view in the URLconf is either org-scoped or explicitly marked as serving no tenant data."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import mixins, viewsets
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from kolony.tenancy import OrgScopedViewSetMixin, not_tenant_data

# Third-party views that describe the API itself (the schema, its docs, the router's list of
# endpoints), not anyone's data.
THIRD_PARTY_EXEMPT_MODULES = ("drf_spectacular.", "rest_framework.routers")


@pytest.mark.parametrize("bases", [
    (OrgScopedViewSetMixin, viewsets.ReadOnlyModelViewSet),
    (OrgScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet),
])
def test_viewset_overriding_get_queryset_fails_at_class_definition(bases):
    with pytest.raises(TypeError) as excinfo:
        type("LeakyViewSet", bases, {"get_queryset": lambda self: None, "__module__": __name__})
    message = str(excinfo.value)
    assert "LeakyViewSet" in message and "scope_queryset" in message


def test_subclass_of_a_scoped_viewset_overriding_get_queryset_also_fails():
    from campaigns.api import CampaignViewSet

    with pytest.raises(TypeError, match="LeakyCampaigns"):
        class LeakyCampaigns(CampaignViewSet):
            def get_queryset(self):
                from campaigns.models import Campaign

                return Campaign.objects.all()


def test_scope_queryset_hook_is_still_filtered_to_the_organization(alice, charlie, alice_org, charlie_org):
    """Even a hook that returns every row hands back only the caller's organization's rows."""
    from campaigns.api import CampaignViewSet
    from campaigns.models import Campaign

    Campaign.objects.create(organization=alice_org, name="Alice spring", objective="traffic", platforms=["meta"])
    Campaign.objects.create(organization=charlie_org, name="Charlie secret", objective="traffic", platforms=["meta"])

    class AllRowsHook(CampaignViewSet):
        def scope_queryset(self, queryset):
            return Campaign.objects.all()

    for user, expected in ((alice, ["Alice spring"]), (charlie, ["Charlie secret"])):
        request = APIRequestFactory().get("/api/v1/campaigns/")
        force_authenticate(request, user=user)
        response = AllRowsHook.as_view({"get": "list"})(request)
        response.render()
        assert response.status_code == 200
        assert [row["name"] for row in response.data["results"]] == expected


def test_not_tenant_data_needs_a_reason():
    with pytest.raises(ValueError):
        not_tenant_data("")


def _api_views(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _api_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            cls = getattr(entry.callback, "cls", None)
            if cls is not None and issubclass(cls, APIView):
                yield prefix + str(entry.pattern), cls


def test_every_api_view_in_the_urlconf_is_org_scoped_or_marked_not_tenant_data():
    views = list(_api_views(get_resolver().url_patterns))
    assert len(views) > 10  # the URLconf was really walked
    unscoped = []
    for route, cls in views:
        if cls.__module__.startswith(THIRD_PARTY_EXEMPT_MODULES):
            continue
        if issubclass(cls, OrgScopedViewSetMixin):
            assert "get_queryset" not in vars(cls), route  # the class-definition guard held
            continue
        if getattr(cls, "tenancy_exempt", ""):
            continue
        unscoped.append(f"{route} → {cls.__module__}.{cls.__qualname__}")
    assert unscoped == [], "API views neither org-scoped nor marked @not_tenant_data(reason):\n" + "\n".join(unscoped)
