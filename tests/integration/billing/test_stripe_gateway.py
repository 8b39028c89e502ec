"""Real stripe-python 16 calls against the stand-in (localstripe + tests/fakes/stripe_standin.py):
the customer is created once, every create is idempotent, Checkout / portal sessions carry what
the webhook needs, meter events are sent once per render across retries, and Stripe's errors
come back as sentences."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import stripe
from django.utils import timezone

from billing import stripe_gateway
from billing.metering import meter_event_send
from billing.models import BillingAccount, MeterEventRecord, MeterStatus, Plan
from billing.stripe_gateway import StripeGatewayError, customer_ensure, invoice_list
from tests.fixtures.stripe_standin import PRICE_PRO, free_port

pytestmark = pytest.mark.django_db


def _pay(session_url: str) -> None:
    """Presses "Pay" on the hosted page (a form POST), without following the redirect."""
    import http.client

    parts = urlsplit(session_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    conn.request("POST", parts.path, body=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    assert response.status == 303, response.read()
    conn.close()


def _customers_for(org) -> list:
    client = stripe_gateway.stripe_client()
    return [c for c in client.v1.customers.list(params={"limit": 100}).data
            if (c.to_dict().get("metadata") or {}).get("organization_id") == str(org.pk)]


def test_customer_is_created_once_and_stored(stripe_settings, alice_org):
    first = customer_ensure(organization=alice_org)
    second = customer_ensure(organization=alice_org)
    assert first == second and first.startswith("cus_")
    assert BillingAccount.objects.get(organization=alice_org).stripe_customer_id == first
    assert [c.id for c in _customers_for(alice_org)] == [first]


def test_customer_create_replays_for_the_same_idempotency_key(stripe_settings, alice_org):
    """A lost answer: the account has no id yet, but Stripe already made the customer; the retry
    with the same key gets that same customer, not a second one."""
    key = f"kolony-customer-org-{alice_org.pk}"
    client = stripe_gateway.stripe_client()
    made = client.v1.customers.create(params={"name": alice_org.name[:256], "metadata": {"organization_id": str(alice_org.pk)}},
                                      options={"idempotency_key": key})
    assert customer_ensure(organization=alice_org) == made.id
    assert len(_customers_for(alice_org)) == 1


def test_the_same_key_with_other_parameters_is_refused(stripe_settings):
    client = stripe_gateway.stripe_client()
    client.v1.customers.create(params={"name": "One"}, options={"idempotency_key": "kolony-test-reuse"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.customers.create(params={"name": "Two"}, options={"idempotency_key": "kolony-test-reuse"})
    message = stripe_gateway.explain(caught.value).message
    assert "other details" in message and "same parameters" in message


def test_checkout_session_carries_the_organization(stripe_settings, alice_org):
    pro = Plan.objects.get(code="pro")
    url = stripe_gateway.checkout_session_create(organization=alice_org, plan=pro,
                                                 success_url="http://kolony.test/billing/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
                                                 cancel_url="http://kolony.test/billing/checkout/cancel/")
    session_id = url.rsplit("/", 1)[1]
    session = stripe_gateway.stripe_client().v1.checkout.sessions.retrieve(session_id)
    assert session.mode == "subscription" and session.status == "open"
    assert session.client_reference_id == str(alice_org.pk)
    assert session.metadata["organization_id"] == str(alice_org.pk) and session.metadata["plan"] == "pro"
    assert session.customer == BillingAccount.objects.get(organization=alice_org).stripe_customer_id
    assert session.cancel_url == "http://kolony.test/billing/checkout/cancel/"
    assert session.amount_total == 4900 and session.currency == "usd"


def test_paid_checkout_shows_up_as_an_invoice(stripe_settings, alice_org, stripe_standin):
    pro = Plan.objects.get(code="pro")
    url = stripe_gateway.checkout_session_create(organization=alice_org, plan=pro, success_url="http://kolony.test/ok",
                                                 cancel_url="http://kolony.test/no")
    assert invoice_list(organization=alice_org) == ([], "")  # nothing paid yet (and now cached)
    stripe_gateway.invoice_cache_clear(stripe_customer_id=customer_ensure(organization=alice_org))
    _pay(url)
    rows, problem = invoice_list(organization=alice_org)
    assert problem == ""
    assert [(r.amount_minor, r.currency, r.status) for r in rows] == [(4900, "usd", "paid")]
    assert f"{rows[0].amount:.2f}" == "49.00"
    # the session is complete: the hosted page no longer takes money
    session = stripe_gateway.stripe_client().v1.checkout.sessions.retrieve(url.rsplit("/", 1)[1])
    assert session.status == "complete" and session.subscription.startswith("sub_")


def test_invoice_list_is_cached(stripe_settings, alice_org, settings):
    customer_ensure(organization=alice_org)
    invoice_list(organization=alice_org)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # Stripe unreachable now
    assert invoice_list(organization=alice_org) == ([], "")  # from the cache, no error
    stripe_gateway.invoice_cache_clear(stripe_customer_id=BillingAccount.objects.get(organization=alice_org).stripe_customer_id)
    rows, problem = invoice_list(organization=alice_org)
    assert rows == [] and "could not be reached" in problem


def test_portal_session_returns_to_kolony(stripe_settings, alice_org, stripe_standin):
    url = stripe_gateway.portal_session_create(organization=alice_org, return_url="http://kolony.test/billing/")
    import urllib.request

    page = urllib.request.urlopen(url, timeout=10).read().decode()  # noqa: S310 - a local http URL
    assert "Manage billing" in page and 'href="http://kolony.test/billing/"' in page


@pytest.mark.parametrize("price, param, words", [
    ("price_does_not_exist", "line_items[0][price]", "No such price: 'price_does_not_exist'"),
])
def test_stripe_errors_become_sentences_naming_the_field(stripe_settings, alice_org, price, param, words):
    stripe_settings.STRIPE_PRICE_PRO = price
    with pytest.raises(StripeGatewayError) as caught:
        stripe_gateway.checkout_session_create(organization=alice_org, plan=Plan.objects.get(code="pro"),
                                               success_url="http://kolony.test/ok", cancel_url="http://kolony.test/no")
    assert caught.value.param == param and caught.value.code == "resource_missing"
    assert words in caught.value.message and param in caught.value.message


def test_bad_success_url_and_missing_customer_are_named(stripe_settings, alice_org):
    client = stripe_gateway.stripe_client()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(params={"mode": "subscription", "line_items": [{"price": PRICE_PRO}],
                                                   "success_url": "not a url"})
    assert caught.value.param == "success_url"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(params={"customer": "cus_nobody"})
    assert caught.value.param == "customer" and "No such customer" in str(caught.value)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.retrieve("cus_nobody")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"


def test_wrong_api_key_is_explained(stripe_settings, alice_org):
    stripe_settings.STRIPE_SECRET_KEY = "not-a-key"
    with pytest.raises(StripeGatewayError) as caught:
        customer_ensure(organization=alice_org)
    assert "API key" in caught.value.message


def test_unreachable_stripe_is_explained(stripe_settings, alice_org):
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StripeGatewayError) as caught:
        customer_ensure(organization=alice_org)
    assert caught.value.retryable and "could not be reached" in caught.value.message
    assert not BillingAccount.objects.get(organization=alice_org).stripe_customer_id


# --- meter events ---------------------------------------------------------------------------


def _record(org, customer, *, identifier, value=12, when=None):
    return MeterEventRecord.objects.create(organization=org, identifier=identifier, stripe_customer_id=customer,
                                           event_name="kolony_render_seconds", value=value,
                                           timestamp=when or timezone.now())


def _events_for(standin, identifier):
    return [e for e in standin.meter_events() if e["identifier"] == identifier]


def test_meter_event_is_sent_once_across_retries(stripe_settings, alice_org, stripe_standin):
    customer = customer_ensure(organization=alice_org)
    record = _record(alice_org, customer, identifier=f"render-t1-{alice_org.pk}")
    assert meter_event_send(record.pk) == MeterStatus.SENT
    record.refresh_from_db()
    assert record.sent_at is not None and record.attempts == 1
    sent = _events_for(stripe_standin, record.identifier)
    assert len(sent) == 1
    assert sent[0]["payload"] == {"stripe_customer_id": customer, "value": "12"}
    assert sent[0]["event_name"] == "kolony_render_seconds"
    assert abs(sent[0]["timestamp"] - int(record.timestamp.timestamp())) <= 1

    # a job retried after Stripe took the event but the answer was lost: the record looks unsent
    MeterEventRecord.objects.filter(pk=record.pk).update(status=MeterStatus.PENDING, sent_at=None)
    assert meter_event_send(record.pk) == MeterStatus.SENT
    # and a third run of an already sent record does not call Stripe at all
    assert meter_event_send(record.pk) == MeterStatus.SENT
    assert len(_events_for(stripe_standin, record.identifier)) == 1
    assert MeterEventRecord.objects.get(pk=record.pk).attempts == 2


def test_meter_event_waits_and_retries_while_stripe_is_down(stripe_settings, alice_org, stripe_standin):
    customer = customer_ensure(organization=alice_org)
    record = _record(alice_org, customer, identifier=f"render-t2-{alice_org.pk}")
    real_base = stripe_settings.STRIPE_API_BASE
    stripe_settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StripeGatewayError):
        meter_event_send(record.pk)  # RQ's Retry runs it again later
    record.refresh_from_db()
    assert record.status == MeterStatus.PENDING and record.attempts == 1 and "could not be reached" in record.last_error
    stripe_settings.STRIPE_API_BASE = real_base
    assert meter_event_send(record.pk) == MeterStatus.SENT
    assert len(_events_for(stripe_standin, record.identifier)) == 1


def test_meter_event_timestamps_stay_in_stripes_window(stripe_settings, alice_org, stripe_standin):
    customer = customer_ensure(organization=alice_org)
    future = _record(alice_org, customer, identifier=f"render-t3-{alice_org.pk}", when=timezone.now() + timedelta(hours=2))
    assert meter_event_send(future.pk) == MeterStatus.SENT
    sent = _events_for(stripe_standin, future.identifier)[0]
    assert sent["timestamp"] <= int(timezone.now().timestamp()) + 1  # clamped to now, Stripe allows ≤ 5 min ahead

    old = _record(alice_org, customer, identifier=f"render-t4-{alice_org.pk}", when=timezone.now() - timedelta(days=36))
    assert meter_event_send(old.pk) == MeterStatus.FAILED
    old.refresh_from_db()
    assert "35 days" in old.last_error and not _events_for(stripe_standin, old.identifier)


def test_meter_event_for_an_unknown_customer_fails_without_retry(stripe_settings, alice_org, stripe_standin):
    record = _record(alice_org, "cus_gone", identifier=f"render-t5-{alice_org.pk}")
    assert meter_event_send(record.pk) == MeterStatus.FAILED
    record.refresh_from_db()
    assert "No such customer: 'cus_gone'" in record.last_error and "payload[stripe_customer_id]" in record.last_error


def test_stand_in_validates_meter_events_as_stripe_documents(stripe_settings, alice_org):
    customer = customer_ensure(organization=alice_org)
    client = stripe_gateway.stripe_client()
    cases = [
        ({"payload": {"stripe_customer_id": customer, "value": "1"}}, "event_name"),
        ({"event_name": "x" * 101, "payload": {"stripe_customer_id": customer, "value": "1"}}, "event_name"),
        ({"event_name": "e", "payload": {"value": "1"}}, "payload[stripe_customer_id]"),
        ({"event_name": "e", "payload": {"stripe_customer_id": customer}}, "payload[value]"),
        ({"event_name": "e", "payload": {"stripe_customer_id": customer, "value": "ten"}}, "payload[value]"),
        ({"event_name": "e", "payload": {"stripe_customer_id": customer, "value": "1"},
          "timestamp": int(timezone.now().timestamp()) + 600}, "timestamp"),
    ]
    for params, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.billing.meter_events.create(params=params)
        assert caught.value.param == param, (params, caught.value)
