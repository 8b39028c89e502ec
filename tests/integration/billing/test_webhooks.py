"""POST /billing/stripe/webhook/: signatures verified as Stripe signs them, each event stored once
and applied exactly once in any order; bad requests get 400 and change nothing."""

import json
import time
from datetime import timedelta

import pytest
import stripe
from django.core import mail
from django.utils import timezone

from billing import selectors
from billing.models import BillingAccount, CreditLedger, EventStatus, LedgerKind, StripeEvent
from billing.services import billing_grace_sweep
from kolony.accounts.audit_display import audit_sentence
from kolony.accounts.models import AuditEvent
from tests.integration.billing.b1_fixtures import (
    PRICE_AGENCY,
    PRICE_PRO,
    WEBHOOK_SECRET,
    event_payload,
    post_webhook,
    set_plan,
)

pytestmark = pytest.mark.django_db
NOW = int(time.time())


def subscription(status="active", *, sub_id="sub_1", customer="cus_alice", price=PRICE_PRO, start=NOW - 60, **extra):
    return {"id": sub_id, "object": "subscription", "customer": customer, "status": status, "cancel_at_period_end": False,
            "items": {"data": [{"price": {"id": price}, "current_period_start": start,
                                "current_period_end": start + 30 * 86400}]}, **extra}


def invoice(*, customer="cus_alice", sub_id="sub_1", price=PRICE_PRO, start=NOW - 60, status="paid"):
    return {"id": "in_1", "object": "invoice", "customer": customer, "status": status,
            "parent": {"subscription_details": {"subscription": sub_id}},
            "lines": {"data": [{"period": {"start": start, "end": start + 30 * 86400},
                                "pricing": {"price_details": {"price": price}}}]}}


def deliver(client, queued, event_type, obj, **kw):
    payload = event_payload(event_type, obj, **kw)
    response = post_webhook(client, payload)
    assert response.status_code == 200, response.content
    queued()
    return StripeEvent.objects.get(event_id=payload["id"])


@pytest.fixture
def linked(billing_on, alice_org):
    return set_plan(alice_org, "free", stripe_customer_id="cus_alice")


# --- requests that must change nothing ---------------------------------------------------------

@pytest.mark.parametrize("case", ["forged", "wrong secret", "stale", "no header", "garbage header", "malformed json",
                                  "not an event", "tampered body"])
def test_bad_requests_get_400_and_store_nothing(billing_on, client, case):
    payload = json.dumps(event_payload("invoice.paid", invoice()))
    if case == "forged":
        response = post_webhook(client, payload, signature=f"t={int(time.time())},v1={'0' * 64}")
    elif case == "wrong secret":
        response = post_webhook(client, payload, secret="whsec_someone_else")
    elif case == "stale":
        response = post_webhook(client, payload, timestamp=int(time.time()) - 301)
    elif case == "no header":
        response = client.post("/billing/stripe/webhook/", data=payload, content_type="application/json")
    elif case == "garbage header":
        response = post_webhook(client, payload, signature="nonsense")
    elif case == "malformed json":
        response = post_webhook(client, '{"id": "evt_1", "type": ')
    elif case == "not an event":
        response = post_webhook(client, json.dumps({"hello": "world"}))
    else:
        signed = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET, timestamp=int(time.time()))
        response = post_webhook(client, payload.replace("in_1", "in_2"), signature=signed)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not StripeEvent.objects.exists()


def test_a_signature_just_inside_five_minutes_is_accepted(billing_on, client):
    response = post_webhook(client, event_payload("ping.unknown", {"id": "x"}), timestamp=int(time.time()) - 250)
    assert response.status_code == 200


def test_get_is_not_allowed(billing_on, client):
    assert client.get("/billing/stripe/webhook/").status_code == 405


# --- exactly once --------------------------------------------------------------------------------

