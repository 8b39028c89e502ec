"""Writes to the append-only credit ledger and the billing account.

1 credit = 1 second of delivered video in one format, rounded up per format (a 15 s ad delivered
in 9:16 and 1:1 costs 30 credits); storyboard previews are free. The balance is the ledger's sum
(:func:`billing.selectors.credit_balance`), never a counter. Paid plans get their monthly credits
once per paid invoice period (``grant:<subscription>:<period start>``) and unused paid credits
carry over; the Free plan is topped up to its monthly allowance once per calendar month.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from kolony.accounts.models import Organization, User
from kolony.accounts.services import audit_log

from .. import selectors
from ..models import BillingAccount, CreditLedger, LedgerKind


def billing_account_get_or_create(*, organization: Organization) -> BillingAccount:
    """The organization's billing account, created on the Free plan the first time."""
    account = selectors.billing_account(organization=organization)
    if account is not None:
        return account
    account, _ = BillingAccount.objects.get_or_create(organization=organization,
                                                      defaults={"plan": selectors.plan_by_code(selectors.FREE)})
    return account


def billing_account_lock(*, organization: Organization) -> BillingAccount:
    """The organization's billing account under a row lock (``SELECT … FOR UPDATE``) for the rest
    of the caller's transaction: every ledger write that checks the balance takes it first, so two
    writers never both spend the same credits."""
    billing_account_get_or_create(organization=organization)
    return BillingAccount.objects.select_for_update().select_related("plan").get(organization=organization)


@transaction.atomic
def billing_account_set_customer(*, organization: Organization, stripe_customer_id: str) -> BillingAccount:
    """Stores the organization's Stripe customer id (once). Raises ValidationError when the
    organization already has another customer, or the customer belongs to another organization."""
    account = billing_account_lock(organization=organization)
    if account.stripe_customer_id == stripe_customer_id:
        return account
    if account.stripe_customer_id:
        raise ValidationError({"stripe_customer_id": [f"{organization.name} already has Stripe customer {account.stripe_customer_id}."]})
    if BillingAccount.objects.filter(stripe_customer_id=stripe_customer_id).exclude(pk=account.pk).exists():
        raise ValidationError({"stripe_customer_id": [f"Stripe customer {stripe_customer_id} belongs to another organization."]})
    account.stripe_customer_id = stripe_customer_id
    account.save(update_fields=["stripe_customer_id", "updated_at"])
    return account


def ledger_append(*, organization: Organization, kind: str, credits: int, reason: str = "", idempotency_key: str | None = None,
                  **fields) -> tuple[CreditLedger, bool]:
    """Appends one ledger row. With an ``idempotency_key`` already used, nothing is written and
    the existing row is returned: ``(row, created)``. Other fields: job, render, closes, actor,
    period_start, period_end, stripe_event_id. Raises IntegrityError for rows the constraints refuse."""
    if idempotency_key:
        existing = CreditLedger.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            row = CreditLedger.objects.create(organization=organization, kind=kind, credits=credits, reason=reason[:500],
                                              idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        if idempotency_key:
            existing = CreditLedger.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        raise
    return row, True


def _outstanding_reserved(organization: Organization) -> int:
    """Credits held by reservations not yet released/refunded (a positive number)."""
    held = (CreditLedger.objects.filter(organization=organization, kind=LedgerKind.RESERVATION)
            .exclude(closed_by__kind__in=[LedgerKind.RELEASE, LedgerKind.REFUND]).aggregate(s=Sum("credits"))["s"])
    return -int(held or 0)


def free_credits_top_up(*, account: BillingAccount, now: datetime | None = None) -> CreditLedger | None:
    """Tops a Free-plan organization up to its monthly allowance, once per calendar month (UTC):
    grants ``allowance − settled balance`` (reservations in flight don't count as spent). Call
    with the account locked (:func:`billing_account_lock`). Returns the grant or None."""
    plan = selectors.account_plan(account)
    if plan.code != selectors.FREE or not plan.render_credits_per_month:
        return None
    now = now or timezone.now()
    key = f"grant:free:{account.organization_id}:{now:%Y-%m}"
    if CreditLedger.objects.filter(idempotency_key=key).exists():
        return None
    org = account.organization
    settled = selectors.credit_balance(organization=org) + _outstanding_reserved(org)
    missing = plan.render_credits_per_month - max(0, settled)
    if missing <= 0:
        return None
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    row, _ = ledger_append(organization=org, kind=LedgerKind.GRANT, credits=missing, idempotency_key=key, period_start=start,
                           reason=f"Free plan: topped up to {plan.render_credits_per_month} credits for {now:%B %Y}")
    return row


@transaction.atomic
def billing_account_refresh(*, organization: Organization) -> BillingAccount:
    """Makes sure the organization has an account and this month's Free top-up (call before
    showing the billing page). Returns the account."""
    account = billing_account_lock(organization=organization)
    free_credits_top_up(account=account)
    return account


@transaction.atomic
def credit_grant_for_period(*, organization: Organization, subscription_id: str, period_start: datetime,
                            period_end: datetime | None, credits: int, plan_name: str,
                            stripe_event_id: str = "") -> tuple[CreditLedger | None, bool]:
    """Grants a paid period's credits once: key ``grant:<subscription>:<period start epoch>``, so
    a retried or replayed ``invoice.paid`` never grants twice. Returns (row, created)."""
    if credits <= 0:
        return None, False
    billing_account_lock(organization=organization)
    key = f"grant:{subscription_id}:{int(period_start.timestamp())}"
    return ledger_append(organization=organization, kind=LedgerKind.GRANT, credits=credits, idempotency_key=key,
                         period_start=period_start, period_end=period_end, stripe_event_id=stripe_event_id,
                         reason=f"{plan_name} plan: {credits} credits for the period from {period_start:%d %b %Y}")


@transaction.atomic
def credit_adjust(*, organization: Organization, credits: int, reason: str, actor: User | None) -> CreditLedger:
    """A staff adjustment of ``credits`` (signed, non-zero) with a reason. Raises ValidationError
    for no reason, zero credits, or a negative adjustment that would take the balance below zero
    (the message names the balance). Audited as ``billing.credits_adjusted``."""
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Give a reason for the adjustment (shown in the ledger)."]
    if not isinstance(credits, int) or isinstance(credits, bool) or credits == 0:
        errors["credits"] = ["Enter a whole number of credits other than 0 (negative to take credits away)."]
    if errors:
        raise ValidationError(errors)
    billing_account_lock(organization=organization)
    balance = selectors.credit_balance(organization=organization)
    if balance + credits < 0:
        raise ValidationError({"credits": [f"{organization.name} has {balance} credits; taking {-credits} away would leave "
                                           f"{balance + credits}. The balance may not go below zero."]})
    row, _ = ledger_append(organization=organization, kind=LedgerKind.ADJUSTMENT, credits=credits, reason=reason, actor=actor)
    audit_log(organization=organization, actor=actor, action="billing.credits_adjusted", target=row,
              metadata={"credits": credits, "reason": reason, "balance": balance + credits})
    return row
