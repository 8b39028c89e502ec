"""``{% notification_bell %}``: the header bell (unread count + the latest few), for base.html."""

from __future__ import annotations

from django import template

from kolony.notifications import selectors
from kolony.tenancy import current_membership

register = template.Library()

#: How many of the latest notifications the bell's menu lists.
BELL_LATEST = 6


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    membership = current_membership(request) if request is not None and user is not None and user.is_authenticated else None
    if membership is None:
        return {"show": False}
    org = membership.organization
    latest = list(selectors.notification_list(organization=org, user=user)[:BELL_LATEST])
    return {
        "show": True,
        "unread": selectors.notification_unread_count(user_id=user.pk, organization_id=org.pk),
        "latest": latest,
        "organization_id": org.pk,
        "csrf_token": context.get("csrf_token"),
    }
