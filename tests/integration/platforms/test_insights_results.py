"""Results per render version: exact sums and KPIs per version and currency, on the job page, the
review page and the dashboard; another organization sees none of them."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import Ad
from campaigns.platforms.results import creative_version_results, job_results_by_version, render_results
from campaigns.selectors import DateRange
from campaigns.templatetags.campaign_format import money, pct, times
from tests.integration.campaigns.studio_helpers import make_render
from tests.integration.platforms.insights_fakes import bare_render, publish

pytestmark = pytest.mark.django_db


def _day(n):
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def versions(alice, alice_org, tree):
    """v1 in one Meta ad; v2 in a Meta ad and a Google ad, plus an ad in a EUR campaign; one ad without a render."""
    campaign, ad_set, ad_v1 = tree
    v1 = bare_render(alice_org, alice, number=1)
    v2 = bare_render(alice_org, alice, number=2, job=v1.job)
    ad_v2_meta = services.ad_create(ad_set=ad_set, actor=alice, name="v2 meta", destination_url="https://a.example/")
    ad_v2_google = services.ad_create(ad_set=ad_set, actor=alice, name="v2 google", destination_url="https://a.example/")
    eur = services.campaign_create(organization=alice_org, actor=alice, name="Berlin", objective="sales",
                                   platforms=["meta"], currency="EUR")
    eur_set = services.ad_set_create(campaign=eur, actor=alice, name="DE", budget_minor=5000)
    ad_v2_eur = services.ad_create(ad_set=eur_set, actor=alice, name="v2 de", destination_url="https://a.example/")
    plain = services.ad_create(ad_set=ad_set, actor=alice, name="upload", destination_url="https://a.example/")
    for ad, render in ((ad_v1, v1), (ad_v2_meta, v2), (ad_v2_google, v2), (ad_v2_eur, v2)):
        Ad.objects.filter(pk=ad.pk).update(creative_render=render)
    publish(ad_v1, "meta", "1"), publish(ad_v2_meta, "meta", "2"), publish(ad_v2_eur, "meta", "4")

    def rows(platform, days, **m):
        return [{"platform": platform, "date": _day(d), **m} for d in days]

    services.insights_upsert(ad=ad_v1, rows=rows("meta", [1, 2], impressions=1000, clicks=30, spend_minor=2500,
                                                 conversions=2, conversion_value_minor=9000, thruplays=250))
    services.insights_upsert(ad=ad_v2_meta, rows=rows("meta", [1], impressions=3000, clicks=45, spend_minor=3333,
                                                      conversions=3, conversion_value_minor=12000, thruplays=900))
    services.insights_upsert(ad=ad_v2_google, rows=rows("google", [1, 3], impressions=500, clicks=5, spend_minor=1000,
                                                        conversions=0, thruplays=100))
    services.insights_upsert(ad=ad_v2_eur, rows=rows("meta", [1], impressions=200, clicks=2, spend_minor=700,
                                                     conversions=1, conversion_value_minor=1400, thruplays=20))
    services.insights_upsert(ad=plain, rows=rows("meta", [1], impressions=99999, spend_minor=99999))
    return v1, v2


def test_each_version_sums_its_own_ads_exactly(versions, alice_org):
    v1, v2 = versions
    r1 = render_results(organization=alice_org, render=v1)
    assert (r1["number"], r1["ads"], r1["published_ads"], r1["has_data"]) == (1, 1, 1, True)
    (usd,) = r1["by_currency"]
    assert (usd["currency"], usd["spend_minor"], usd["impressions"], usd["clicks"]) == ("USD", 5000, 2000, 60)
    assert usd["ctr"] == 60 / 2000 and usd["thruplay_rate"] == 500 / 2000
    assert usd["cpa_minor"] == 5000 / 4 and usd["roas"] == 18000 / 5000

    r2 = render_results(organization=alice_org, render=v2)
    assert (r2["ads"], r2["published_ads"]) == (3, 2)
    usd, eur = r2["by_currency"]  # by spend, never added across currencies
    assert (usd["currency"], usd["spend_minor"], usd["impressions"], usd["clicks"], usd["conversions"]) == \
        ("USD", 5333, 4000, 55, 3)
    assert usd["ctr"] == 55 / 4000 and usd["thruplay_rate"] == 1100 / 4000
    assert usd["cpa_minor"] == 5333 / 3 and usd["roas"] == 12000 / 5333
    assert (eur["currency"], eur["spend_minor"], eur["roas"]) == ("EUR", 700, 2.0)


def test_job_versions_newest_first_and_a_version_without_ads(versions, alice, alice_org):
    v1, v2 = versions
    v3 = bare_render(alice_org, alice, number=3, job=v1.job)
    rows = job_results_by_version(organization=alice_org, job=v1.job)
    assert [r["number"] for r in rows] == [3, 2, 1]
    assert rows[0] == {"render": v3.pk, "number": 3, "review_status": "draft", "ads": 0, "published_ads": 0,
                       "by_currency": [], "has_data": False}
    assert rows[1]["by_currency"] == render_results(organization=alice_org, render=v2)["by_currency"]


def test_zero_denominators_are_none(alice, alice_org, tree):
    render = bare_render(alice_org, alice)
    Ad.objects.filter(pk=tree[2].pk).update(creative_render=render)
    services.insights_upsert(ad=tree[2], rows=[{"platform": "meta", "date": _day(1), "impressions": 10}])
    (row,) = render_results(organization=alice_org, render=render)["by_currency"]
    assert (row["cpa_minor"], row["roas"], row["ctr"]) == (None, None, 0.0)


def test_dashboard_ranking_by_version_in_one_currency(versions, alice_org):
    v1, v2 = versions
    period = DateRange(_day(7), _day(0))
    rows = creative_version_results(organization=alice_org, date_range=period, currency="USD")
    assert [(r["render"], r["spend_minor"]) for r in rows] == [(v2.pk, 5333), (v1.pk, 5000)]
    assert rows[0]["job_title"] == "Cold brew" and rows[0]["number"] == 2
    only_yesterday = creative_version_results(organization=alice_org, date_range=DateRange(_day(1), _day(1)),
                                              currency="USD")
    assert [(r["render"], r["spend_minor"]) for r in only_yesterday] == [(v2.pk, 4333), (v1.pk, 2500)]
    assert [r["spend_minor"] for r in creative_version_results(organization=alice_org, date_range=period,
                                                               currency="EUR")] == [700]


def test_charlie_sees_nothing_of_alices_versions(versions, charlie_org, charlie_client):
    v1, v2 = versions
    for render in (v1, v2):
        got = render_results(organization=charlie_org, render=render)
        assert (got["ads"], got["by_currency"], got["has_data"]) == (0, [], False)
    assert job_results_by_version(organization=charlie_org, job=v1.job) == []
    assert creative_version_results(organization=charlie_org, date_range=DateRange(_day(7), _day(0))) == []
    assert charlie_client.get(reverse("videogen:job", args=[v1.job_id])).status_code == 404


def test_job_page_shows_results_per_version(alice, alice_org, tree, alice_client, bob_client, client_for, member_of):
    campaign, ad_set, ad = tree
    render = make_render(alice_org, alice)
    Ad.objects.filter(pk=ad.pk).update(creative_render=render)
    publish(ad, "meta", "9")
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": _day(1), "impressions": 4000, "clicks": 52,
                                           "spend_minor": 12345, "conversions": 5, "conversion_value_minor": 61725,
                                           "thruplays": 1000}])
    for client in (alice_client, bob_client, client_for(member_of("viewer"))):
        page = client.get(reverse("videogen:job", args=[render.job_id])).content.decode()
        assert "Results by version" in page
        for text in (money(12345, "USD"), pct(52 / 4000), pct(1000 / 4000), money(12345 / 5, "USD"), times(5.0)):
            assert str(text) in page, text
        review = client.get(reverse("videogen:review", args=[render.pk])).content.decode()
        assert "Results of this version" in review and str(money(12345, "USD")) in review


def test_job_page_says_when_there_are_no_results(alice, alice_org, alice_client):
    render = make_render(alice_org, alice)
    page = alice_client.get(reverse("videogen:job", args=[render.job_id])).content.decode()
    assert "publish this version to an ad" in page


def test_dashboard_by_creative_version_table(versions, alice_client):
    v1, v2 = versions
    page = alice_client.get(reverse("home") + "?currency=USD").content.decode()  # EUR ties USD and sorts first
    assert "By creative version" in page
    table = page[page.index('data-testid="creative-versions"'):]
    assert table.index(f'data-render-id="{v2.pk}"') < table.index(f'data-render-id="{v1.pk}"')
    assert str(money(5333, "USD")) in table and str(times(12000 / 5333)) in table
    eur = alice_client.get(reverse("home") + "?currency=EUR").content.decode()
    eur_table = eur[eur.index('data-testid="creative-versions"'):eur.index("</table>", eur.index('data-testid="creative-versions"'))]
    assert eur_table.count("data-render-id=") == 1 and str(money(700, "EUR")) in eur_table