def test_replayed_event_is_200_and_changes_nothing(linked, client, queued, alice_org):
    payload = event_payload("invoice.paid", invoice())
    first = post_webhook(client, payload)
    queued()
    again = post_webhook(client, payload)
    queued()
    assert first.json() == {"received": True, "duplicate": False}
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1
    assert selectors.credit_balance(organization=alice_org) == 1200


def test_processing_twice_applies_once(linked, client, queued, alice_org):
    from billing.services import stripe_event_process

    event = deliver(client, queued, "invoice.paid", invoice())
    assert stripe_event_process(event_pk=event.pk) == EventStatus.PROCESSED
    assert stripe_event_process(event_pk=event.pk, force=True) == EventStatus.PROCESSED
    assert selectors.credit_balance(organization=alice_org) == 1200


def test_same_period_under_a_new_event_id_grants_once(linked, client, queued, alice_org):
    deliver(client, queued, "invoice.paid", invoice())
    deliver(client, queued, "invoice.paid", invoice())
    deliver(client, queued, "invoice.paid", invoice(start=NOW + 30 * 86400))  # the next month
    assert selectors.credit_balance(organization=alice_org) == 2400
    assert CreditLedger.objects.filter(organization=alice_org, kind=LedgerKind.GRANT).count() == 2


# --- the handled types -----------------------------------------------------------------------------

def test_checkout_completed_links_the_customer_and_the_subscription_sets_the_plan(billing_on, client, queued, alice_org):
    session = {"id": "cs_1", "object": "checkout.session", "customer": "cus_new", "subscription": "sub_9",
               "client_reference_id": str(alice_org.pk), "metadata": {"organization_id": str(alice_org.pk)}}
    event = deliver(client, queued, "checkout.session.completed", session)
    assert event.status == EventStatus.PROCESSED and event.organization_id == alice_org.pk
    account = BillingAccount.objects.get(organization=alice_org)
    assert (account.stripe_customer_id, account.subscription_id) == ("cus_new", "sub_9")
    deliver(client, queued, "customer.subscription.created", subscription(sub_id="sub_9", customer="cus_new", price=PRICE_AGENCY))
    account.refresh_from_db()
    assert (account.plan.code, account.subscription_status) == ("agency", "active")
    assert account.current_period_end is not None
    sentence = audit_sentence(AuditEvent.objects.filter(action="billing.plan_changed").latest("id"))
    assert sentence == "Kolony moved the organization from the Free plan to the Agency plan"


def test_checkout_for_a_customer_of_another_org_fails_clearly(billing_on, client, queued, alice_org, charlie_org):
    set_plan(charlie_org, "free", stripe_customer_id="cus_charlie")
    session = {"id": "cs_2", "customer": "cus_charlie", "client_reference_id": str(alice_org.pk)}
    event = deliver(client, queued, "checkout.session.completed", session)
    assert event.status == EventStatus.FAILED and "another organization" in event.error
    assert BillingAccount.objects.get(organization=charlie_org).stripe_customer_id == "cus_charlie"


def test_updated_before_created_keeps_the_newer_state(linked, client, queued, alice_org):
    deliver(client, queued, "customer.subscription.updated", subscription("active", price=PRICE_AGENCY), created=NOW)
    late = deliver(client, queued, "customer.subscription.created", subscription("incomplete", price=PRICE_PRO), created=NOW - 5)
    account = BillingAccount.objects.get(organization=alice_org)
    assert (account.plan.code, account.subscription_status) == ("agency", "active")
    assert late.status == EventStatus.IGNORED and "Older than" in late.error


def test_created_in_the_same_second_never_overrides_updated(linked, client, queued, alice_org):
    deliver(client, queued, "customer.subscription.updated", subscription("active"), created=NOW)
    deliver(client, queued, "customer.subscription.created", subscription("incomplete"), created=NOW)
    assert BillingAccount.objects.get(organization=alice_org).subscription_status == "active"


