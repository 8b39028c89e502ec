"""The one place Kolony talks to Stripe: a configured ``StripeClient`` and the few calls we make.

Every create sends an ``idempotency_key`` (Stripe replays the first answer for a repeated key for
24 h: https://docs.stripe.com/api/idempotent_requests), so a retry never makes a second object.
Stripe failures surface as :class:`StripeGatewayError` with a sentence a person can act on.

Settings: ``STRIPE_SECRET_KEY``, ``STRIPE_API_VERSION`` (pinned), ``STRIPE_API_BASE`` (a local
stand-in such as ``tests/fakes/stripe_standin.py``; empty = api.stripe.com).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from kolony.accounts.models import Organization

from .models import BillingAccount, Plan

log = logging.getLogger(__name__)

INVOICE_CACHE_SECONDS = 300  # invoices change at most once a period; 5 minutes keeps the page fast
INVOICE_LIMIT = 12
NETWORK_RETRIES = 2  # the SDK retries connection errors and 409/429/5xx with the same idempotency key


class BillingUnavailable(Exception):
    """Billing is disabled (no ``STRIPE_SECRET_KEY``): there is nothing to buy."""


class StripeGatewayError(Exception):
    """A Stripe call failed. ``message`` is for people; ``code``/``param`` are Stripe's."""

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.retryable = retryable


def stripe_client() -> stripe.StripeClient:
    """A StripeClient on the pinned API version, pointed at ``STRIPE_API_BASE`` when set.
    Raises BillingUnavailable without a secret key."""
    key = settings.STRIPE_SECRET_KEY
    if not key:
        raise BillingUnavailable("Billing is disabled: no STRIPE_SECRET_KEY is configured.")
    base = settings.STRIPE_API_BASE.rstrip("/")
    addresses: dict[str, Any] = {"api": base, "meter_events": base, "files": base, "connect": base} if base else {}
    return stripe.StripeClient(key, stripe_version=settings.STRIPE_API_VERSION,
                               base_addresses=addresses or None,  # type: ignore[arg-type]
                               max_network_retries=NETWORK_RETRIES)


def explain(exc: stripe.StripeError) -> StripeGatewayError:
    """Turns an SDK error into a StripeGatewayError whose message says what happened."""
    code = getattr(exc, "code", None)
    param = getattr(exc, "param", None)
    detail = exc.user_message or str(exc) or type(exc).__name__
    if isinstance(exc, stripe.AuthenticationError):
        return StripeGatewayError("Stripe refused our API key — billing is misconfigured; ops has been told.", code=code)
    if isinstance(exc, stripe.APIConnectionError):
        return StripeGatewayError("Stripe could not be reached. Please try again in a minute.", retryable=True)
    if isinstance(exc, stripe.RateLimitError):
        return StripeGatewayError("Stripe is busy right now. Please try again in a minute.", code=code, retryable=True)
    if isinstance(exc, stripe.IdempotencyError):
        return StripeGatewayError(f"Stripe saw this request before with other details: {detail}", code=code)
    if isinstance(exc, stripe.InvalidRequestError):
        where = f" (field {param})" if param else ""
        return StripeGatewayError(f"Stripe rejected the request{where}: {detail}", code=code, param=param)
    status = getattr(exc, "http_status", None) or 0
    return StripeGatewayError(f"Stripe answered with an error: {detail}", code=code, param=param,
                              retryable=status >= 500 or status == 0)


def _account(organization: Organization) -> BillingAccount:
    from .services.ledger import billing_account_get_or_create

    return billing_account_get_or_create(organization=organization)


def customer_ensure(*, organization: Organization) -> str:
    """The organization's Stripe customer id, creating the customer once and storing its id on the
    BillingAccount. Concurrent callers wait on the account's row lock; the idempotency key
    ``kolony-customer-org-<id>`` makes even a lost response return the same customer.

    Raises BillingUnavailable, StripeGatewayError."""
    _account(organization)
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(organization=organization)
        if account.stripe_customer_id:
            return account.stripe_customer_id
        try:
            customer = stripe_client().v1.customers.create(
                params={"name": organization.name[:256], "metadata": {"organization_id": str(organization.pk)}},
                options={"idempotency_key": f"kolony-customer-org-{organization.pk}"},
            )
        except stripe.StripeError as exc:
            raise explain(exc) from exc
        from .services.ledger import billing_account_set_customer

        billing_account_set_customer(organization=organization, stripe_customer_id=customer.id)
        return str(customer.id)


