"""Meta set_status / fetch_status / insights (paging + exact Decimal conversion) / list_accounts
through the real SDK against the Graph stand-in."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.platforms import meta
from campaigns.platforms.base import PlatformError
from tests.integration.platforms.meta_helpers import TOKEN, context

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(alice_org, alice, tmp_path, meta_settings, meta_graph, monkeypatch):
    monkeypatch.setattr(meta.ADAPTER, "sleep", lambda s: None)
    ctx, steps = context(alice_org, alice, tmp_path)
    for step in meta.ADAPTER.steps:
        meta.ADAPTER.run_step(ctx, step)
    ctx.campaign.external = {"meta": {"id": steps["campaign"]["external_id"]}}
    ctx.campaign.save()
    ctx.ad_set.external = {"meta": {"id": steps["ad_set"]["external_id"]}}
    ctx.ad_set.save()
    ctx.ad.external = {"meta": {"id": steps["ad"]["external_id"]}}
    ctx.ad.save()
    return ctx


def test_activate_sets_campaign_ad_set_and_ad_active_then_pause_pauses_the_ad(published, meta_graph):
    objs = meta_graph.state.objects
    ids = [published.campaign.external["meta"]["id"], published.ad_set.external["meta"]["id"], published.ad.external["meta"]["id"]]
    status = meta.ADAPTER.set_status(connection=published.connection, ad=published.ad, active=True)
    assert status == "ACTIVE" and [objs[i]["status"] for i in ids] == ["ACTIVE"] * 3
    status = meta.ADAPTER.set_status(connection=published.connection, ad=published.ad, active=False)
    assert status == "PAUSED" and [objs[i]["status"] for i in ids] == ["ACTIVE", "ACTIVE", "PAUSED"]


def test_fetch_status_reads_effective_status_and_review_feedback(published, meta_graph):
    ad = meta_graph.state.objects[published.ad.external["meta"]["id"]]
    ad.update(status="ACTIVE", effective_status="DISAPPROVED",
              ad_review_feedback={"global": {"Unrealistic outcomes": "Ads can't promise results."}})
    got = meta.ADAPTER.fetch_status(connection=published.connection, ad=published.ad)
    assert got["status"] == "ACTIVE" and got["effective_status"] == "DISAPPROVED"
    assert got["review"] == ["Unrealistic outcomes: Ads can't promise results."]
    assert ad["id"] in got["url"]


def test_status_of_an_unpublished_ad_names_the_ad(published):
    published.ad.external = {}
    with pytest.raises(PlatformError) as exc:
        meta.ADAPTER.fetch_status(connection=published.connection, ad=published.ad)
    assert exc.value.field == "ad"


def test_insights_follow_every_page_and_convert_exactly(published, meta_graph, monkeypatch):
    monkeypatch.setattr(meta, "INSIGHTS_PAGE_LIMIT", 3)
    ad_id = published.ad.external["meta"]["id"]
    start = dt.date(2026, 10, 1)
    rows = []
    for i in range(7):
        rows.append({"date_start": (start + dt.timedelta(days=i)).isoformat(), "impressions": str(1000 + i), "reach": "900",
                     "clicks": "31", "spend": "12.345" if i == 0 else "0.10",
                     "actions": [{"action_type": "omni_purchase", "value": "3"}, {"action_type": "purchase", "value": "3"},
                                 {"action_type": "video_view", "value": "640"}],
                     "action_values": [{"action_type": "omni_purchase", "value": "74.985"}],
                     "video_thruplay_watched_actions": [{"action_type": "video_view", "value": "120"}],
                     "video_p25_watched_actions": [{"action_type": "video_view", "value": "500"}],
                     "video_p100_watched_actions": [{"action_type": "video_view", "value": "90"}],
                     "purchase_roas": [{"action_type": "omni_purchase", "value": "6.07"}]})
    meta_graph.set_insights(ad_id, rows)
    meta_graph.state.accounts["act_1234567890"]["currency"] = "USD"
    got = list(meta.ADAPTER.fetch_insights(connection=published.connection, external_ad_ids=[ad_id],
                                           since=start, until=start + dt.timedelta(days=5)))
    assert [r.date for r in got] == [start + dt.timedelta(days=i) for i in range(6)]
    pages = [r for r in meta_graph.requests if r["path"].endswith("/act_1234567890/insights")]
    assert len(pages) == 2 and pages[1]["params"]["after"] == "3"  # the SDK cursor followed paging.next
    first = got[0]
    assert (first.spend_minor, first.conversions, first.conversion_value_minor) == (1235, 3, 7499)  # ROUND_HALF_UP
    assert (first.impressions, first.reach, first.clicks, first.thruplays, first.video_p25, first.video_p100,
            first.video_p50, first.video_plays) == (1000, 900, 31, 120, 500, 90, 0, 640)
    assert got[1].spend_minor == 10 and got[1].external_ad_id == ad_id
    params = pages[0]["params"]
    assert params["time_increment"] == "1" and params["level"] == "ad"
    assert params["time_range"] == {"since": "2026-10-01", "until": "2026-10-06"}


def test_jpy_account_has_no_minor_digits(published, meta_graph):
    ad_id = published.ad.external["meta"]["id"]
    meta_graph.state.accounts["act_1234567890"]["currency"] = "JPY"
    meta_graph.set_insights(ad_id, [{"date_start": "2026-10-01", "spend": "1234.5"}])
    (row,) = meta.ADAPTER.fetch_insights(connection=published.connection, external_ad_ids=[ad_id],
                                        since=dt.date(2026, 10, 1), until=dt.date(2026, 10, 1))
    assert row.spend_minor == 1235


def test_insights_errors_are_platform_errors(published, meta_graph):
    meta_graph.fail("/insights", "throttle", minutes=2)
    with pytest.raises(PlatformError) as exc:
        list(meta.ADAPTER.fetch_insights(connection=published.connection, external_ad_ids=["1"],
                                         since=dt.date(2026, 10, 1), until=dt.date(2026, 10, 2)))
    assert exc.value.transient and exc.value.retry_after == 120


def test_list_accounts(meta_settings, meta_graph):
    got = meta.ADAPTER.list_accounts(access_token=TOKEN)
    assert [(a.id, a.currency) for a in got] == [("act_1234567890", "EUR"), ("act_2345678901", "USD")]
