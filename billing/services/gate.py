"""The Studio's render gate (called through :mod:`videogen.credits`).

Before a render is queued, :func:`render_reserve` checks the plan's limits and reserves the
render's estimated cost in the ledger, under the billing account's row lock, so concurrent
renders cannot overdraw. On delivery :func:`render_settle` releases the reservation and debits
what was delivered; on failure or cancel :func:`render_refund` gives the reservation back.

Cost: 1 credit = 1 second of delivered video in one format, each format's seconds rounded up
(``ceil(duration) × formats``). Storyboard previews are free. On plans with ``overage_allowed``
(Pro, Agency) a render beyond the balance is allowed; the part over the balance is billed through
a Stripe Billing Meter event (a :class:`~billing.models.MeterEventRecord`, one per render).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kolony.accounts.models import Organization

from .. import selectors
from ..models import CreditLedger, LedgerKind, MeterEventRecord, Plan
from .ledger import billing_account_lock, free_credits_top_up, ledger_append

GPU_SOURCE = "generated_clip"


@dataclass(frozen=True)
class RenderEstimate:
    """What a render of the job's current plan will deliver: ``seconds`` (the ad's length),
    ``formats`` (aspect ratios), ``gpu_scenes`` (scenes with a generated visual), ``credits``."""

    seconds: float
    formats: tuple[str, ...]
    gpu_scenes: int

    @property
    def credits(self) -> int:
        return render_cost(seconds=self.seconds, formats=len(self.formats))


def render_cost(*, seconds: float, formats: int) -> int:
    """Credits for ``formats`` outputs of ``seconds`` each: ``ceil(seconds) × formats`` (seconds
    rounded to 0.01 first, so 15.0000001 s costs 15)."""
    return int(math.ceil(round(max(0.0, float(seconds)), 2))) * max(0, int(formats))


def render_estimate(*, job) -> RenderEstimate:
    """The estimate for ``job``'s current scene plan (its brief's duration before it is planned)."""
    from videogen.plan_store import plan_snapshot

    snapshot = plan_snapshot(job)
    seconds = sum(float(s.get("duration") or 0) for s in snapshot) or float((job.brief or {}).get("duration") or 0)
    formats = tuple((job.brief or {}).get("aspect_ratios") or ())
    gpu = sum(1 for s in snapshot if s.get("visual_source") == GPU_SOURCE)
    return RenderEstimate(seconds=seconds, formats=formats, gpu_scenes=gpu)


def _upgrade_hint(plan: Plan) -> str:
    return "Upgrade the plan" if plan.code == selectors.FREE else "Choose a larger plan"


def plan_limit_problem(*, plan: Plan, estimate: RenderEstimate) -> str:
    """The first plan limit the render breaks, as a sentence naming the plan; "" when none."""
    if plan.max_ad_seconds is not None and round(estimate.seconds, 2) > plan.max_ad_seconds:
        return (f"The {plan.name} plan renders ads up to {plan.max_ad_seconds} s; this plan is {estimate.seconds:g} s. "
                f"Shorten the scenes or {_upgrade_hint(plan).lower()}.")
    if plan.formats_allowed:
        extra = [f for f in estimate.formats if f not in plan.formats_allowed]
        if extra:
            return (f"The {plan.name} plan renders {', '.join(plan.formats_allowed)} only; this job also asks for "
                    f"{', '.join(extra)}. Remove those formats from the brief or {_upgrade_hint(plan).lower()}.")
    if estimate.gpu_scenes and not plan.gpu_scenes_allowed:
        return (f"The {plan.name} plan has no generated (GPU) scenes; {estimate.gpu_scenes} scene(s) of this plan use one. "
                f"Switch them to a photo or brand background, or {_upgrade_hint(plan).lower()}.")
    return ""


def render_reserve(*, organization: Organization, job) -> tuple[bool, str, str]:
    """Checks the plan and reserves the render's cost. Returns ``(allowed, reason, code)`` with
    ``code`` one of ``""``, ``"plan_limit"``, ``"out_of_credits"``. Call inside the caller's
    transaction (the reservation is rolled back with it). Takes the billing account's row lock.

    Billing disabled: always allowed, nothing recorded. A reservation still open for the job (a
    queued render Redis lost, queued again) is released first, so a job holds at most one.
    """
    if not selectors.billing_enabled():
        return True, "", ""
    with transaction.atomic():
        account = billing_account_lock(organization=organization)
        plan = selectors.account_plan(account)
        estimate = render_estimate(job=job)
        problem = plan_limit_problem(plan=plan, estimate=estimate)
        if problem:
            return False, problem, "plan_limit"
        _close_open_reservation(job_id=job.pk, kind=LedgerKind.RELEASE, reason="Render queued again: earlier reservation released")
        free_credits_top_up(account=account)
        cost = estimate.credits
        balance = selectors.credit_balance(organization=organization)
        if cost > balance and not plan.overage_allowed:
            return False, (f"Not enough render credits: this render needs {cost} credits ({estimate.seconds:g} s × "
                           f"{len(estimate.formats)} format{'s' if len(estimate.formats) != 1 else ''}) and {organization.name} "
                           f"has {max(balance, 0)} left on the {plan.name} plan. The storyboard preview is free; "
                           f"{_upgrade_hint(plan).lower()} for more credits."), "out_of_credits"
        hold = min(cost, max(balance, 0)) if plan.overage_allowed else cost
        if hold > 0:
            ledger_append(organization=organization, kind=LedgerKind.RESERVATION, credits=-hold, job=job,
                          reason=f"Reserved for a render of {estimate.seconds:g} s × {len(estimate.formats)} format(s)")
    return True, "", ""


def _close_open_reservation(*, job_id: int, kind: str, reason: str) -> CreditLedger | None:
    reservation = selectors.open_reservation_for_job(job_id=job_id)
    if reservation is None:
        return None
    row, _ = ledger_append(organization=reservation.organization, kind=kind, credits=-reservation.credits, closes=reservation,
                           job_id=job_id, reason=reason, idempotency_key=f"{kind}:{reservation.pk}")
    return row


@transaction.atomic
def render_settle(*, job, render, seconds: float, formats: int) -> CreditLedger | None:
    """A render was delivered: releases the job's reservation and debits ``ceil(seconds) ×
    formats`` credits for it (once per render: key ``debit:render-<id>``). On an overage plan the
    part beyond the balance is added back as ``overage`` and sent as one meter event
    (identifier ``render-<id>``). Returns the debit, or None with billing disabled."""
    if not selectors.billing_enabled():
        return None
    organization = job.organization
    account = billing_account_lock(organization=organization)
    if CreditLedger.objects.filter(idempotency_key=f"debit:render-{render.pk}").exists():
        return CreditLedger.objects.get(idempotency_key=f"debit:render-{render.pk}")
    _close_open_reservation(job_id=job.pk, kind=LedgerKind.RELEASE, reason=f"Render v{render.number} delivered")
    cost = render_cost(seconds=seconds, formats=formats)
    if cost <= 0:
        return None
    balance = selectors.credit_balance(organization=organization)
    debit, _ = ledger_append(organization=organization, kind=LedgerKind.DEBIT, credits=-cost, job=job, render=render,
                             idempotency_key=f"debit:render-{render.pk}",
                             reason=f"Render v{render.number}: {seconds:g} s × {formats} format(s)")
    over = cost - max(balance, 0)
    if over > 0 and selectors.account_plan(account).overage_allowed:
        ledger_append(organization=organization, kind=LedgerKind.OVERAGE, credits=over, job=job, render=render,
                      idempotency_key=f"overage:render-{render.pk}",
                      reason=f"{over} credits beyond the plan's balance, billed as usage")
        _meter_record(account=account, render=render, value=over)
    return debit


def _meter_record(*, account, render, value: int) -> MeterEventRecord | None:
    """One meter event per render (identifier ``render-<id>``), sent after commit by
    ``billing.metering.meter_event_send``. Skipped (None) without a Stripe customer."""
    from kolony.outbox.services import enqueue_on_commit

    if not account.stripe_customer_id:
        return None
    record, created = MeterEventRecord.objects.get_or_create(
        identifier=f"render-{render.pk}",
        defaults={"organization_id": account.organization_id, "render": render, "value": value,
                  "stripe_customer_id": account.stripe_customer_id, "event_name": settings.STRIPE_METER_EVENT_NAME,
                  "timestamp": timezone.now()})
    if created:
        enqueue_on_commit("default", "billing.metering.meter_event_send", record.pk, retry=5,
                          retry_intervals=[10, 60, 300, 900, 3600], description=f"meter event {record.identifier}")
    return record


@transaction.atomic
def render_refund(*, job, reason: str) -> CreditLedger | None:
    """The job's render failed or was cancelled: its open reservation is given back (kind
    ``refund``). Does nothing when no reservation is open (already settled or refunded)."""
    if not selectors.billing_enabled():
        return None
    reservation = selectors.open_reservation_for_job(job_id=job.pk)
    if reservation is None:
        return None
    billing_account_lock(organization=job.organization)
    return _close_open_reservation(job_id=job.pk, kind=LedgerKind.REFUND, reason=reason[:500])
