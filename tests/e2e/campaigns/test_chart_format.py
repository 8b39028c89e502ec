"""The dashboard charts in Chromium: axis ticks and tooltips read "2.4×" and "$289.74", never
"2.4000000000000004×"; and a bad custom date range keeps the dates typed."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from campaigns import services
from tests.e2e.helpers import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MONEY = re.compile(r"^-?\$\d{1,3}(,\d{3})*(\.\d{2})?$")
RATIO = re.compile(r"^-?\d+(\.\d{1,2})?×$")




@pytest.fixture
def results(alice, alice_org):
    campaign = services.campaign_create(organization=alice_org, actor=alice, name="Cold Brew Launch", objective="sales", platforms=["meta"])
    ad_set = services.ad_set_create(campaign=campaign, actor=alice, name="US", budget_minor=5000)
    ad = services.ad_create(ad_set=ad_set, actor=alice, name="Pour 15s")
    today = timezone.localdate()
    # spends and values chosen so the ROAS axis steps by 0.2 (0.6000000000000001 in floats) and a day spends $289.74
    days = [(28974, 69538), (10010, 7007), (12345, 29628), (9999, 13999), (20000, 30000), (15000, 36000), (8000, 11200)]
    services.insights_upsert(ad=ad, rows=[
        {"platform": "meta", "date": today - dt.timedelta(days=i + 1), "impressions": 10_000, "clicks": 200, "spend_minor": spend,
         "conversions": 5, "conversion_value_minor": value}
        for i, (spend, value) in enumerate(days)])
    return campaign


def test_axes_and_tooltips_are_formatted(asgi_server, page, alice, results):
    sign_in(page, asgi_server)
    page.goto(f"{asgi_server}/dashboard/?range=7")
    page.wait_for_function("document.documentElement.dataset.campaignCharts === '2'")
    fmt = page.evaluate("""() => [KolonyFormat.ratio(2.4000000000000004), KolonyFormat.money(289.7399999999, 'USD'),
                                  KolonyFormat.moneyTick(1500, 'USD'), KolonyFormat.ratio(0.30000000000000004)]""")
    assert fmt == ["2.4×", "$289.74", "$1,500", "0.3×"]
    ticks = page.evaluate("""() => {
        const line = Chart.getChart(document.getElementById('spend-roas-chart'));
        const bars = Chart.getChart(document.getElementById('campaign-bars-chart'));
        return {y: line.scales.y.ticks.map(t => t.label), y1: line.scales.y1.ticks.map(t => t.label),
                bars: bars.scales.x.ticks.map(t => t.label)};
    }""")
    assert ticks["y1"] and all(RATIO.match(t) for t in ticks["y1"]), ticks["y1"]
    assert ticks["y"] and all(MONEY.match(t) for t in ticks["y"]), ticks["y"]
    assert ticks["bars"] and all(MONEY.match(t) for t in ticks["bars"]), ticks["bars"]

    lines = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('spend-roas-chart'));
        const out = [];
        for (let i = 0; i < chart.data.labels.length; i++) {
            const el = chart.getDatasetMeta(0).data[i];
            chart.tooltip.setActiveElements([{datasetIndex: 0, index: i}, {datasetIndex: 1, index: i}], {x: el.x, y: el.y});
            chart.update();
            out.push(...chart.tooltip.body.flatMap(b => b.lines));
        }
        return out;
    }""")
    spend = [line.split(": ", 1)[1] for line in lines if line.startswith("Spend")]
    roas = [line.split(": ", 1)[1] for line in lines if line.startswith("ROAS")]
    assert "$289.74" in spend and all(MONEY.match(v) for v in spend), spend
    assert "2.4×" in roas and all(RATIO.match(v) for v in roas), roas
    screenshot(page, "dashboard-1280.png", full_page=True)


@pytest.mark.parametrize("path", ["/dashboard/", "campaign"])
def test_bad_custom_range_keeps_the_dates_typed(asgi_server, page, alice, results, path):
    sign_in(page, asgi_server)
    url = f"{asgi_server}/campaigns/{results.pk}/" if path == "campaign" else f"{asgi_server}{path}"
    page.goto(url)
    page.select_option("#range-select", "custom")
    page.fill("#range-from", "2026-03-10")
    page.fill("#range-to", "2026-03-01")
    page.click("[data-testid=range-form] button[type=submit]")
    page.wait_for_selector("[data-testid=range-error]")
    assert "The last day must be on or after the first day." in page.inner_text("[data-testid=range-error]")
    assert page.input_value("#range-select") == "custom"
    assert page.input_value("#range-from") == "2026-03-10" and page.input_value("#range-to") == "2026-03-01"
    assert page.is_visible("#range-from") and page.is_enabled("#range-from")
    # fixing the last day shows that period
    page.fill("#range-to", "2026-03-20")
    page.click("[data-testid=range-form] button[type=submit]")
    page.wait_for_url("**to=2026-03-20**")
    assert page.locator("[data-testid=range-error]").count() == 0
    assert page.input_value("#range-from") == "2026-03-10" and page.input_value("#range-to") == "2026-03-20"
