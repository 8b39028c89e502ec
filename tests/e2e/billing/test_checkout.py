"""Chromium: billing page → Upgrade → the stand-in's hosted Checkout → Pay → back in Kolony,
where the signed webhooks (delivered by the stand-in to the live server) have put the
organization on Pro and its credits are shown."""

import pytest

from billing import selectors
from billing.models import BillingAccount, StripeEvent
from tests.e2e.helpers import screenshot, sign_in
from tests.fixtures.stripe_standin import PRICE_AGENCY, PRICE_PRO, SECRET_KEY, WEBHOOK_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def stripe_env(monkeypatch, settings, stripe_standin):
    """The Stripe settings for the live server and worker subprocesses (environment) and this process."""
    values = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_BASE": stripe_standin.base, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
              "STRIPE_PRICE_PRO": PRICE_PRO, "STRIPE_PRICE_AGENCY": PRICE_AGENCY}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
        setattr(settings, key, value)
    settings.BILLING_ENABLED = True
    return stripe_standin


@pytest.fixture
def plans_seeded(transactional_db):
    """A transactional test's flush empties the plans the data migration seeded: seed them again."""
    from billing.plan_catalog import plans_ensure

    plans_ensure()


@pytest.fixture
def billing_server(plans_seeded, stripe_env, asgi_server, rq_worker):
    stripe_env.configure_webhook(f"{asgi_server}/billing/stripe/webhook/")
    return asgi_server


def _wait_for_plan(page, base, name: str) -> None:
    """Reloads the billing page until it shows ``name`` (webhook processing may run on the worker)."""
    for _ in range(60):
        page.goto(f"{base}/billing/")
        if page.get_by_test_id("current-plan").inner_text().strip() == name:
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the plan never became {name}: {page.get_by_test_id('current-plan').inner_text()}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_upgrade_through_checkout(billing_server, stripe_env, browser, alice, alice_org, viewport):
    size = {"width": 1280, "height": 900} if viewport == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(viewport=size)
    context.set_default_timeout(20_000)
    page = context.new_page()
    base = billing_server
    sign_in(page, base)
    page.goto(f"{base}/billing/")
    assert page.get_by_test_id("current-plan").inner_text().strip() == "Free"
    screenshot(page, f"billing-before-{viewport}.png", full_page=True)

    page.get_by_test_id("upgrade-pro").click()
    page.wait_for_url(f"{stripe_env.base}/checkout/pay/*")
    assert "Subscribe to Kolony Pro" in page.content() and "49.00 USD" in page.content()
    screenshot(page, f"billing-checkout-{viewport}.png", full_page=True)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{base}/billing/checkout/success/?session_id=cs_test_*")
    assert "Thank you" in page.content()

    deliveries = stripe_env.deliveries()[-3:]
    assert [d["type"] for d in deliveries] == ["checkout.session.completed", "customer.subscription.created", "invoice.paid"]
    assert all(d["status"] == 200 for d in deliveries), deliveries  # the signature verified

    _wait_for_plan(page, base, "Pro")
    balance = selectors.credit_balance(organization=alice_org)
    assert balance >= 1200
    assert page.get_by_test_id("credits-left").inner_text().strip() == str(balance)
    account = BillingAccount.objects.get(organization=alice_org)
    assert account.subscription_status == "active" and account.stripe_customer_id
    assert StripeEvent.objects.filter(event_id__in=[d["id"] for d in deliveries]).count() == 3
    assert page.get_by_test_id("plan-pro").get_by_text("Current plan").is_visible()
    screenshot(page, f"billing-after-{viewport}.png", full_page=True)

    # "Manage billing" opens the portal, whose link comes back to the billing page
    page.get_by_test_id("manage-billing").click()
    page.wait_for_url(f"{stripe_env.base}/billing_portal/*")
    assert PRICE_PRO in page.content()
    page.get_by_role("link", name="Return to Kolony").click()
    page.wait_for_url(f"{base}/billing/")
    context.close()


def test_cancelled_checkout_changes_nothing(billing_server, stripe_env, page, alice, alice_org):
    base = billing_server
    sign_in(page, base)
    page.goto(f"{base}/billing/")
    page.get_by_test_id("upgrade-agency").click()
    page.wait_for_url(f"{stripe_env.base}/checkout/pay/*")
    page.get_by_role("link", name="← Back").click()
    page.wait_for_url(f"{base}/billing/checkout/cancel/")
    assert "Checkout cancelled" in page.content()
    assert page.get_by_test_id("current-plan").inner_text().strip() == "Free"
