"""Stripe webhook events: stored once by id (:func:`stripe_event_record`), then processed exactly
once on RQ (:func:`stripe_event_process`), in a transaction, safe against retries and any order.

Order: Stripe does not guarantee delivery order (https://docs.stripe.com/webhooks#event-ordering),
so each subscription change carries its event's ``created`` time; an event older than the one
last applied to the account is ignored, a ``created`` never overrides a same-second ``updated``,
and a subscription once ``canceled`` is never brought back by a late ``updated`` (Stripe
subscriptions do not leave ``canceled``). Payment state compares ``invoice.paid`` and
``invoice.payment_failed`` times the same way.

Outcomes (``StripeEvent.status``): ``processed``; ``ignored`` (unknown type, or stale: ``error``
says why); ``failed`` (unknown customer, unknown price, bad payload: ``error`` says why; Stripe
still gets 200 so it stops retrying; staff can reprocess from the admin once fixed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kolony.accounts.models import Organization
from kolony.accounts.services import audit_log
from kolony.datacache import data_changed

from .. import selectors
from ..models import BillingAccount, EventStatus, Plan, StripeEvent, SubscriptionStatus
from .ledger import billing_account_get_or_create, credit_grant_for_period
from .notify import billing_email

log = logging.getLogger(__name__)

LIVE_STATUSES = {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE}
ENDED_STATUSES = {SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED, SubscriptionStatus.UNPAID,
                  SubscriptionStatus.PAUSED}


class EventProblem(Exception):
    """The event cannot be applied (unknown customer, unknown price, bad payload): status failed."""


class StaleEvent(Exception):
    """The event is older than the state already applied: status ignored."""


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if isinstance(value, int | float) and not isinstance(value, bool) else None


@transaction.atomic
def stripe_event_record(*, payload: dict) -> tuple[StripeEvent, bool]:
    """Stores a verified event (``payload`` = the event JSON) by its id and queues its processing
    on RQ (queue ``default``). Returns ``(event, created)``; a replayed id changes nothing
    (``created`` False). Raises ValueError for a payload without id/type/created/data.object."""
    from kolony.outbox.services import enqueue_on_commit

    event_id, event_type, created = payload.get("id"), payload.get("type"), _ts(payload.get("created"))
    obj = (payload.get("data") or {}).get("object") if isinstance(payload.get("data"), dict) else None
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str) or created is None or not isinstance(obj, dict):
        raise ValueError("Not a Stripe event: id, type, created and data.object are required.")
    try:
        with transaction.atomic():
            event = StripeEvent.objects.create(event_id=event_id[:255], type=event_type[:100], payload=payload, created=created,
                                               livemode=bool(payload.get("livemode")),
                                               api_version=str(payload.get("api_version") or "")[:40])
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event_id[:255]), False
    enqueue_on_commit("default", "billing.tasks.stripe_event_process", event.pk, retry=3, retry_intervals=[10, 60, 300],
                      description=f"stripe event {event.event_id}")
    return event, True


def stripe_event_process(*, event_pk: int, force: bool = False) -> str:
    """Applies one stored event, exactly once: under the event's row lock, skipped when already
    processed or ignored (``force`` re-runs a failed or pending one — and, from the admin's
    reprocess, an ignored one; a processed event is never applied twice). Returns the status."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_pk)
        if event.status == EventStatus.PROCESSED or (event.status == EventStatus.IGNORED and not force):
            return event.status
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        if handler is None:
            status, error = EventStatus.IGNORED, f"Event type {event.type} is not used by Kolony (stored and acknowledged)."
        else:
            try:
                with transaction.atomic():
                    event.organization = handler(event, event.payload["data"]["object"])
                status, error = EventStatus.PROCESSED, ""
            except StaleEvent as exc:
                status, error = EventStatus.IGNORED, str(exc)
            except (EventProblem, KeyError, TypeError, ValueError) as exc:
                status, error = EventStatus.FAILED, str(exc) or type(exc).__name__
                log.warning("stripe event %s (%s) failed: %s", event.event_id, event.type, error)
        event.status, event.error, event.processed_at = status, error[:2000], timezone.now()
        event.save(update_fields=["status", "error", "processed_at", "attempts", "organization"])
    return status


@transaction.atomic
def stripe_event_reprocess(*, event: StripeEvent, actor=None) -> str:
    """Admin "reprocess": runs a failed/ignored/pending event again (a processed one is left
    alone: its effects are already applied). Returns the new status."""
    return stripe_event_process(event_pk=event.pk, force=True)


# --- helpers -------------------------------------------------------------------------------------

def _lock(account: BillingAccount) -> BillingAccount:
    return BillingAccount.objects.select_for_update().select_related("plan", "organization").get(pk=account.pk)


