"""Issue 11 (H8) in real Chromium: the ad set form shows every error at once on its field, the
country picker searches, bulk status changes ask first and can be undone, and the campaign list
is a stack of cards on a 390 px phone with a one-row header."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from tests.e2e.helpers import screenshot

from .test_campaign_flow import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def shot(page, name):
    screenshot(page, name, full_page=True)


@pytest.fixture
def campaign(alice, alice_org):
    c = services.campaign_create(organization=alice_org, actor=alice, name="Cold Brew Launch", objective="sales",
                                 platforms=["meta"])
    s = services.ad_set_create(campaign=c, actor=alice, name="US 25-44", budget_minor=2500)
    ad = services.ad_create(ad_set=s, actor=alice, name="Pour 15s")
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": timezone.localdate() - dt.timedelta(days=2),
                                           "impressions": 12_000, "clicks": 240, "spend_minor": 28_974, "conversions": 9,
                                           "conversion_value_minor": 69_538}])
    return c


@pytest.mark.parametrize("width", [1280, 390])
def test_ad_set_form_shows_every_error_at_once(live_server, browser, alice, campaign, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 640, has_touch=width < 640)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, alice)
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/ad-sets/new/")
        legends = page.locator("fieldset.form-group > legend").all_inner_texts()
        assert legends == ["Ad set", "Budget & schedule", "Audience", "Placements"]
        # the country picker searches by name or code; Enter picks the first match
        search = page.locator("input.picker-search[data-picker-for=id_countries]")
        search.fill("canad")
        visible = page.evaluate("[...document.querySelectorAll('#id_countries option')].filter(o => !o.hidden).map(o => o.value)")
        assert visible == ["CA"]
        search.press("Enter")
        page.wait_for_selector(".field-countries .picker-chosen >> text=Canada (CA)")
        assert "United States (US)" in page.inner_text(".field-countries .picker-chosen")
        page.fill("#id_name", "Everyone")
        page.fill("#id_budget", "12.345")
        page.select_option("#id_age_min", "45")
        page.select_option("#id_age_max", "25")
        page.select_option("#id_bid_strategy", "COST_CAP")
        page.click("form.campaign-form button[type=submit]")
        page.wait_for_selector("#err-budget li")
        expected = {
            "budget": "USD amounts have 2 decimal places.",
            "age_min": "Minimum age can't be above maximum age.",
            "bid_amount": "",
        }
        for field, message in expected.items():
            text = page.inner_text(f"#err-{field}")
            assert text.strip(), (field, "no error shown")
            if message:
                assert text.strip() == message, (field, text)
            assert page.locator(f"#err-{field}").is_visible()
        all_errors = " ".join(page.locator("ul.errorlist li").all_inner_texts())
        for word in ("ISO", "age_min", "minor units", "[0]", "must not be above"):
            assert word not in all_errors, all_errors
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 2
        shot(page, f"adset-form-errors-{width}.png")
        page.goto(f"{live_server.url}/dashboard/")
        page.wait_for_selector("html[data-campaign-charts='2']")
        shot(page, f"dashboard-h8-{width}.png")
    finally:
        context.close()


def test_bulk_change_asks_first_and_can_be_undone(live_server, page, alice, alice_org):
    ids = {}
    for name in ("Draft A", "Draft B", "Live C"):
        ids[name] = services.campaign_create(organization=alice_org, actor=alice, name=name, objective="traffic",
                                             platforms=["meta"]).pk
    services.campaign_set_status(campaign=Campaign.objects.get(pk=ids["Live C"]), actor=alice, status="active")
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/campaigns/")
    page.check("[data-select-all]")
    page.select_option("#bulk-action", "activate")
    page.click("[data-testid=bulk-apply]")
    dialog = page.locator("[data-testid=bulk-confirm]")
    dialog.wait_for(state="visible")
    assert dialog.locator("[data-confirm-text]").inner_text() == (
        "Activate 2 campaigns? 1 selected is already active or can't be activated. You can undo this afterwards.")
    shot(page, "bulk-confirm-1280.png")
    dialog.locator("[data-confirm-cancel]").click()
    dialog.wait_for(state="hidden")
    assert set(Campaign.objects.values_list("status", flat=True)) == {"draft", "active"}  # nothing changed
    page.click("[data-testid=bulk-apply]")
    dialog.wait_for(state="visible")
    page.click("[data-testid=bulk-confirm-ok]")
    page.wait_for_selector(".message >> text=Activated 2 campaigns.")
    shot(page, "bulk-undo-1280.png")
    assert set(Campaign.objects.values_list("status", flat=True)) == {"active"}
    page.click("[data-testid=bulk-undo] button")
    page.wait_for_selector(".message >> text=Undone: 2 campaigns back to their previous status.")
    assert dict(Campaign.objects.values_list("name", "status")) == {"Draft A": "draft", "Draft B": "draft", "Live C": "active"}
    # archiving warns that it is final
    page.check(f"input[name=ids][value='{ids['Draft A']}']")
    page.select_option("#bulk-action", "archive")
    page.click("[data-testid=bulk-apply]")
    dialog.wait_for(state="visible")
    assert "can't be undone" in dialog.locator("[data-confirm-text]").inner_text()
    assert dialog.locator("[data-confirm-ok]").inner_text() == "Archive 1"


def test_phone_list_is_cards_with_a_one_row_header(live_server, phone_page, alice, alice_org):
    page = phone_page
    names = []
    for i in range(5):
        c = services.campaign_create(organization=alice_org, actor=alice, name=f"Spring sale campaign number {i} with a long name",
                                     objective="traffic", platforms=["meta", "google"], budget_level="campaign",
                                     budget_minor=12_345 + i, currency="USD")
        names.append(c.name)
    sign_in(page, live_server, alice)
    page.goto(f"{live_server.url}/campaigns/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 60, header  # one row: brand, menus, menu button
    for row in page.locator("tr[data-campaign-id]").all():
        for cell in ("td.cell-name a", "td.cell-status .badge", "td.cell-budget"):
            box = row.locator(cell).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (cell, box)
            assert row.locator(cell).is_visible()
        assert row.locator("td.cell-budget").inner_text().startswith("$123.4")
    assert sorted(page.locator("td.cell-name a").all_inner_texts()) == sorted(names)
    shot(page, "campaigns-list-390.png")
