"""Billing reads: the plan in force, the credit balance (the ledger's sum), seats, the banner.

Rules stated once here: 1 credit = 1 second of delivered video in one format (a 15 s ad delivered
in 9:16 and 1:1 costs 30 credits); storyboard previews are free; with billing disabled (no
``STRIPE_SECRET_KEY``) every organization is on the unlimited internal plan.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kolony.accounts.models import Invitation, Membership, Organization

from .models import BillingAccount, CreditLedger, LedgerKind, Plan
from .plan_catalog import plans_ensure

FREE = "free"
INTERNAL = "internal"
DISABLED_LABEL = "Billing disabled — every organization is on the unlimited internal plan"


def billing_enabled() -> bool:
    """True when a Stripe secret key is configured (``settings.BILLING_ENABLED``)."""
    return bool(getattr(settings, "BILLING_ENABLED", False))


def billing_mode_label() -> str:
    """``""`` when billing is on, else the label pages show so nobody mistakes it for a real plan."""
    return "" if billing_enabled() else DISABLED_LABEL


def plan_by_code(code: str) -> Plan:
    """The plan ``code`` (free, pro, agency, internal), re-seeded from
    :mod:`billing.plan_catalog` if its row is missing. Raises Plan.DoesNotExist for a code the
    catalogue does not have."""
    try:
        return Plan.objects.get(code=code)
    except Plan.DoesNotExist:
        plans_ensure()
        return Plan.objects.get(code=code)


def public_plans() -> QuerySet[Plan]:
    """Plans shown on the pricing page, cheapest first (the catalogue re-seeded if none exist)."""
    if not Plan.objects.exists():
        plans_ensure()
    return Plan.objects.filter(is_public=True).order_by("sort_order", "id")


def plan_for_price_id(price_id: str | None) -> Plan | None:
    """The plan whose ``STRIPE_PRICE_*`` setting equals ``price_id``; None when none does."""
    if not price_id:
        return None
    for plan in Plan.objects.exclude(stripe_price_setting=""):
        if plan.stripe_price_id and plan.stripe_price_id == price_id:
            return plan
    return None


def billing_account(*, organization: Organization) -> BillingAccount | None:
    """The organization's billing account, or None before its first billing event/render."""
    return BillingAccount.objects.select_related("plan").filter(organization=organization).first()


def effective_plan(*, organization: Organization) -> Plan:
    """The plan whose limits apply now: internal when billing is disabled, else the account's plan
    (Free for an organization without an account)."""
    if not billing_enabled():
        return plan_by_code(INTERNAL)
    account = billing_account(organization=organization)
    return account_plan(account) if account is not None else plan_by_code(FREE)


def account_plan(account: BillingAccount) -> Plan:
    """The account's plan, or Free once a failed payment's grace period is over (even before the
    sweep has written the downgrade)."""
    if account.grace_until is not None and account.grace_until <= timezone.now():
        return plan_by_code(FREE)
    return account.plan


def credit_balance(*, organization: Organization) -> int:
    """Credits available now: the ledger's SUM (outstanding reservations already subtracted)."""
    total = CreditLedger.objects.filter(organization=organization).aggregate(s=Sum("credits"))["s"]
    return int(total or 0)


def ledger_entries(*, organization: Organization, limit: int = 50) -> QuerySet[CreditLedger]:
    """The organization's latest ledger rows, newest first."""
    return CreditLedger.objects.filter(organization=organization).select_related("actor", "job").order_by("-created_at", "-id")[:limit]


def current_period(*, organization: Organization) -> tuple:
    """(start, end) of the billing period: the subscription's, else the calendar month (UTC)."""
    account = billing_account(organization=organization)
    if account is not None and account.current_period_start and account.current_period_end:
        return account.current_period_start, account.current_period_end
    now = timezone.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def credit_summary(*, organization: Organization) -> dict:
    """``{"balance", "granted_this_period", "used_this_period", "period_start", "period_end",
    "unlimited"}``; used = delivered debits net of refunds, in credits (seconds × formats)."""
    start, end = current_period(organization=organization)
    rows = CreditLedger.objects.filter(organization=organization, created_at__gte=start, created_at__lt=end)
    granted = rows.filter(kind=LedgerKind.GRANT).aggregate(s=Sum("credits"))["s"] or 0
    used = -(rows.filter(kind__in=[LedgerKind.DEBIT, LedgerKind.REFUND], closes__isnull=True)
             .aggregate(s=Sum("credits"))["s"] or 0)
    plan = effective_plan(organization=organization)
    return {"balance": credit_balance(organization=organization), "granted_this_period": int(granted),
            "used_this_period": max(0, int(used)), "period_start": start, "period_end": end,
            "unlimited": plan.render_credits_per_month is None}