def checkout_session_create(*, organization: Organization, plan: Plan, success_url: str, cancel_url: str,
                            attempt: str | None = None) -> str:
    """Opens a Checkout Session (mode subscription) for ``plan`` on the organization's customer and
    returns its hosted URL. ``client_reference_id`` and ``metadata.organization_id`` (also on the
    subscription) carry the organization id back through the webhook. ``attempt`` names one press
    of the button (the idempotency key; a fresh one by default).

    Raises BillingUnavailable, StripeGatewayError (also when the plan has no Stripe price)."""
    price = plan.stripe_price_id
    if not price:
        raise StripeGatewayError(f"The {plan.name} plan has no Stripe price configured ({plan.stripe_price_setting or 'not sold online'}).")
    customer = customer_ensure(organization=organization)
    meta = {"organization_id": str(organization.pk), "plan": plan.code}
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "subscription", "customer": customer,
                "line_items": [{"price": price, "quantity": 1}],
                "client_reference_id": str(organization.pk), "metadata": meta,
                "subscription_data": {"metadata": meta},
                "success_url": success_url, "cancel_url": cancel_url,
            },
            options={"idempotency_key": f"kolony-checkout-{organization.pk}-{plan.code}-{attempt or uuid.uuid4().hex}"},
        )
    except stripe.StripeError as exc:
        raise explain(exc) from exc
    return str(session.url)


def portal_session_create(*, organization: Organization, return_url: str) -> str:
    """A Customer Portal session URL for the organization (customer created first if needed).
    Raises BillingUnavailable, StripeGatewayError."""
    customer = customer_ensure(organization=organization)
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": customer, "return_url": return_url},
            options={"idempotency_key": f"kolony-portal-{organization.pk}-{uuid.uuid4().hex}"},
        )
    except stripe.StripeError as exc:
        raise explain(exc) from exc
    return str(session.url)


@dataclass(frozen=True)
class InvoiceRow:
    id: str
    number: str
    created: datetime
    amount_minor: int
    currency: str
    status: str
    url: str

    @property
    def amount(self) -> float:
        """Major units (for display; 4900 → 49.0)."""
        return self.amount_minor / 100


def _invoice_cache_key(customer_id: str) -> str:
    return f"billing:invoices:v1:{customer_id}"


def invoice_list(*, organization: Organization) -> tuple[list[InvoiceRow], str]:
    """The organization's latest invoices from Stripe (newest first, at most INVOICE_LIMIT),
    cached INVOICE_CACHE_SECONDS per customer. Returns ``(rows, problem)``: ``problem`` is ``""``
    or a sentence saying why the list could not be loaded (the page shows it; never raises for
    Stripe errors). No customer yet → ``([], "")``."""
    account = BillingAccount.objects.filter(organization=organization).only("stripe_customer_id").first()
    customer = account.stripe_customer_id if account else None
    if not customer:
        return [], ""
    key = _invoice_cache_key(customer)
    cached = cache.get(key)
    if cached is not None:
        return list(cached), ""
    try:
        page = stripe_client().v1.invoices.list(params={"customer": customer, "limit": INVOICE_LIMIT})
    except BillingUnavailable:
        return [], ""
    except stripe.StripeError as exc:
        log.warning("invoice list failed for %s: %s", customer, exc)
        return [], explain(exc).message
    rows = [_invoice_row(inv) for inv in page.data]
    rows.sort(key=lambda r: r.created, reverse=True)
    cache.set(key, rows, INVOICE_CACHE_SECONDS)
    return rows, ""


def invoice_cache_clear(*, stripe_customer_id: str) -> None:
    """Forget the cached invoice list (call after invoice.* webhooks)."""
    cache.delete(_invoice_cache_key(stripe_customer_id))


def _invoice_row(inv: Any) -> InvoiceRow:
    def get(name: str, default: Any = None) -> Any:
        try:
            value = inv[name]
        except (KeyError, TypeError):
            return default
        return default if value is None else value

    amount = get("total", get("amount_due", 0))
    return InvoiceRow(id=str(get("id", "")), number=str(get("number", "") or get("id", "")),
                      created=datetime.fromtimestamp(int(get("created", 0)), tz=UTC),
                      amount_minor=int(amount or 0), currency=str(get("currency", "usd")),
                      status=str(get("status", "")), url=str(get("hosted_invoice_url", "")))


def meter_event_create(*, event_name: str, stripe_customer_id: str, value: int, identifier: str,
                       timestamp: int) -> bool:
    """Sends one Billing Meter event. ``value`` in credits (seconds), ``timestamp`` Unix seconds
    (Stripe accepts the past 35 days to 5 minutes ahead). ``identifier`` (≤ 100 chars) is unique
    per render: Stripe keeps identifiers unique for at least 24 h, and the idempotency key
    ``meter-<identifier>`` replays an earlier answer. Returns False when Stripe already has an
    event with this identifier (a retry after a lost answer), True when it was recorded now.

    Raises BillingUnavailable, StripeGatewayError (``retryable`` tells whether trying later may help)."""
    try:
        stripe_client().v1.billing.meter_events.create(
            params={"event_name": event_name, "identifier": identifier, "timestamp": timestamp,
                    "payload": {"stripe_customer_id": stripe_customer_id, "value": str(value)}},
            options={"idempotency_key": f"meter-{identifier}"},
        )
    except stripe.InvalidRequestError as exc:
        if exc.code in ("resource_already_exists", "duplicate_meter_event") or "already exists" in str(exc):
            return False
        raise explain(exc) from exc
    except stripe.StripeError as exc:
        raise explain(exc) from exc
    return True
