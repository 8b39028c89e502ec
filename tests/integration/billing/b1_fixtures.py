"""B1's billing test helpers: billing switched on (settings), jobs of a given length, credits,
signed webhook posts (signed exactly as Stripe does), and running the queued RQ work inline.
Import into a test module: ``from tests.integration.billing.b1_fixtures import billing_on, ...``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import stripe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.module_loading import import_string

from billing.models import BillingAccount, CreditLedger, LedgerKind, Plan
from billing.services.ledger import billing_account_get_or_create, ledger_append
from kolony.outbox.models import OutboxMessage

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
WEBHOOK_SECRET = "whsec_b1_test_secret"
PRICE_PRO = "price_b1_pro"
PRICE_AGENCY = "price_b1_agency"


@pytest.fixture
def billing_on(settings):
    """Billing enabled with test keys and price ids."""
    settings.STRIPE_SECRET_KEY = "sk_test_b1"
    settings.BILLING_ENABLED = True
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PRICE_PRO = PRICE_PRO
    settings.STRIPE_PRICE_AGENCY = PRICE_AGENCY
    settings.BILLING_GRACE_DAYS = 7
    return settings


def set_plan(org, code: str, **fields) -> BillingAccount:
    account = billing_account_get_or_create(organization=org)
    account.plan = Plan.objects.get(code=code)
    for k, v in fields.items():
        setattr(account, k, v)
    account.save()
    return account


def give_credits(org, credits: int, key: str | None = None) -> CreditLedger:
    """A grant of ``credits`` (as a paid period would)."""
    row, _ = ledger_append(organization=org, kind=LedgerKind.GRANT, credits=credits, reason="test grant",
                           idempotency_key=key or f"test-grant:{org.pk}:{time.monotonic_ns()}")
    return row


def make_job(org, user, *, duration: int = 8, ratios=("9:16",)):
    """A planned video job of ``duration`` seconds in ``ratios`` (through the Studio's service)."""
    from videogen import services
    from videogen.uploads import asset_create_from_upload

    photo = asset_create_from_upload(organization=org, user=user,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    return services.video_job_create(organization=org, user=user, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for mornings", "duration": duration,
        "aspect_ratios": list(ratios), "images": [photo.pk], "seed": 7})


def event_payload(event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
    return {"id": event_id or f"evt_{time.monotonic_ns()}", "object": "event", "type": event_type,
            "api_version": "2026-10-28.endive", "created": created if created is not None else int(time.time()),
            "livemode": False, "data": {"object": obj}}


def post_webhook(client, payload, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, signature: str | None = None):
    """POSTs ``payload`` (dict or raw str) with a Stripe-Signature made by the SDK's own signer."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    if signature is None:
        signature = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp or int(time.time()))
    return client.post("/billing/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


_DONE: set[int] = set()


def run_queued(func: str = "billing.tasks.stripe_event_process") -> list:
    """Runs the outbox rows for ``func`` not run yet, in order, as the RQ worker would."""
    results = []
    for row in OutboxMessage.objects.filter(func=func).exclude(pk__in=_DONE).order_by("id"):
        _DONE.add(row.pk)
        results.append(import_string(row.func)(*row.args, **row.kwargs))
    return results


@pytest.fixture
def queued():
    """``queued()`` runs the webhook processing jobs queued so far."""
    return run_queued