def credit_usage_by_day(*, organization: Organization, days: int = 30) -> list[dict]:
    """Delivered credits per UTC day for the last ``days`` days, oldest first, zero-filled:
    ``[{"date": "2026-01-31", "credits": 45}, ...]`` (for the usage chart)."""
    today = timezone.now().date()
    since = today - timedelta(days=days - 1)
    rows = (CreditLedger.objects.filter(organization=organization, kind=LedgerKind.DEBIT, created_at__date__gte=since)
            .annotate(day=TruncDate("created_at")).values("day").annotate(s=Sum("credits")))
    by_day: dict[date, int] = {r["day"]: -int(r["s"] or 0) for r in rows}
    return [{"date": (since + timedelta(days=i)).isoformat(), "credits": by_day.get(since + timedelta(days=i), 0)}
            for i in range(days)]


def _pending_invitations(organization: Organization) -> QuerySet[Invitation]:
    cutoff = timezone.now() - timedelta(seconds=settings.KOLONY_INVITATION_MAX_AGE)
    return Invitation.objects.filter(organization=organization, accepted_at=None, revoked_at=None, created_at__gt=cutoff)


def seats_used(*, organization: Organization) -> int:
    """Members plus pending (unexpired) invitations: an invitation holds its seat until it lapses."""
    members = Membership.objects.filter(organization=organization).count()
    return members + _pending_invitations(organization).count()


def seats_available(*, organization: Organization, exclude_invitation_id: int | None = None) -> int | None:
    """Seats left on the plan in force (may be negative after a downgrade); None = unlimited.
    ``exclude_invitation_id``: an invitation being accepted, whose seat is already counted."""
    plan = effective_plan(organization=organization)
    if plan.seats is None:
        return None
    used = seats_used(organization=organization)
    if exclude_invitation_id is not None and _pending_invitations(organization).filter(pk=exclude_invitation_id).exists():
        used -= 1
    return plan.seats - used


def seat_limit_message(*, organization: Organization) -> str:
    """The sentence shown when the seats are all taken (names the plan and its seats)."""
    plan = effective_plan(organization=organization)
    return (f"All {plan.seats} seats of the {plan.name} plan are taken (members and pending invitations). "
            "Upgrade the plan, revoke a pending invitation or remove a member to invite someone else.")


def plan_change_allowed(*, organization: Organization, plan: Plan) -> tuple[bool, str]:
    """(allowed, reason) for moving ``organization`` to ``plan``: refused when the organization has
    more members + pending invitations than the plan's seats, or the plan is not for sale."""
    if not plan.is_public:
        return False, f"The {plan.name} plan cannot be chosen."
    used = seats_used(organization=organization)
    if plan.seats is not None and used > plan.seats:
        return False, (f"The {plan.name} plan has {plan.seats} seats but your organization uses {used} "
                       "(members and pending invitations). Remove members or revoke invitations first.")
    return True, ""


def payment_problem(*, organization: Organization) -> dict | None:
    """For the app-wide banner: ``{"failed_at", "grace_until", "message"}`` while a payment has
    failed and the grace period runs; None otherwise (and always with billing disabled)."""
    if not billing_enabled():
        return None
    account = billing_account(organization=organization)
    if account is None or account.payment_failed_at is None:
        return None
    until = account.grace_until
    when = f" on {until:%d %b %Y}" if until else ""
    return {"failed_at": account.payment_failed_at, "grace_until": until,
            "message": f"Your last payment failed. Update your payment method, or the organization moves to the Free plan{when}."}


def open_reservation_for_job(*, job_id: int) -> CreditLedger | None:
    """The job's reservation not yet released, refunded or settled (at most one)."""
    return (CreditLedger.objects.filter(job_id=job_id, kind=LedgerKind.RESERVATION)
            .filter(~Q(closed_by__kind__in=[LedgerKind.RELEASE, LedgerKind.REFUND]))
            .order_by("-id").first())
