"""The "Sync now" buttons: pull a connection's insights now (Connections page) or those of every
connected platform a campaign runs on (campaign page). POST only; owners, admins and editors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from kolony.accounts.security import safe_next_url
from kolony.tenancy import current_membership, get_for_org_or_404, org_queryset, org_required

from ..models import Campaign, PlatformConnection
from .insights import insights_sync_request

QUEUED = "Syncing results from {platform}: the numbers update in a minute or two."
ALREADY = "A sync from {platform} was just requested; its results show shortly."


def _request_sync(request, connection: PlatformConnection) -> None:
    platform = connection.get_platform_display()
    try:
        queued = insights_sync_request(connection=connection)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return
    messages.success(request, (QUEUED if queued else ALREADY).format(platform=platform))


@require_POST
@org_required("edit")
def connection_sync(request, pk: int):
    """POST: queue a sync of one connection of the current organization (another's → 404)."""
    connection = get_for_org_or_404(PlatformConnection, current_membership(request).organization, pk=pk)
    _request_sync(request, connection)
    return redirect(safe_next_url(request, reverse("campaigns:list")))


@require_POST
@org_required("edit")
def campaign_sync(request, pk: int):
    """POST: queue a sync of each connected platform ``campaign`` runs on (another's → 404)."""
    organization = current_membership(request).organization
    campaign = get_for_org_or_404(Campaign, organization, pk=pk)
    connections = list(org_queryset(PlatformConnection, organization).filter(platform__in=campaign.platforms)
                       .order_by("platform"))
    if not connections:
        messages.error(request, "Connect this campaign's ad platforms on the Connections page to pull its results.")
    for connection in connections:
        _request_sync(request, connection)
    return redirect(safe_next_url(request, reverse("campaigns:detail", args=[campaign.pk])))
