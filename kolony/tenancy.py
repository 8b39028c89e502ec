"""The one place that scopes data to an organization.

Every view, API viewset and WebSocket consumer reaches customer data through this module:

- models inherit :class:`OrgOwned` (an ``organization`` foreign key);
- pages use :func:`org_required` and read through :func:`org_queryset` / :func:`get_for_org_or_404`;
- API viewsets use :class:`OrgScopedViewSetMixin`, whose (final) ``get_queryset`` filters by the
  request's organization and whose ``perform_create`` stamps it; a viewset narrows its rows in
  ``scope_queryset(queryset)``, and one that overrides ``get_queryset`` fails at import (the guard
  of PostHog's ``routing.py``); an API view that serves no tenant data says so with
  :func:`not_tenant_data`;
- consumers call :func:`membership_for_user`.

It fails closed: with no resolved organization every scoped queryset is empty, and an object of
another organization answers 404 (never 403 with details), the rule of PostHog's
``TeamAndOrgViewSetMixin`` that DESIGN.md §4 adopts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import wraps
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from kolony.accounts.identity import cached_memberships, drop_carried_memberships

SESSION_KEY = "kolony_org_id"
API_HEADER = "HTTP_X_KOLONY_ORGANIZATION"

# Capability → roles that hold it. The single table of who may do what.
CAPABILITIES: dict[str, frozenset[str]] = {
    "view": frozenset({"owner", "admin", "editor", "reviewer", "viewer"}),
    "edit": frozenset({"owner", "admin", "editor"}),
    "submit": frozenset({"owner", "admin", "editor"}),  # send a render version for review, withdraw it
    "review": frozenset({"owner", "admin", "reviewer"}),  # approve a render or request changes
    "publish": frozenset({"owner", "admin", "editor"}),
    "manage_team": frozenset({"owner", "admin"}),
    "manage_billing": frozenset({"owner", "admin"}),
    "manage_connections": frozenset({"owner", "admin"}),  # connect / disconnect ad platforms (OAuth)
}


def role_can(role: str | None, capability: str) -> bool:
    """Whether ``role`` holds ``capability``. Raises KeyError for an unknown capability."""
    return role is not None and role in CAPABILITIES[capability]


class OrgOwned(models.Model):
    """Abstract base for every model a customer owns."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


def org_queryset(model_or_qs, organization, *, include_shared: bool = False) -> QuerySet:
    """Rows of ``model_or_qs`` that belong to ``organization``; empty when it is None.

    ``model_or_qs`` is a model class or a queryset of an :class:`OrgOwned` model (or of a model
    exposing ``organization_lookup``, a path such as ``"ad_set__campaign__organization"``).
    ``include_shared`` also keeps rows whose organization is null (built-ins every organization sees).
    """
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs._default_manager.all()
    if organization is None:
        return qs.none()
    lookup = getattr(qs.model, "organization_lookup", "organization")
    if include_shared:
        return qs.filter(models.Q(**{lookup: organization}) | models.Q(**{f"{lookup}__isnull": True}))
    return qs.filter(**{lookup: organization})


def get_for_org_or_404(model_or_qs, organization, **lookup):
    """The one object matching ``lookup`` inside ``organization``. Raises Http404 otherwise."""
    try:
        return org_queryset(model_or_qs, organization).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found.") from exc


def membership_for_user(user, organization_id=None):
    """The user's membership in ``organization_id`` (or their first one when None).

    Returns None for anonymous users, for an id the user is not a member of, or a malformed id.
    """
    from kolony.accounts.models import Membership

    if user is None or not user.is_authenticated:
        return None
    cached = cached_memberships(user)
    if cached is not None:  # came with the user from the identity cache: no query
        if organization_id in (None, ""):
            return cached[0] if cached else None
        return next((m for m in cached if str(m.organization_id) == str(organization_id).strip()), None)
    qs = Membership.objects.select_related("organization").filter(user=user)
    if organization_id not in (None, ""):
        try:
            return qs.filter(organization_id=int(organization_id)).first()
        except (TypeError, ValueError):
            return None
    return qs.order_by("created_at", "id").first()


def request_memberships(request) -> list:
    """All of the signed-in user's memberships (organization loaded), oldest first; fetched once
    per request in one query and shared by the tenancy check and the organization switcher."""
    if not hasattr(request, "_kolony_memberships"):
        from kolony.accounts.models import Membership

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            request._kolony_memberships = []
        else:
            cached = cached_memberships(user)
            request._kolony_memberships = cached if cached is not None else list(
                Membership.objects.select_related("organization").filter(user=user).order_by("created_at", "id"))
    return request._kolony_memberships


def _resolve_request_membership(request):
    if not hasattr(request, "_kolony_membership"):
        memberships = request_memberships(request)
        wanted = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        membership = next((m for m in memberships if str(m.organization_id) == str(wanted)), None) if wanted else None
        request._kolony_membership = membership or (memberships[0] if memberships else None)
    return request._kolony_membership