def test_deleted_then_a_late_updated_does_not_resurrect(linked, client, queued, alice_org):
    deliver(client, queued, "customer.subscription.created", subscription("active"), created=NOW - 100)
    deliver(client, queued, "customer.subscription.deleted", subscription("canceled"), created=NOW)
    late = deliver(client, queued, "customer.subscription.updated", subscription("active"), created=NOW + 1)
    account = BillingAccount.objects.get(organization=alice_org)
    assert (account.plan.code, account.subscription_status) == ("free", "canceled")
    assert late.status == EventStatus.IGNORED and "cannot bring it back" in late.error


def test_unknown_customer_is_stored_failed_with_a_reason_and_acknowledged(billing_on, client, queued):
    event = deliver(client, queued, "customer.subscription.updated", subscription(customer="cus_nobody"))
    assert event.status == EventStatus.FAILED
    assert "No organization has the Stripe customer cus_nobody" in event.error
    assert not BillingAccount.objects.filter(stripe_customer_id="cus_nobody").exists()


def test_unknown_price_fails_and_changes_nothing(linked, client, queued, alice_org):
    event = deliver(client, queued, "customer.subscription.updated", subscription(price="price_mystery"))
    assert event.status == EventStatus.FAILED and "price_mystery" in event.error
    assert BillingAccount.objects.get(organization=alice_org).plan.code == "free"


def test_unknown_type_is_stored_and_ignored(billing_on, client, queued):
    event = deliver(client, queued, "customer.tax_id.created", {"id": "txi_1"})
    assert event.status == EventStatus.IGNORED and event.payload["data"]["object"] == {"id": "txi_1"}


# --- payment failure, grace, downgrade ---------------------------------------------------------------

def test_payment_failed_starts_grace_emails_owners_and_admins_then_downgrades(linked, client, queued, alice_org, alice,
                                                                              member_of, django_capture_on_commit_callbacks):
    admin = member_of("admin")
    editor = member_of("editor")
    deliver(client, queued, "customer.subscription.created", subscription("active"), created=NOW - 100)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, queued, "invoice.payment_failed", invoice(status="open"), created=NOW - 50)
        deliver(client, queued, "invoice.payment_failed", invoice(status="open"), created=NOW - 40)  # Stripe's retry
    account = BillingAccount.objects.get(organization=alice_org)
    assert account.plan.code == "pro" and account.grace_until > timezone.now() + timedelta(days=6)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, admin.email])
    assert editor.email not in {m.to[0] for m in mail.outbox}
    assert "payment" in mail.outbox[0].subject.lower() and "Free plan" in mail.outbox[0].body
    assert selectors.payment_problem(organization=alice_org)["message"].startswith("Your last payment failed")

    assert billing_grace_sweep() == 0  # still in grace
    BillingAccount.objects.filter(pk=account.pk).update(grace_until=timezone.now() - timedelta(seconds=1))
    assert selectors.effective_plan(organization=alice_org).code == "free"  # at once, before the sweep
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert billing_grace_sweep() == 1
        assert billing_grace_sweep() == 0
    account.refresh_from_db()
    assert account.plan.code == "free" and account.grace_until is None
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, admin.email])
    assert "moved to the Free plan" in mail.outbox[0].subject


def test_paid_invoice_after_failure_clears_it_and_a_late_failure_is_ignored(linked, client, queued, alice_org):
    deliver(client, queued, "invoice.payment_failed", invoice(status="open"), created=NOW - 50)
    deliver(client, queued, "invoice.paid", invoice(), created=NOW - 10)
    late = deliver(client, queued, "invoice.payment_failed", invoice(status="open"), created=NOW - 30)
    account = BillingAccount.objects.get(organization=alice_org)
    assert account.payment_failed_at is None and account.grace_until is None
    assert late.status == EventStatus.IGNORED
    assert selectors.payment_problem(organization=alice_org) is None
