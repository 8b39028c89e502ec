"""E-mails to an organization's owners and admins about billing (sent after the commit)."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from kolony.accounts.models import Membership, Organization, Role


def billing_contacts(*, organization: Organization) -> list[str]:
    """E-mail addresses of the organization's active owners and admins, sorted."""
    emails = (Membership.objects.filter(organization=organization, role__in=[Role.OWNER, Role.ADMIN], user__is_active=True)
              .values_list("user__email", flat=True))
    return sorted({e for e in emails if e})


def billing_email(*, organization: Organization, subject: str, message: str) -> None:
    """Queues ``message`` to the owners and admins for after the commit (a mail server that is
    down is logged, not raised: :func:`kolony.accounts.services._send_quietly`)."""
    from kolony.accounts.services import _send_quietly

    for email in billing_contacts(organization=organization):  # one mail each: nobody sees the others' addresses
        transaction.on_commit(partial(_send_quietly, subject=subject, message=message, recipient_list=[email]))
