"""Seat limits: members plus pending invitations may not exceed the plan's seats."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kolony.accounts.models import Organization

from .. import selectors
from .ledger import billing_account_lock


def seat_require_available(*, organization: Organization, field: str = "email", accepting_invitation_id: int | None = None) -> None:
    """Raises ValidationError ``{field: [message naming the plan and its seats]}`` when the
    organization has no seat left (billing disabled: unlimited). Takes the billing account's row
    lock, so two invitations at once cannot both take the last seat. ``accepting_invitation_id``:
    the invitation being accepted, whose seat it already holds."""
    if not selectors.billing_enabled():
        return
    billing_account_lock(organization=organization)
    available = selectors.seats_available(organization=organization, exclude_invitation_id=accepting_invitation_id)
    if available is not None and available <= 0:
        message = selectors.seat_limit_message(organization=organization)
        raise ValidationError({field: [message]} if field else message)