def _account_for_customer(obj: dict) -> BillingAccount:
    """The locked account of the object's ``customer``; falls back to ``metadata.organization_id``
    (set by Checkout) and links the customer then. Raises EventProblem for an unknown customer."""
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if not isinstance(customer, str) or not customer:
        raise EventProblem("The event's object names no customer.")
    account = BillingAccount.objects.filter(stripe_customer_id=customer).first()
    if account is not None:
        return _lock(account)
    org = _org_from_metadata(obj)
    if org is not None:
        account = _lock(billing_account_get_or_create(organization=org))
        if not account.stripe_customer_id:
            account.stripe_customer_id = customer
            account.save(update_fields=["stripe_customer_id", "updated_at"])
            return account
    raise EventProblem(f"No organization has the Stripe customer {customer}; nothing was changed. "
                       "Link the customer to its organization (billing account) and reprocess the event.")


def _org_from_metadata(obj: dict) -> Organization | None:
    meta = _dict(obj.get("metadata"))
    raw = obj.get("client_reference_id") or meta.get("organization_id")
    try:
        org_id = int(str(raw))
    except (TypeError, ValueError):
        return None
    return Organization.objects.filter(pk=org_id).first()


def _first_item(obj: dict) -> dict:
    items = ((obj.get("items") or {}).get("data") or []) if isinstance(obj.get("items"), dict) else []
    return items[0] if items and isinstance(items[0], dict) else {}


def _price_id(line_or_item: dict) -> str:
    price = line_or_item.get("price")
    if isinstance(price, dict) and isinstance(price.get("id"), str):
        return price["id"]
    if isinstance(price, str):
        return price
    details = ((line_or_item.get("pricing") or {}).get("price_details") or {}) if isinstance(line_or_item.get("pricing"), dict) else {}
    return str(details.get("price") or "")


def _plan_for_price(price_id: str) -> Plan:
    plan = selectors.plan_for_price_id(price_id)
    if plan is None:
        raise EventProblem(f"The Stripe price {price_id or '(none)'} matches no plan (STRIPE_PRICE_PRO / STRIPE_PRICE_AGENCY).")
    return plan


def _set_plan(account: BillingAccount, plan: Plan, *, why: str, event: StripeEvent) -> None:
    if account.plan_id == plan.pk:
        return
    before = account.plan
    account.plan = plan
    audit_log(organization=account.organization, actor=None, action="billing.plan_changed", target=account,
              metadata={"from": before.name, "to": plan.name, "reason": why, "stripe_event": event.event_id})


# --- handlers: (event, object) -> organization ------------------------------------------------------

def _checkout_completed(event: StripeEvent, obj: dict) -> Organization:
    """Links the Checkout's customer to the organization named by ``client_reference_id`` (or
    ``metadata.organization_id``), and records the subscription id."""
    org = _org_from_metadata(obj)
    if org is None:
        raise EventProblem("The Checkout Session names no known organization (client_reference_id / metadata.organization_id).")
    customer = obj.get("customer")
    if not isinstance(customer, str) or not customer:
        raise EventProblem("The Checkout Session has no customer.")
    other = BillingAccount.objects.filter(stripe_customer_id=customer).exclude(organization=org).first()
    if other is not None:
        raise EventProblem(f"Stripe customer {customer} already belongs to another organization (#{other.organization_id}).")
    account = _lock(billing_account_get_or_create(organization=org))
    if account.stripe_customer_id and account.stripe_customer_id != customer:
        raise EventProblem(f"{org.name} already has Stripe customer {account.stripe_customer_id}, not {customer}.")
    account.stripe_customer_id = customer
    subscription = obj.get("subscription")
    if isinstance(subscription, str) and subscription and not account.subscription_id:
        account.subscription_id = subscription
    account.save()
    data_changed(account.organization)  # cached pages show the new plan / banner
    audit_log(organization=org, actor=None, action="billing.checkout_completed", target=account,
              metadata={"stripe_customer": customer, "subscription": account.subscription_id})
    return org


