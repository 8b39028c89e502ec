"""``{% publish_panel render %}``: the Publish panel of an approved render's review page (the
ad sets it can go to, the connected platforms, its formats, and its publications so far)."""

from __future__ import annotations

from django import template

from campaigns.choices import Status
from campaigns.models import AdSet, PlatformConnection, Publication
from kolony.tenancy import current_membership, org_queryset, role_can

register = template.Library()


@register.inclusion_tag("campaigns/platforms/_publish_panel.html", takes_context=True)
def publish_panel(context, render) -> dict:
    from campaigns.platforms.publishing import PUBLISHABLE

    request = context["request"]
    org = render.job.organization
    membership = current_membership(request)
    publishable = render.review_status in PUBLISHABLE
    ad_sets = list(org_queryset(AdSet, org).select_related("campaign").exclude(status=Status.ARCHIVED)
                   .exclude(campaign__status=Status.ARCHIVED).order_by("campaign__name", "name")[:200])
    connections = {c.platform: c for c in org_queryset(PlatformConnection, org)}
    return {
        "render": render, "publishable": publishable, "csrf_token": context.get("csrf_token"),
        "can_publish": membership is not None and role_can(membership.role, "publish"),
        "ad_sets": ad_sets, "connections": connections,
        "platforms": [(value, label, connections.get(value)) for value, label in (("meta", "Meta"), ("google", "Google"))],
        "ratios": [r for r in ("9:16", "1:1", "4:5", "16:9") if r in (render.outputs or {})],
        "publications": list(org_queryset(Publication, org).filter(render=render).select_related("ad_set__campaign", "ad")[:20]),
    }