class CurrentOrganizationMiddleware:
    """Sets ``request.membership`` and ``request.organization`` (lazily) for session users."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _resolve_request_membership(request))
        request.organization = SimpleLazyObject(
            lambda: (m.organization if (m := _resolve_request_membership(request)) else None)
        )
        return self.get_response(request)


def current_membership(request):
    """The request's membership (a real object or None, never a lazy proxy)."""
    return _resolve_request_membership(request)


def switch_organization(request, organization_id) -> None:
    """Makes ``organization_id`` the session's current organization. Raises Http404 if not a member.
    Reads the memberships from the database (the user may have joined it in this very request)."""
    drop_carried_memberships(request.user)
    membership = membership_for_user(request.user, organization_id)
    if membership is None:
        raise Http404("Not found.")
    request.session[SESSION_KEY] = membership.organization_id
    request._kolony_membership = membership
    request.__dict__.pop("_kolony_memberships", None)


def _check(request, capability: str):
    membership = current_membership(request)
    if membership is None:
        return redirect("accounts:no_organization")
    if not role_can(membership.role, capability):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot do this.")
    return None


def org_required(capability: str = "view"):
    """Decorator for function views: signed in, a member of the current organization, holding
    ``capability``. Unauthenticated → login redirect; lacking the capability → 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            denied = _check(request, capability)
            if denied is not None:
                return denied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- Django REST framework -------------------------------------------------------------------

from rest_framework import exceptions as drf_exceptions  # noqa: E402
from rest_framework import permissions as drf_permissions  # noqa: E402

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass


def not_tenant_data(reason: str):
    """Class decorator (or decorator over an ``@api_view`` function) for an API view that serves no
    organization's data (sign-in, the user's own organizations, server-wide voices): records
    ``reason`` as ``tenancy_exempt``, which the URLconf test accepts instead of the org scope."""
    if not reason:
        raise ValueError("not_tenant_data needs a reason.")

    def mark(view):
        target = getattr(view, "cls", view)  # @api_view functions carry their APIView class in .cls
        target.tenancy_exempt = reason
        if target is not view:
            view.tenancy_exempt = reason
        return view

    return mark


def api_membership(request):
    """Membership for an API request: the ``X-Kolony-Organization`` header when given (404 when the
    user is not a member of it), else the session's organization, else the user's first one."""
    if not hasattr(request, "_kolony_api_membership"):
        header = request.META.get(API_HEADER)
        if header:
            membership = membership_for_user(request.user, header)
            if membership is None:
                raise drf_exceptions.NotFound("Organization not found.")
        else:
            session = getattr(request, "session", None)
            wanted = session.get(SESSION_KEY) if session is not None else None
            membership = membership_for_user(request.user, wanted) or membership_for_user(request.user)
        request._kolony_api_membership = membership
    return request._kolony_api_membership


class HasOrgCapability(drf_permissions.BasePermission):
    """Read methods need ``view``; writes need the view's ``write_capability`` (default ``edit``);
    a view may map actions to capabilities in ``action_capabilities``."""

    message = "Your role cannot do this."

    def has_permission(self, request, view):
        membership = api_membership(request)
        if membership is None:
            raise drf_exceptions.NotFound("You are not a member of any organization.")
        capability = getattr(view, "action_capabilities", {}).get(getattr(view, "action", None))
        if capability is None:
            capability = "view" if request.method in drf_permissions.SAFE_METHODS else getattr(view, "write_capability", "edit")
        if not role_can(membership.role, capability):
            self.message = f"Your role ({membership.role}) cannot do this."
            return False
        return True


class OrgScopedViewSetMixin:
    """DRF viewsets: every queryset is filtered to the request's organization; created objects are
    stamped with it. Objects of other organizations are simply not found (404).

    ``get_queryset`` is final: a subclass narrows, filters or annotates its rows in
    :meth:`scope_queryset` and the organization filter is applied to whatever that returns. A
    subclass that defines ``get_queryset`` raises TypeError when its class is defined (at import).
    ``include_shared = True`` also shows rows whose organization is null (built-ins).
    """

    permission_classes: Sequence[_PermissionClass] = [drf_permissions.IsAuthenticated, HasOrgCapability]
    write_capability = "edit"
    include_shared = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in vars(cls):
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__} overrides get_queryset(), which would bypass the "
                "organization scope; override scope_queryset(self, queryset) instead (kolony.tenancy)."
            )

    @property
    def membership(self):
        return api_membership(self.request)

    @property
    def organization(self):
        membership = self.membership
        return membership.organization if membership else None

    def get_queryset(self):
        queryset = self.scope_queryset(super().get_queryset())
        return org_queryset(queryset, self.organization, include_shared=self.include_shared)

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        """The hook for subclasses: narrow ``queryset`` (the class's ``queryset``); the organization
        filter is applied to the result."""
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["organization"] = self.organization if self.request and self.request.user.is_authenticated else None
        return context

    def perform_create(self, serializer):
        serializer.save(organization=self.organization)