def _subscription_changed(event: StripeEvent, obj: dict) -> Organization:
    """created / updated / deleted: the plan follows the subscription's price while it is live
    (active, trialing, past_due), drops to Free once it ended; stale events are ignored."""
    account = _account_for_customer(obj)
    sub_id, status = str(obj.get("id") or ""), str(obj.get("status") or "")
    if event.type == "customer.subscription.deleted":
        status = SubscriptionStatus.CANCELED
    if not sub_id or status not in SubscriptionStatus.values:
        raise EventProblem(f"Subscription event without a valid id/status ({sub_id!r}, {status!r}).")
    same = account.subscription_id == sub_id
    if same and account.subscription_status == SubscriptionStatus.CANCELED and status != SubscriptionStatus.CANCELED:
        raise StaleEvent(f"Subscription {sub_id} already ended; a late {event.type} cannot bring it back.")
    if same and account.status_updated_at is not None:
        if event.created < account.status_updated_at or (
                event.created == account.status_updated_at and event.type == "customer.subscription.created"):
            raise StaleEvent(f"Older than the subscription state already applied ({account.status_updated_at:%Y-%m-%d %H:%M:%S}).")
    if not same and account.subscription_id and account.subscription_status in LIVE_STATUSES and status not in LIVE_STATUSES:
        raise StaleEvent(f"Subscription {sub_id} is not the organization's current one ({account.subscription_id}).")
    item = _first_item(obj)
    if status in LIVE_STATUSES:
        _set_plan(account, _plan_for_price(_price_id(item)), why=f"subscription {status}", event=event)
    elif status in ENDED_STATUSES:
        _set_plan(account, selectors.plan_by_code(selectors.FREE), why=f"subscription {status}", event=event)
        account.grace_until = None
        account.payment_failed_at = None
    account.subscription_id, account.subscription_status = sub_id, status
    account.current_period_start = _ts(item.get("current_period_start") or obj.get("current_period_start"))
    account.current_period_end = _ts(item.get("current_period_end") or obj.get("current_period_end"))
    account.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    account.status_updated_at = event.created
    account.save()
    data_changed(account.organization)  # cached pages show the new plan / banner
    return account.organization


def _invoice_subscription(obj: dict) -> str:
    sub = obj.get("subscription")
    if not sub:  # API versions since 2025-03-31 (basil) move it under parent.subscription_details
        sub = _dict(_dict(obj.get("parent")).get("subscription_details")).get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return sub if isinstance(sub, str) else ""


def _invoice_paid(event: StripeEvent, obj: dict) -> Organization:
    """Grants the paid period's credits once (key ``grant:<subscription>:<period start>``) and
    clears a payment failure older than this payment."""
    account = _account_for_customer(obj)
    subscription = _invoice_subscription(obj)
    lines = ((obj.get("lines") or {}).get("data") or []) if isinstance(obj.get("lines"), dict) else []
    line = lines[0] if lines and isinstance(lines[0], dict) else {}
    period = _dict(line.get("period"))
    start = _ts(period.get("start")) or _ts(obj.get("period_start"))
    end = _ts(period.get("end")) or _ts(obj.get("period_end"))
    if subscription and start is not None:
        price = _price_id(line)
        plan = selectors.plan_for_price_id(price) if price else None
        plan = plan or (account.plan if account.plan.code not in (selectors.FREE, selectors.INTERNAL) else None)
        if plan is None:
            raise EventProblem(f"The invoice's price {price or '(none)'} matches no plan.")
        credit_grant_for_period(organization=account.organization, subscription_id=subscription, period_start=start,
                                period_end=end, credits=plan.render_credits_per_month or 0, plan_name=plan.name,
                                stripe_event_id=event.event_id)
    if account.last_invoice_paid_at is None or event.created > account.last_invoice_paid_at:
        account.last_invoice_paid_at = event.created
    if account.payment_failed_at is not None and event.created >= account.payment_failed_at:
        account.payment_failed_at = None
        account.grace_until = None
        audit_log(organization=account.organization, actor=None, action="billing.payment_recovered", target=account,
                  metadata={"stripe_event": event.event_id})
    account.save()
    data_changed(account.organization)  # cached pages show the new plan / banner
    return account.organization


def _invoice_payment_failed(event: StripeEvent, obj: dict) -> Organization:
    """Starts the grace period (``BILLING_GRACE_DAYS``) once and e-mails the owners and admins;
    ignored when a later payment already succeeded."""
    account = _account_for_customer(obj)
    org = account.organization
    if account.last_invoice_paid_at is not None and event.created <= account.last_invoice_paid_at:
        raise StaleEvent("A later invoice was already paid.")
    if account.payment_failed_at is not None:
        return org  # grace already running: no second e-mail, no longer grace
    days = settings.BILLING_GRACE_DAYS
    account.payment_failed_at = event.created
    account.grace_until = timezone.now() + timedelta(days=days)
    account.save()
    data_changed(account.organization)  # cached pages show the new plan / banner
    audit_log(organization=org, actor=None, action="billing.payment_failed", target=account,
              metadata={"grace_until": account.grace_until.isoformat(), "stripe_event": event.event_id})
    billing_email(organization=org, subject=f"Kolony: payment failed for {org.name}",
                  message=(f"The last payment for {org.name}'s {account.plan.name} plan failed.\n\n"
                           f"Update the payment method within {days} days (by {account.grace_until:%d %B %Y}) "
                           "to keep the plan; after that the organization moves to the Free plan."))
    return org


HANDLERS: dict[str, Callable[[StripeEvent, dict], Organization]] = {
    "checkout.session.completed": _checkout_completed,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
}
