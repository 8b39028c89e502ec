"""A marketer plans a campaign with an ad set and a video ad in real Chromium, the platform's
numbers come back, and the dashboard shows them — then the same pages at phone width."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Ad, Campaign
from tests.fixtures.campaigns import real_mp4  # creatives are probed: a real clip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRET = "e2e-campaign-secret-42"


def sign_in(page, live_server, user):
    user.set_password(SECRET)
    user.save()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", SECRET)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


def test_create_campaign_ad_set_ad_and_see_it_on_the_dashboard(live_server, page, alice):
    sign_in(page, live_server, alice)
    page.click("nav >> text=Campaigns")
    page.click("[data-testid=new-campaign]")

    # Inline validation (htmx): an unknown currency is flagged as soon as the field changes.
    page.fill("#id_name", "Cold Brew Launch")
    page.select_option("#id_objective", "sales")
    page.fill("#id_currency", "XYZ")
    page.press("#id_currency", "Tab")
    page.wait_for_selector("#err-currency li")
    assert "not a currency code we know" in page.inner_text("#err-currency")
    page.fill("#id_currency", "USD")
    page.press("#id_currency", "Tab")
    page.wait_for_selector("#err-currency li", state="detached")
    page.click("form.campaign-form button[type=submit]")
    page.wait_for_selector("h1 >> text=Cold Brew Launch")
    campaign = Campaign.objects.get(name="Cold Brew Launch")

    page.click("[data-testid=new-ad-set]")
    page.fill("#id_name", "US coffee lovers")
    page.fill("#id_budget", "25.00")
    page.select_option("#id_countries", ["US", "CA"])
    page.click("form.campaign-form button[type=submit]")
    page.wait_for_selector("text=Ad set “US coffee lovers” created")

    page.click("[data-testid=new-ad]")
    page.fill("#id_name", "Cold brew pour 15s")
    page.fill("#id_headline", "Cold brew, delivered")
    page.select_option("#id_call_to_action", "SHOP_NOW")
    page.fill("#id_destination_url", "https://aurora.example/cold-brew")
    page.set_input_files("#id_creative", files=[{"name": "pour.mp4", "mimeType": "video/mp4", "buffer": real_mp4()}])
    page.select_option("#id_status", "active")
    page.click("form.campaign-form button[type=submit]")
    page.wait_for_selector("text=Ad “Cold brew pour 15s” created")
    assert "Cold brew pour 15s" in page.inner_text("[data-ad-id]")
    ad = Ad.objects.get(ad_set__campaign=campaign)
    assert ad.creative.name.endswith(".mp4") and ad.status == "active"

    # The platform sync brings yesterday's numbers back.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 12_000, "reach": 9_000,
                                            "clicks": 240, "spend_minor": 9_900, "conversions": 6,
                                            "conversion_value_minor": 27_000}])

    page.click("nav >> text=Dashboard")
    page.wait_for_selector("[data-testid=campaigns-dashboard]")
    assert "Cold Brew Launch" in page.inner_text("[data-testid=dashboard-campaigns]")
    assert "Cold brew pour 15s" in page.inner_text("[data-testid=top-ads]")
    assert page.inner_text("[data-kpi=spend]") == "$99.00"
    assert page.inner_text("[data-kpi=roas]") == "2.73×"
    page.wait_for_function("document.documentElement.dataset.campaignCharts === '2'")

    page.select_option("#range-select", "7")
    page.wait_for_url("**/dashboard/?range=7")
    assert "Cold Brew Launch" in page.inner_text("[data-testid=dashboard-campaigns]")


def test_list_and_dashboard_fit_a_phone(live_server, browser, alice, alice_org):
    campaign = services.campaign_create(organization=alice_org, actor=alice, name="A long campaign name for small screens",
                                        objective="traffic", platforms=["meta", "google"])
    ad_set = services.ad_set_create(campaign=campaign, actor=alice, name="S", budget_minor=1000)
    ad = services.ad_create(ad_set=ad_set, actor=alice, name="A")
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": timezone.localdate() - dt.timedelta(days=2),
                                            "impressions": 100, "clicks": 3, "spend_minor": 500}])
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, alice)
        for path in ("/dashboard/", "/campaigns/", f"/campaigns/{campaign.pk}/", "/campaigns/new/"):
            page.goto(f"{live_server.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 392:
                page.screenshot(path="/tmp/phone.png", full_page=True)
                print(page.evaluate("""[...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > 392).slice(0, 8)
                    .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""))
            assert width <= 392, (path, width)
        page.goto(f"{live_server.url}/campaigns/")
        page.fill("input[name=q]", "zzz-nothing")
        page.wait_for_selector("text=No campaigns match these filters.")
    finally:
        context.close()
