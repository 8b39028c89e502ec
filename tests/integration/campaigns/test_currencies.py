"""Money in several currencies is never added up: the dashboard, the KPI API and the report show one
currency's campaigns at a time and offer the others."""


import pytest

from campaigns import selectors, services
from campaigns.selectors import DateRange

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(alice, alice_org, yesterday):
    """Two USD campaigns ($10.00 + $20.00 spent yesterday) and one EUR campaign (€70.00)."""
    def campaign(name, currency, spend_minor, value_minor):
        c = services.campaign_create(organization=alice_org, actor=alice, name=name, objective="sales",
                                     platforms=["meta"], currency=currency)
        s = services.ad_set_create(campaign=c, actor=alice, name="All", budget_minor=5000)
        ad = services.ad_create(ad_set=s, actor=alice, name=f"{name} ad")
        services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 1000, "clicks": 10,
                                               "spend_minor": spend_minor, "conversions": 1,
                                               "conversion_value_minor": value_minor}])
        return c

    return campaign("Austin", "USD", 1_000, 3_000), campaign("Boston", "USD", 2_000, 3_000), campaign("Berlin", "EUR", 7_000, 7_000)


def test_dashboard_numbers_cover_one_currency(alice_org, mixed):
    rng = DateRange.last(7)
    usd = selectors.dashboard_data(organization=alice_org, date_range=rng, use_cache=False)
    assert usd["currency"] == "USD" and usd["currencies"] == ["USD", "EUR"]  # most used first
    assert usd["totals"]["spend_minor"] == 3_000 and usd["totals"]["roas"] == pytest.approx(2.0)
    assert {r["name"] for r in usd["campaigns"]} == {"Austin", "Boston"}
    eur = selectors.dashboard_data(organization=alice_org, date_range=rng, currency="EUR")
    assert eur["currency"] == "EUR" and eur["totals"]["spend_minor"] == 7_000 and [r["name"] for r in eur["campaigns"]] == ["Berlin"]
    unknown = selectors.dashboard_data(organization=alice_org, date_range=rng, currency="GBP")
    assert unknown["currency"] == "USD" and unknown["totals"]["spend_minor"] == 3_000


def test_dashboard_page_shows_one_currency_and_links_the_others(alice_client, mixed):
    page = alice_client.get("/dashboard/?range=7").content.decode()
    assert 'data-kpi="spend">$30.00<' in page  # USD only: not $100 of dollars and euros mixed
    assert 'href="?range=7&amp;currency=EUR"' in page and "never added up" in page
    eur = alice_client.get("/dashboard/?range=7&currency=EUR").content.decode()
    assert 'data-kpi="spend">€70.00<' in eur and "Berlin" in eur and "Austin" not in eur.split("Recent activity")[0]
    assert 'name="currency" value="EUR"' in eur  # the period form keeps the currency
    assert "currency=EUR" in eur.split("Daily report CSV")[0].rsplit("href=", 1)[1]


def test_single_currency_organization_shows_no_switch(alice_client, tree):
    page = alice_client.get("/dashboard/").content.decode()
    assert 'data-testid="currency-switch"' not in page and 'name="currency"' not in page


def test_kpi_api_filters_by_currency_and_says_which(alice_api, mixed):
    mixed_totals = alice_api.get("/api/v1/kpis/?group_by=campaign").json()
    assert mixed_totals["currency"] is None and mixed_totals["currencies"] == ["USD", "EUR"]
    eur = alice_api.get("/api/v1/kpis/?currency=EUR&group_by=campaign").json()
    assert eur["currency"] == "EUR" and eur["totals"]["spend_minor"] == 7_000
    assert [r["name"] for r in eur["results"]] == ["Berlin"]
    bad = alice_api.get("/api/v1/kpis/?currency=ZZZ")
    assert bad.status_code == 400 and "currency" in bad.json()["errors"]


def test_kpi_api_single_currency_names_it(alice_api, tree):
    body = alice_api.get("/api/v1/kpis/").json()
    assert body["currency"] == "USD" and body["currencies"] == ["USD"]


def test_report_csv_keeps_to_the_dashboards_currency(alice_client, mixed, yesterday):
    day = yesterday.isoformat()
    csv_text = b"".join(alice_client.get(f"/campaigns/report.csv?group_by=campaign&range=custom&from={day}&to={day}&currency=EUR")
                        .streaming_content).decode()
    assert "Berlin" in csv_text and "Austin" not in csv_text
    every = b"".join(alice_client.get(f"/campaigns/report.csv?group_by=campaign&range=custom&from={day}&to={day}")
                     .streaming_content).decode()
    assert "Berlin" in every and "Austin" in every  # per campaign: each row is in its campaign's currency
