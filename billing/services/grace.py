"""The end of a failed payment's grace period: the organization moves to Free."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kolony.accounts.services import audit_log
from kolony.datacache import data_changed

from .. import selectors
from ..models import BillingAccount
from .notify import billing_email


def billing_grace_sweep() -> int:
    """Downgrades every account whose grace period (``grace_until``) has passed to Free, one
    transaction each, and e-mails its owners and admins. Idempotent (a downgraded account has no
    ``grace_until``). Run by ``manage.py billing_sweep`` and the ``billing.tasks.billing_grace_sweep``
    RQ job (queued after each processed payment event). Returns how many were downgraded."""
    due = list(BillingAccount.objects.filter(grace_until__lte=timezone.now()).values_list("pk", flat=True))
    return sum(1 for pk in due if billing_account_downgrade_after_grace(account_pk=pk))


@transaction.atomic
def billing_account_downgrade_after_grace(*, account_pk: int) -> bool:
    """Downgrades one account if its grace period is (still) over; False when nothing to do."""
    account = BillingAccount.objects.select_for_update().select_related("plan", "organization").get(pk=account_pk)
    if account.grace_until is None or account.grace_until > timezone.now():
        return False
    before = account.plan
    free = selectors.plan_by_code(selectors.FREE)
    account.plan, account.grace_until = free, None
    account.save(update_fields=["plan", "grace_until", "updated_at"])
    data_changed(account.organization)  # cached pages show the new plan / banner
    org = account.organization
    audit_log(organization=org, actor=None, action="billing.plan_changed", target=account,
              metadata={"from": before.name, "to": free.name, "reason": "grace period after a failed payment ended"})
    billing_email(organization=org, subject=f"Kolony: {org.name} moved to the Free plan",
                  message=(f"The payment for {org.name}'s {before.name} plan is still outstanding and the grace period "
                           f"has ended, so the organization is now on the Free plan ({free.seats} seats, "
                           f"{free.render_credits_per_month} render credits a month).\n\n"
                           "Update the payment method and choose a plan again on the billing page to get it back."))
    return True
