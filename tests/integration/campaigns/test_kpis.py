"""KPI maths against hand-computed values, including zero impressions and zero spend."""

import datetime as dt

import pytest

from campaigns import selectors, services
from campaigns.selectors import DateRange

pytestmark = pytest.mark.django_db
D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)
MARCH = DateRange(D1, D3)


@pytest.fixture
def data(alice, tree):
    campaign, ad_set, ad1 = tree
    ad2 = services.ad_create(ad_set=ad_set, actor=alice, name="Bumper 6s")
    services.insights_upsert(ad=ad1, rows=[
        # 10,000 impressions, 200 clicks, $50.00 spend, 5 conversions worth $150.00, 1,000 thruplays
        {"platform": "meta", "date": D1, "impressions": 10_000, "reach": 8_000, "clicks": 200, "spend_minor": 5_000,
         "conversions": 5, "conversion_value_minor": 15_000, "video_plays": 4_000, "thruplays": 1_000},
        # nothing delivered
        {"platform": "meta", "date": D2},
        # 5,000 impressions, 50 clicks, $25.00, no conversions
        {"platform": "google", "date": D3, "impressions": 5_000, "reach": 4_000, "clicks": 50, "spend_minor": 2_500,
         "video_plays": 1_000, "thruplays": 500},
    ])
    # free delivery (no spend) → ROAS undefined, CPC/CPM/CPA zero
    services.insights_upsert(ad=ad2, rows=[{"platform": "meta", "date": D1, "impressions": 1_000, "clicks": 10,
                                             "conversions": 1, "conversion_value_minor": 900}])
    return campaign, ad_set, ad1, ad2


def test_totals(alice_org, data):
    k = selectors.kpis_for(organization=alice_org, date_range=MARCH)
    got = (k["impressions"], k["clicks"], k["spend_minor"], k["conversions"], k["conversion_value_minor"])
    assert got == (16_000, 260, 7_500, 6, 15_900)
    assert k["ctr"] == pytest.approx(260 / 16_000)
    assert k["cpc_minor"] == pytest.approx(7_500 / 260)
    assert k["cpm_minor"] == pytest.approx(7_500 * 1000 / 16_000)
    assert k["cpa_minor"] == pytest.approx(1_250)
    assert k["roas"] == pytest.approx(15_900 / 7_500)
    assert k["thruplay_rate"] == pytest.approx(1_500 / 16_000)


def test_zero_denominators_are_none(alice_org, data):
    by_day = selectors.kpis_for(organization=alice_org, date_range=MARCH, group_by="day")
    assert [r["date"] for r in by_day] == [D1, D2, D3]
    empty = by_day[1]
    assert empty["impressions"] == 0 and all(empty[k] is None for k in selectors.KPIS)
    google_day = by_day[2]
    assert google_day["cpa_minor"] is None  # no conversions
    assert google_day["roas"] == 0.0  # spend but no value
    ad2 = selectors.kpis_for(organization=alice_org, date_range=MARCH, filters={"ad": data[3].pk})
    assert ad2["roas"] is None and ad2["cpc_minor"] == 0.0 and ad2["cpa_minor"] == 0.0
    nothing = selectors.kpis_for(organization=alice_org, date_range=DateRange(dt.date(2025, 1, 1), dt.date(2025, 1, 2)))
    assert nothing == selectors.empty_kpis()


def test_group_by_platform_campaign_and_ad(alice_org, data):
    by_platform = {r["platform"]: r for r in selectors.kpis_for(organization=alice_org, date_range=MARCH, group_by="platform")}
    assert by_platform["google"]["cpm_minor"] == pytest.approx(500.0)
    assert by_platform["meta"]["ctr"] == pytest.approx(210 / 11_000)
    [campaign_row] = selectors.kpis_for(organization=alice_org, date_range=MARCH, group_by="campaign")
    assert (campaign_row["id"], campaign_row["name"], campaign_row["spend_minor"]) == (data[0].pk, "Cold brew", 7_500)
    ads = selectors.kpis_for(organization=alice_org, date_range=MARCH, group_by="ad", order_by="-spend_minor")
    assert [a["name"] for a in ads] == ["Pour 15s", "Bumper 6s"]
    with pytest.raises(ValueError):
        selectors.kpis_for(organization=alice_org, date_range=MARCH, group_by="country")


def test_other_organizations_are_not_counted(charlie_org, data):
    assert selectors.kpis_for(organization=charlie_org, date_range=MARCH)["impressions"] == 0


def test_previous_period_and_change(alice_org, data):
    r = DateRange(D3, D3)
    assert r.previous() == DateRange(D2, D2)
    assert DateRange(D1, D3).previous() == DateRange(dt.date(2026, 2, 26), dt.date(2026, 2, 28))
    assert selectors.change(150, 100) == pytest.approx(0.5)
    assert selectors.change(10, 0) is None and selectors.change(None, 5) is None
    assert DateRange.last(7, today=dt.date(2026, 3, 8)) == DateRange(D1, dt.date(2026, 3, 7))


def test_dashboard_data(alice_org, alice, data):
    current = DateRange(D3, D3)
    d = selectors.dashboard_data(organization=alice_org, date_range=current, use_cache=False)
    assert d["totals"]["spend_minor"] == 2_500 and d["previous"]["spend_minor"] == 0
    assert d["changes"]["spend_minor"] is None
    d = selectors.dashboard_data(organization=alice_org, date_range=DateRange(D2, D3), use_cache=False)
    assert d["previous"]["impressions"] == 11_000 and d["totals"]["impressions"] == 5_000
    assert d["changes"]["impressions"] == pytest.approx(5_000 / 11_000 - 1)
    assert [r["date"] for r in d["series"]] == [D2, D3]
    assert d["campaigns"][0]["name"] == "Cold brew"
    assert [a["name"] for a in d["top_ads"]] == ["Pour 15s"]  # the free ad has no spend, so no ROAS rank


