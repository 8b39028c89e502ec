"""The billing pages: who sees Upgrade / Manage billing / invoices, Checkout refusals (non-owner,
downgrade below seats, unknown plan, billing disabled), the payment-failed banner, tenancy."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import BillingAccount, Plan
from billing.services.ledger import billing_account_get_or_create
from kolony.accounts.models import Role
from kolony.datacache import data_changed
from tests.conftest import make_member

pytestmark = pytest.mark.django_db

MANAGERS = [Role.OWNER, Role.ADMIN]
OTHERS = [Role.EDITOR, Role.REVIEWER, Role.VIEWER]


@pytest.mark.parametrize("role", MANAGERS + OTHERS)
def test_billing_page_by_role(stripe_settings, client_as, role):
    page = client_as(role).get(reverse("billing:overview"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="current-plan">Free<' in html
    assert "Seats used" in html and "Credits left this period" in html and 'id="billing-usage-data"' in html
    manager = role in MANAGERS
    assert ('data-testid="upgrade-pro"' in html) is manager
    assert ('data-testid="upgrade-agency"' in html) is manager
    assert ('data-testid="manage-billing"' in html) is manager
    assert ("<h2>Invoices</h2>" in html) is manager
    assert ("Only owners and admins can change the plan." in html) is (not manager)
    assert "Billing disabled" not in html


@pytest.mark.parametrize("role", OTHERS)
@pytest.mark.parametrize("url_name", ["billing:checkout", "billing:portal"])
def test_non_managers_get_a_clear_403(stripe_settings, client_as, role, url_name, stripe_standin):
    before = len(stripe_standin.get("/v1/checkout/sessions")["data"])
    response = client_as(role).post(reverse(url_name), {"plan": "pro"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only owners and admins can" in html and f"Your role in this organization is {Role(role).label}" in html
    assert len(stripe_standin.get("/v1/checkout/sessions")["data"]) == before


@pytest.mark.parametrize("role", MANAGERS)
@pytest.mark.parametrize("code, amount", [("pro", 4900), ("agency", 19900)])
def test_managers_are_sent_to_checkout(stripe_settings, client_as, alice_org, stripe_standin, role, code, amount):
    response = client_as(role).post(reverse("billing:checkout"), {"plan": code})
    assert response.status_code == 303
    assert response["Location"].startswith(stripe_standin.base + "/checkout/pay/cs_test_")
    session = stripe_standin.get("/v1/checkout/sessions")["data"][-1]
    assert session["client_reference_id"] == str(alice_org.pk) and session["amount_total"] == amount
    assert session["success_url"] == "http://testserver/billing/checkout/success/?session_id={CHECKOUT_SESSION_ID}"
    assert session["cancel_url"] == "http://testserver/billing/checkout/cancel/"
    hosted = __import__("urllib.request").request.urlopen(response["Location"], timeout=10).read().decode()
    assert "Pay" in hosted and f"{amount / 100:.2f} USD" in hosted


def test_portal_redirects_to_the_stand_in(stripe_settings, alice_client, stripe_standin, alice_org):
    response = alice_client.post(reverse("billing:portal"))
    assert response.status_code == 303 and response["Location"].startswith(stripe_standin.base + "/billing_portal/bps_")
    assert BillingAccount.objects.get(organization=alice_org).stripe_customer_id


def test_downgrade_below_the_seat_count_is_refused(stripe_settings, alice_client, alice_org, alice, stripe_standin):
    account = billing_account_get_or_create(organization=alice_org)
    account.plan = Plan.objects.get(code="agency")
    account.save()
    pro = Plan.objects.get(code="pro")
    for i in range(pro.seats):  # alice + pro.seats others > pro.seats
        make_member(alice_org, f"seat{i}@example.com", Role.EDITOR)
    before = len(stripe_standin.get("/v1/checkout/sessions")["data"])
    response = alice_client.post(reverse("billing:checkout"), {"plan": "pro"}, follow=True)
    html = response.content.decode()
    assert f"The Pro plan has {pro.seats} seats but your organization uses {pro.seats + 1}" in html
    assert len(stripe_standin.get("/v1/checkout/sessions")["data"]) == before


@pytest.mark.parametrize("posted, words", [
    ({}, "Plan: choose one of Free, Pro, Agency."),
    ({"plan": "platinum"}, "Plan: choose one of Free, Pro, Agency (&#x27;platinum&#x27; is not one)."),
    ({"plan": "<b>x</b>"}, "(&#x27;&lt;b&gt;x&lt;/b&gt;&#x27; is not one)"),
    ({"plan": "free"}, "already on the Free plan"),
    ({"plan": "internal"}, "Plan: choose one of"),
])
def test_bad_plan_choices_are_named(stripe_settings, alice_client, posted, words):
    response = alice_client.post(reverse("billing:checkout"), posted, follow=True)
    assert response.status_code == 200 and words in response.content.decode()


def test_a_subscriber_is_sent_to_the_portal_not_a_second_checkout(stripe_settings, alice_client, alice_org):
    account = billing_account_get_or_create(organization=alice_org)
    account.plan, account.subscription_id, account.subscription_status = Plan.objects.get(code="pro"), "sub_1", "active"
    account.save()
    html = alice_client.post(reverse("billing:checkout"), {"plan": "agency"}, follow=True).content.decode()
    assert "You already subscribe to Pro: change or cancel it in Manage billing." in html


def test_billing_disabled_is_labelled_and_sells_nothing(settings, alice_client):
    settings.STRIPE_SECRET_KEY, settings.BILLING_ENABLED = "", False
    html = alice_client.get(reverse("billing:overview")).content.decode()
    assert "Billing disabled — every organization is on the unlimited internal plan" in html
    assert 'data-testid="current-plan">Unlimited (billing disabled)<' in html and 'data-testid="credits-left">Unlimited<' in html
    assert 'data-testid="upgrade-pro"' not in html and 'data-testid="manage-billing"' not in html
    for name in ("billing:checkout", "billing:portal"):
        html = alice_client.post(reverse(name), {"plan": "pro"}, follow=True).content.decode()
        assert "Billing disabled" in html
    assert "Billing disabled" in alice_client.get(reverse("billing:pricing")).content.decode()


def test_pricing_page_for_visitors_and_members(stripe_settings, client, client_as):
    html = client.get(reverse("billing:pricing")).content.decode()
    for name in ("Free", "Pro", "Agency"):
        assert f"<h2>{name}" in html
    assert "49.00 USD" in html and "199.00 USD" in html and "Sign up" in html
    assert "upgrade-pro" not in html and "1 credit = 1 second of delivered video in one format" in html
    assert "upgrade-pro" in client_as(Role.OWNER).get(reverse("billing:pricing")).content.decode()
    editor = client_as(Role.EDITOR).get(reverse("billing:pricing")).content.decode()
    assert "upgrade-pro" not in editor and "Only owners and admins can change the plan." in editor


@pytest.mark.parametrize("role", MANAGERS + OTHERS)
def test_payment_failed_banner_on_every_page(stripe_settings, client_as, alice_org, role):
    client = client_as(role)
    for url in (reverse("core:dashboard"), reverse("billing:overview"), reverse("accounts:team")):
        assert 'data-testid="payment-failed-banner"' not in client.get(url).content.decode()
    account = billing_account_get_or_create(organization=alice_org)
    account.payment_failed_at, account.grace_until = timezone.now(), timezone.now() + timedelta(days=7)
    account.save()
    data_changed(alice_org)  # as billing's payment-failed service does: cached pages (dashboard) show the banner at once
    for url in (reverse("core:dashboard"), reverse("billing:overview"), reverse("accounts:team")):
        html = client.get(url).content.decode()
        assert 'data-testid="payment-failed-banner"' in html and "Your last payment failed" in html
        assert ("Update payment details" in html) is (role in MANAGERS)


def test_charlie_never_sees_alices_billing(stripe_settings, alice_client, charlie_client, alice_org, charlie_org, stripe_standin):
    account = billing_account_get_or_create(organization=alice_org)
    account.plan = Plan.objects.get(code="agency")
    account.payment_failed_at = timezone.now()
    account.save()
    alice_client.post(reverse("billing:portal"))
    alice_customer = BillingAccount.objects.get(organization=alice_org).stripe_customer_id
    html = charlie_client.get(reverse("billing:overview")).content.decode()
    assert 'data-testid="current-plan">Free<' in html and "payment-failed-banner" not in html
    assert alice_customer not in html
    response = charlie_client.post(reverse("billing:portal"))
    assert response.status_code == 303
    charlie_customer = BillingAccount.objects.get(organization=charlie_org).stripe_customer_id
    assert charlie_customer and charlie_customer != alice_customer
    charlie_client.post(reverse("billing:checkout"), {"plan": "pro"})
    session = stripe_standin.get("/v1/checkout/sessions")["data"][-1]
    assert session["customer"] == charlie_customer and session["client_reference_id"] == str(charlie_org.pk)
