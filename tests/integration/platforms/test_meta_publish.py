"""The Meta publish flow step by step through the real facebook-business SDK against the Graph
API stand-in (tests/fakes/meta_graph.py): what each step sends, that the video goes through the
SDK's chunked uploader on the redirected video host, and that a re-run creates nothing twice."""

from __future__ import annotations

import pytest

from campaigns.platforms import meta
from campaigns.platforms.base import PlatformError
from tests.integration.platforms.meta_helpers import context

pytestmark = pytest.mark.django_db


@pytest.fixture
def adapter(monkeypatch):
    monkeypatch.setattr(meta.ADAPTER, "sleep", lambda s: None)
    return meta.ADAPTER


def publish(adapter, ctx):
    for step in adapter.steps:
        adapter.run_step(ctx, step)


def posts(standin, path_end):
    return [r for r in standin.requests if r["method"] == "POST" and r["path"].endswith(path_end)]


def test_whole_flow_creates_each_object_once_with_the_documented_fields(alice_org, alice, tmp_path, meta_settings,
                                                                         meta_graph, adapter):
    ctx, steps = context(alice_org, alice, tmp_path, ratio="9:16")
    publish(adapter, ctx)

    assert [s for s in steps if s != "video_upload"] == list(adapter.steps)
    assert steps["video_upload"]["external_id"] == steps["video"]["external_id"]  # saved when the upload started
    assert meta_graph.created() == {"campaign": 1, "adset": 1, "video": 1, "creative": 1, "ad": 1, "image": 1}

    (campaign,) = posts(meta_graph, "/act_1234567890/campaigns")
    assert campaign["params"] == {"name": "Launch", "objective": "OUTCOME_TRAFFIC", "special_ad_categories": [],
                                  "status": "PAUSED", "is_adset_budget_sharing_enabled": False}
    (ad_set,) = posts(meta_graph, "/adsets")
    p = ad_set["params"]
    assert p["campaign_id"] == steps["campaign"]["external_id"]
    assert (p["daily_budget"], p["billing_event"], p["optimization_goal"], p["status"]) == ("2000", "IMPRESSIONS", "LINK_CLICKS", "PAUSED")
    assert p["targeting"]["geo_locations"] == {"countries": ["US"]}
    assert p["targeting"]["publisher_platforms"] == ["instagram"]
    assert p["targeting"]["instagram_positions"] == ["reels"]
    assert p["targeting"]["targeting_automation"] == {"advantage_audience": 0}

    video_calls = posts(meta_graph, "/advideos")
    phases = [c["params"]["upload_phase"] for c in video_calls]
    size = ctx.video_path.stat().st_size
    chunks = -(-size // meta_graph.chunk_size)
    assert phases == ["start"] + ["transfer"] * chunks + ["finish"]
    assert video_calls[0]["params"]["file_size"] == str(size)
    assert all(c["files"] == ["video_file_chunk"] for c in video_calls[1:-1])
    offsets = [int(c["params"]["start_offset"]) for c in video_calls[1:-1]]
    assert offsets == [i * meta_graph.chunk_size for i in range(chunks)]

    (creative,) = posts(meta_graph, "/adcreatives")
    spec = creative["params"]["object_story_spec"]
    assert spec["page_id"] == "104000000000001"  # the account's promotable page (no META_PAGE_ID)
    vd = spec["video_data"]
    assert vd["video_id"] == steps["video"]["external_id"]
    assert vd["image_hash"] == steps["thumbnail"]["external_id"]
    assert (vd["title"], vd["message"]) == ("Cold brew, hot days", "Brewed for 18 hours.")
    assert vd["call_to_action"] == {"type": "SHOP_NOW", "value": {"link": "https://aurora.example/shop?utm_source=meta"}}

    (ad,) = posts(meta_graph, "/ads")
    assert ad["params"] == {"name": "Pour 15s", "adset_id": steps["ad_set"]["external_id"],
                            "creative": {"creative_id": steps["creative"]["external_id"]}, "status": "PAUSED"}
    assert meta_graph.state.objects[steps["ad"]["external_id"]]["status"] == "PAUSED"
    assert "selected_ad_ids=" + steps["ad"]["external_id"] in steps["ad"]["detail"]["url"]


def test_rerun_after_every_step_never_creates_twice(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    ctx, steps = context(alice_org, alice, tmp_path)
    for step in adapter.steps:
        adapter.run_step(ctx, step)
        for again in adapter.steps[: adapter.steps.index(step) + 1]:  # a retried job re-enters every finished step
            adapter.run_step(ctx, again)
    assert meta_graph.created() == {"campaign": 1, "adset": 1, "video": 1, "creative": 1, "ad": 1, "image": 1}


def test_linked_campaign_and_ad_set_are_reused(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    first, _ = context(alice_org, alice, tmp_path)
    publish(adapter, first)
    first.campaign.external = {"meta": {"id": first.external_id("campaign")}}
    first.ad_set.external = {"meta": {"id": first.external_id("ad_set")}}
    second, steps = context(alice_org, alice, tmp_path, tree=(first.campaign, first.ad_set, first.ad),
                            connection=first.connection)
    publish(adapter, second)
    assert steps["campaign"]["detail"] == {"reused": True}
    assert meta_graph.created()["campaign"] == 1 and meta_graph.created()["adset"] == 1
    assert meta_graph.created()["ad"] == 2


def test_video_upload_goes_to_the_video_host_setting(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    """The SDK hard-codes graph-video.facebook.com; _KolonyApi redirects it to META_GRAPH_VIDEO_URL
    (and only those calls: with the video host pointing nowhere, Graph calls still work)."""
    from tests.fakes.meta_graph import MetaGraphStandIn

    video_host = MetaGraphStandIn().start()
    try:
        meta_settings.META_GRAPH_VIDEO_URL = video_host.url
        ctx, steps = context(alice_org, alice, tmp_path)
        adapter.run_step(ctx, "campaign")
        adapter.run_step(ctx, "video")
        phases = [r["params"].get("upload_phase") for r in video_host.requests]
        assert phases[0] == "start" and phases[-1] == "finish" and set(phases[1:-1]) == {"transfer"}
        assert all(r["path"] == "/v26.0/act_1234567890/advideos" for r in video_host.requests)
        assert video_host.created()["video"] == 1 and steps["video"]["external_id"] in video_host.state.objects
        assert not posts(meta_graph, "/advideos") and posts(meta_graph, "/campaigns")
    finally:
        video_host.stop()
    # and the redirect really is the SDK's own host string
    import inspect

    from facebook_business import video_uploader  # type: ignore[import-untyped]

    assert meta.SDK_VIDEO_HOST in inspect.getsource(video_uploader.VideoUploadRequest.send)


def test_video_polls_until_ready_with_injected_sleep(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    meta_graph.processing_polls = 3
    slept = []
    adapter.sleep = slept.append
    ctx, steps = context(alice_org, alice, tmp_path)
    for step in ("campaign", "ad_set", "video", "video_ready"):
        adapter.run_step(ctx, step)
    polls = [r for r in meta_graph.requests if r["method"] == "GET" and r["path"].rstrip("/").endswith("/" + steps["video"]["external_id"])]
    assert len(polls) == 4 and all(r["params"]["fields"] == "status" for r in polls)
    assert slept == [adapter.video_poll_interval_s] * 3
    assert steps["video_ready"]["external_id"] == steps["video"]["external_id"]


def test_video_still_processing_is_transient_and_resumes(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter,
                                                        monkeypatch):
    meta_graph.processing_polls = 5
    monkeypatch.setattr(adapter, "video_poll_attempts", 2)
    ctx, steps = context(alice_org, alice, tmp_path)
    for step in ("campaign", "ad_set", "video"):
        adapter.run_step(ctx, step)
    with pytest.raises(PlatformError) as exc:
        adapter.run_step(ctx, "video_ready")
    assert exc.value.transient and exc.value.code == "video_processing"
    with pytest.raises(PlatformError):
        adapter.run_step(ctx, "video_ready")  # polls 3-4: still processing
    assert "video_ready" not in steps
    monkeypatch.setattr(adapter, "video_poll_attempts", 5)
    adapter.run_step(ctx, "video_ready")
    assert steps["video_ready"]["status"] == "done"
    assert meta_graph.created()["video"] == 1


def test_no_poster_uses_metas_preferred_thumbnail(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    ctx, steps = context(alice_org, alice, tmp_path, poster=False)
    publish(adapter, ctx)
    (creative,) = posts(meta_graph, "/adcreatives")
    vd = creative["params"]["object_story_spec"]["video_data"]
    assert "image_hash" not in vd and vd["image_url"].endswith(f"/_thumbs/{steps['video']['external_id']}.jpg")
    assert meta_graph.created()["image"] == 0


def test_page_id_setting_wins(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    meta_settings.META_PAGE_ID = "555000111"
    ctx, _ = context(alice_org, alice, tmp_path)
    publish(adapter, ctx)
    assert posts(meta_graph, "/adcreatives")[0]["params"]["object_story_spec"]["page_id"] == "555000111"
    assert not [r for r in meta_graph.requests if r["path"].endswith("/promote_pages")]


@pytest.mark.parametrize(("objective", "goal"), [("awareness", "REACH"), ("traffic", "LINK_CLICKS"),
                                                 ("engagement", "THRUPLAY"), ("leads", "LEAD_GENERATION"),
                                                 ("app_promotion", "APP_INSTALLS"), ("sales", "OFFSITE_CONVERSIONS")])
def test_every_objective_maps_to_outcome_and_goal(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter,
                                                  objective, goal):
    ctx, _ = context(alice_org, alice, tmp_path, objective=objective)
    adapter.run_step(ctx, "campaign")
    adapter.run_step(ctx, "ad_set")
    assert posts(meta_graph, "/campaigns")[0]["params"]["objective"] == "OUTCOME_" + objective.upper()
    assert posts(meta_graph, "/adsets")[0]["params"]["optimization_goal"] == goal


@pytest.mark.parametrize(("kolony", "sent"), [((), []), (("credit",), ["FINANCIAL_PRODUCTS_SERVICES"]),
                                              (("housing", "employment"), ["HOUSING", "EMPLOYMENT"]),
                                              (("issues_elections_politics",), ["ISSUES_ELECTIONS_POLITICS"])])
def test_special_ad_categories_always_sent(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter, kolony, sent):
    ctx, _ = context(alice_org, alice, tmp_path, special_ad_categories=kolony)
    adapter.run_step(ctx, "campaign")
    assert posts(meta_graph, "/campaigns")[0]["params"]["special_ad_categories"] == sent


def test_campaign_budget_goes_on_the_campaign(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    from campaigns import services as campaign_services

    campaign = campaign_services.campaign_create(organization=alice_org, actor=alice, name="CBO", objective="sales",
                                                 platforms=["meta"], budget_level="campaign", budget_minor=5000)
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=alice, name="Feed", placements=["facebook_feed"])
    ad = campaign_services.ad_create(ad_set=ad_set, actor=alice, name="Ad", destination_url="https://aurora.example/")
    ctx, _ = context(alice_org, alice, tmp_path, ratio="1:1", tree=(campaign, ad_set, ad))
    publish(adapter, ctx)
    c = posts(meta_graph, "/campaigns")[0]["params"]
    assert c["daily_budget"] == "5000" and "is_adset_budget_sharing_enabled" not in c
    assert c["bid_strategy"] == "LOWEST_COST_WITHOUT_CAP"
    a = posts(meta_graph, "/adsets")[0]["params"]
    assert "daily_budget" not in a and "lifetime_budget" not in a
    assert a["targeting"]["facebook_positions"] == ["feed"]


def test_wrong_ratio_for_reels_fails_on_the_ad_with_metas_words(alice_org, alice, tmp_path, meta_settings, meta_graph,
                                                                adapter):
    ctx, steps = context(alice_org, alice, tmp_path, ratio="16:9", placements=("instagram_reels",))
    with pytest.raises(PlatformError) as exc:
        publish(adapter, ctx)
    err = exc.value
    assert "ad" not in steps and "creative" in steps
    assert "9:16" in err.message and "160x90" in err.message
    assert err.field == "creative" and err.code == "100/1487390" and not err.transient


def test_budget_below_minimum_blames_the_budget(alice_org, alice, tmp_path, meta_settings, meta_graph, adapter):
    ctx, steps = context(alice_org, alice, tmp_path, budget_minor=50)
    adapter.run_step(ctx, "campaign")
    with pytest.raises(PlatformError) as exc:
        adapter.run_step(ctx, "ad_set")
    assert exc.value.field == "daily_budget" and exc.value.code == "100/1885272"
    assert "minimum budget" in exc.value.message and "ad_set" not in steps
