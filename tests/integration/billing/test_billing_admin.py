"""Staff admin: accounts, a read-only ledger with a staff adjustment form (reason required, never
below zero), and Stripe events with a "reprocess" action."""

import pytest
from django.test import Client

from billing import selectors
from billing.models import CreditLedger, EventStatus, LedgerKind, StripeEvent
from billing.services import stripe_event_record
from kolony.accounts.models import User
from tests.integration.billing.b1_fixtures import event_payload, give_credits, run_queued, set_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    client = Client()
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="ops-long-secret-1"))
    return client


@pytest.mark.parametrize("path", ["billingaccount", "creditledger", "stripeevent", "metereventrecord", "plan"])
def test_admin_lists_open(billing_on, staff, alice_org, path):
    give_credits(alice_org, 5)
    set_plan(alice_org, "pro")
    assert staff.get(f"/admin/billing/{path}/").status_code == 200
    assert staff.get(f"/admin/billing/{path}/?q=a").status_code == 200


def test_staff_adjustment_needs_a_reason_and_never_goes_below_zero(billing_on, staff, alice_org):
    give_credits(alice_org, 10)
    url = "/admin/billing/creditledger/add/"
    refused = staff.post(url, {"organization": alice_org.pk, "credits": -11, "reason": "Correction"})
    assert refused.status_code == 200 and "below zero" in refused.content.decode()
    no_reason = staff.post(url, {"organization": alice_org.pk, "credits": 5, "reason": ""})
    assert no_reason.status_code == 200 and "Give a reason" in no_reason.content.decode()
    assert selectors.credit_balance(organization=alice_org) == 10
    done = staff.post(url, {"organization": alice_org.pk, "credits": -4, "reason": "Duplicate grant"})
    assert done.status_code == 302
    row = CreditLedger.objects.get(kind=LedgerKind.ADJUSTMENT)
    assert (row.credits, row.reason, row.actor.email) == (-4, "Duplicate grant", "ops@example.com")
    assert selectors.credit_balance(organization=alice_org) == 6
    change = staff.post(f"/admin/billing/creditledger/{row.pk}/change/", {"credits": 1000, "reason": "x"})
    assert change.status_code in (403, 200) and CreditLedger.objects.get(pk=row.pk).credits == -4


def test_reprocess_applies_a_failed_event_once_its_customer_is_linked(billing_on, staff, alice_org):
    obj = {"id": "in_7", "customer": "cus_later", "parent": {"subscription_details": {"subscription": "sub_7"}},
           "lines": {"data": [{"period": {"start": 1_790_000_000, "end": 1_792_592_000},
                               "pricing": {"price_details": {"price": "price_b1_pro"}}}]}}
    event, _ = stripe_event_record(payload=event_payload("invoice.paid", obj))
    run_queued()
    event.refresh_from_db()
    assert event.status == EventStatus.FAILED and "cus_later" in event.error
    set_plan(alice_org, "pro", stripe_customer_id="cus_later")
    for _ in range(2):  # reprocessing a processed event changes nothing
        response = staff.post("/admin/billing/stripeevent/", {"action": "reprocess", "_selected_action": [event.pk]}, follow=True)
        assert response.status_code == 200
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED and event.attempts == 2 and event.error == ""
    assert selectors.credit_balance(organization=alice_org) == 1200
    assert "already processed" in response.content.decode()
    assert StripeEvent.objects.count() == 1