def test_dashboard_cache_sees_new_data(alice_org, data, redis_conn):
    first = selectors.dashboard_data(organization=alice_org, date_range=MARCH)
    services.insights_upsert(ad=data[2], rows=[{"platform": "meta", "date": D2, "impressions": 1, "spend_minor": 100}])
    second = selectors.dashboard_data(organization=alice_org, date_range=MARCH)
    assert second["totals"]["spend_minor"] == first["totals"]["spend_minor"] + 100
    assert any(b"campaigns:dashboard" in k for k in redis_conn.keys("*"))  # shared by every web process


def test_dashboard_numbers_equal_kpis_for_exactly(alice_org, alice, data):
    """The dashboard's consolidated scans give exactly what kpis_for gives for each part (ties in
    spend and ROAS broken by id, ads without spend left out of the ROAS ranks, empty days zero)."""
    campaign, ad_set, ad1, ad2 = data
    more = []
    for i in range(7):
        c = services.campaign_create(organization=alice_org, actor=alice, name=f"C{i}", objective="sales", platforms=["meta"])
        s = services.ad_set_create(campaign=c, actor=alice, name="S", budget_minor=1000)
        for j in range(2):
            ad = services.ad_create(ad_set=s, actor=alice, name=f"A{i}{j}")
            more.append(ad)
            services.insights_upsert(ad=ad, rows=[
                {"platform": "meta", "date": D1 - dt.timedelta(days=k), "impressions": 1000 + 7 * i + k, "clicks": 3 * i + j,
                 "spend_minor": (i % 3) * 100 + j * 50, "conversions": i % 2, "conversion_value_minor": (i % 4) * 150}
                for k in range(4)
            ])
    for date_range in (MARCH, DateRange(D2, D3), DateRange(D1 - dt.timedelta(days=2), D3)):
        got = selectors._dashboard_numbers(alice_org, date_range)
        assert got["totals"] == selectors.kpis_for(organization=alice_org, date_range=date_range)
        assert got["previous"] == selectors.kpis_for(organization=alice_org, date_range=date_range.previous())
        assert got["series"] == selectors.kpis_for(organization=alice_org, date_range=date_range, group_by="day")
        expected = selectors.kpis_for(organization=alice_org, date_range=date_range, group_by="campaign",
                                      order_by="-spend_minor", limit=10)
        assert [{**r, "name": None} for r in expected] == got["campaigns"]
        ads = [r for r in selectors.kpis_for(organization=alice_org, date_range=date_range, group_by="ad") if r["spend_minor"] > 0]
        best = sorted(ads, key=lambda r: (-r["roas"], r["id"]))[:5]
        worst = sorted(ads, key=lambda r: (r["roas"], r["id"]))[:5]
        strip = lambda rows: [{**r, "name": None, "campaign_name": None} for r in rows]  # noqa: E731
        assert got["top_ads"] == strip(best) and got["bottom_ads"] == strip(worst)
        full = selectors.dashboard_data(organization=alice_org, date_range=date_range, use_cache=False)
        assert [r["name"] for r in full["campaigns"]] == [r["name"] for r in expected]
        assert [(r["name"], r["campaign_name"]) for r in full["top_ads"]] == [(r["name"], r["campaign_name"]) for r in best]


def test_orm_python_and_sql_kpis_agree_for_every_kpi(alice_org, data):
    """The three generated forms of the one formula table give the same value for every KPI, on
    the same rows: the ORM annotations (``kpis_for``), ``compute_kpis`` over the sums, and the raw
    SQL of the dashboard's campaign ranking (``_kpi_sql``) — zero denominators included."""
    from django.db import connection

    campaign, ad_set, ad1, ad2 = data
    cases = [({}, MARCH), ({"ad": ad1.pk}, MARCH), ({"ad": ad2.pk}, MARCH), ({}, DateRange(D2, D2)),
             ({"platform": "google"}, MARCH)]
    for filters, date_range in cases:
        orm = selectors.kpis_for(organization=alice_org, date_range=date_range, filters=filters)
        python = selectors.compute_kpis({m: orm[m] for m in selectors.METRICS})
        sums = ", ".join(f"%s::bigint AS m_{m}" for m in selectors.METRICS)
        kpis = ", ".join(f"{expr} AS {k}" for k, expr in selectors._kpi_sql(lambda m: f"m_{m}").items())
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {kpis} FROM (SELECT {sums}) AS t", [orm[m] for m in selectors.METRICS])  # noqa: S608
            sql = dict(zip(selectors.KPIS, cursor.fetchone(), strict=True))
        for kpi in selectors.KPIS:
            assert orm[kpi] == python[kpi] == sql[kpi], (filters, date_range, kpi, orm[kpi], python[kpi], sql[kpi])
    assert set(selectors.KPI_FORMULAS) == set(selectors.KPIS) == {"ctr", "cpc_minor", "cpm_minor", "cpa_minor", "roas",
                                                                   "thruplay_rate"}
    # every case above really covers both a defined and an undefined (zero denominator) value
    day2 = selectors.kpis_for(organization=alice_org, date_range=DateRange(D2, D2))
    assert all(day2[k] is None for k in selectors.KPIS)
