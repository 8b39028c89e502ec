"""The Google Ads adapter through the real google-ads SDK (API v26) against the local gRPC +
resumable-upload stand-in (tests/fakes/google_ads.py): the whole publish flow, resume without
duplicates, validate_only errors field by field, every error mapping, insights, status."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from PIL import Image

from campaigns import services
from campaigns.models import PlatformConnection
from campaigns.platforms import google
from campaigns.platforms.base import PlatformError, PublishContext
from videogen.engine.render.ffmpeg import ffmpeg_exe

pytestmark = pytest.mark.django_db
CID = "1234567890"


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A real 16:9 and a 9:16 MP4 and a 16:9 poster PNG."""
    root = tmp_path_factory.mktemp("google_media")
    out = {}
    for name, size in (("wide", "320x180"), ("tall", "180x320")):
        path = root / f"{name}.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d=0.5",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
        out[name] = path
    poster = root / "poster.png"
    Image.new("RGB", (640, 360), (200, 120, 40)).save(poster)
    out["poster"] = poster
    return out


@pytest.fixture
def gads(google_ads_settings, monkeypatch):
    monkeypatch.setattr(google, "POLL_INTERVAL_S", 0)
    return google_ads_settings


@pytest.fixture
def connection(alice_org):
    conn = PlatformConnection(organization=alice_org, platform="google", ad_account_id=CID, account_name="Aurora Coffee",
                              token_expires_at=timezone.now() + dt.timedelta(hours=1))
    conn.token = "ya29.standin-access"
    conn.refresh_token = "1//standin-refresh"
    conn.save()
    return conn


class Recorder:
    """The orchestrator's side of PublishContext: steps kept in a dict, like Publication.steps."""

    def __init__(self):
        self.steps: dict[str, dict] = {}
        self.progress_calls: list[tuple[str, float]] = []

    def ctx(self, *, connection, campaign, ad_set, ad, video: Path, poster: Path | None, generated=True) -> PublishContext:
        return PublishContext(
            publication=SimpleNamespace(pk=42), connection=connection, render=None, campaign=campaign, ad_set=ad_set,
            ad=ad, video_path=video, poster_path=poster, generated_content=generated,
            record=lambda step, external_id, **detail: self.steps.__setitem__(
                step, {"status": "done", "external_id": external_id, "detail": detail}),
            done=lambda step: (self.steps.get(step) or {}).get("status") == "done",
            external_id=lambda step: (self.steps.get(step) or {}).get("external_id", ""),
            progress=lambda step, fraction: self.progress_calls.append((step, fraction)),
        )


@pytest.fixture
def publish(tree, connection, media):
    campaign, ad_set, ad = tree
    ad.headline, ad.primary_text, ad.description = "Cold brew, done right", "Slow-steeped for 18 hours.", "Order today"
    ad.save()

    def make(*, video="wide", recorder=None, generated=True):
        recorder = recorder or Recorder()
        return recorder, recorder.ctx(connection=connection, campaign=campaign, ad_set=ad_set, ad=ad, video=media[video],
                                      poster=media["poster"], generated=generated)
    return make


def run_all(ctx):
    for step in google.ADAPTER.steps:
        google.ADAPTER.run_step(ctx, step)


def test_publish_flow_creates_everything_once_through_the_sdk(gads, publish):
    recorder, ctx = publish()
    run_all(ctx)

    assert set(recorder.steps) >= {"video", "video_processed", "validate", "campaign", "ad_set", "ad", "mutate"}
    upload = gads.state.uploads[recorder.steps["video"]["external_id"]]
    assert upload.video_privacy.name == "UNLISTED"
    assert upload.video_content_metadata.generative_content_disclosure.name == "GENERATIVE_CONTENT"
    assert upload.state.name == "PROCESSED" and recorder.steps["video_processed"]["external_id"] == upload.video_id
    assert gads.state.upload_bytes[upload.resource_name]["dims"] == (320, 180)

    campaign = gads.state.campaigns[recorder.steps["campaign"]["external_id"]]
    assert campaign.advertising_channel_type.name == "DEMAND_GEN" and campaign.status.name == "PAUSED"
    budget = gads.state.budgets[campaign.campaign_budget]
    assert budget.amount_micros == 5000 * 10_000  # 50.00 USD a day in micros
    ad_group = gads.state.ad_groups[recorder.steps["ad_set"]["external_id"]]
    assert ad_group.campaign == campaign.resource_name
    assert ad_group.demand_gen_ad_group_settings.channel_controls.channel_strategy.name == "ALL_CHANNELS"
    aga = gads.state.ad_group_ads[recorder.steps["ad"]["external_id"]]
    info = aga.ad.demand_gen_video_responsive_ad
    assert aga.status.name == "PAUSED" and aga.ad.final_urls == ["https://aurora.example/shop"]
    assert [h.text for h in info.headlines] == ["Cold brew, done right"]
    assert [h.text for h in info.long_headlines] == ["Slow-steeped for 18 hours."]
    assert info.business_name.text and len(info.videos) == 1 and len(info.logo_images) == 1
    assert gads.state.assets[info.videos[0].asset].youtube_video_asset.youtube_video_id == upload.video_id
    assert {k: gads.count(k) for k in ("budgets", "campaigns", "ad_groups", "ad_group_ads", "uploads")} == dict.fromkeys(
        ("budgets", "campaigns", "ad_groups", "ad_group_ads", "uploads"), 1)

    # the request sequence: upload start + chunk(s), state polls, one dry run, then the real mutate
    calls = gads.calls()
    kinds = [(m, d.get("command") or d.get("validate_only")) for m, d in calls if m in ("upload", "Mutate")]
    assert kinds[0] == ("upload", "start") and kinds[1][1].endswith("finalize")
    mutates = [d for m, d in calls if m == "Mutate"]
    assert [d["validate_only"] for d in mutates] == [True, False]
    assert mutates[1]["operations"] == ["campaign_budget_operation", "campaign_operation", "ad_group_operation",
                                        "asset_operation", "asset_operation", "asset_operation", "ad_group_ad_operation"]
    assert len([1 for m, d in calls if m == "Search" and "you_tube_video_upload" in d["query"]]) == 2


def test_no_generative_disclosure_when_nothing_was_generated(gads, publish):
    recorder, ctx = publish(generated=False)
    google.ADAPTER.run_step(ctx, "video")
    upload = gads.state.uploads[recorder.steps["video"]["external_id"]]
    assert upload.video_content_metadata.generative_content_disclosure.name == "UNSPECIFIED"


@pytest.mark.parametrize("crash_after", range(len(google.ADAPTER.steps)))
def test_retry_after_a_crash_resumes_without_duplicates(gads, publish, crash_after):
    recorder, ctx = publish()
    for step in google.ADAPTER.steps[: crash_after + 1]:
        google.ADAPTER.run_step(ctx, step)
    # the job dies here; a retry runs every step again with what was recorded
    _, ctx2 = publish(recorder=recorder)
    run_all(ctx2)
    assert [gads.count(k) for k in ("uploads", "budgets", "campaigns", "ad_groups", "ad_group_ads")] == [1, 1, 1, 1, 1]
    assert gads.count("assets") == 3


def test_validate_only_reports_every_error_by_field_and_creates_nothing(gads, publish, tree):
    campaign, ad_set, ad = tree
    ad_set.budget_minor = 400  # 4 USD a day < the Demand Gen minimum of 5
    ad_set.save()
    ad.headline = "A headline that is far longer than the forty characters Google allows"
    ad.save()
    recorder, ctx = publish()
    google.ADAPTER.run_step(ctx, "video")
    google.ADAPTER.run_step(ctx, "video_processed")
    with pytest.raises(PlatformError) as err:
        google.ADAPTER.run_step(ctx, "validate")
    fields = {e["field"]: e["code"] for e in err.value.details["errors"]}
    assert fields == {"campaign_budget.amount_micros": "CampaignBudgetError.BUDGET_BELOW_PER_DAY_MINIMUM",
                      "ad_group_ad.ad.demand_gen_video_responsive_ad.headlines[0].text": "StringLengthError.TOO_LONG"}
    assert "campaign_budget.amount_micros: The budget is below the per-day minimum of 5 USD" in err.value.message
    assert err.value.field == "campaign_budget.amount_micros" and not err.value.transient
    assert "validate" not in recorder.steps
    assert [gads.count(k) for k in ("budgets", "campaigns", "ad_groups", "assets", "ad_group_ads")] == [0, 0, 0, 0, 0]


@pytest.mark.parametrize(("placement", "video", "ok"), [("youtube_shorts", "wide", False), ("youtube_shorts", "tall", True),
                                                        ("youtube_instream", "tall", False), ("youtube_instream", "wide", True)])
def test_the_placements_aspect_ratio_is_checked(gads, publish, tree, placement, video, ok):
    _, ad_set, _ = tree
    ad_set.placements = [placement]
    ad_set.save()
    recorder, ctx = publish(video=video)
    for step in ("video", "video_processed"):
        google.ADAPTER.run_step(ctx, step)
    if ok:
        google.ADAPTER.run_step(ctx, "validate")
        assert "validate" in recorder.steps
        return
    with pytest.raises(PlatformError) as err:
        google.ADAPTER.run_step(ctx, "validate")
    assert err.value.code == "MediaUploadError.ASPECT_RATIO_NOT_ALLOWED"
    assert err.value.field == "ad_group_ad.ad.demand_gen_video_responsive_ad.videos[0].asset"


@pytest.mark.parametrize(("kind", "code", "transient", "auth"), [
    ("throttle", "QuotaError.RESOURCE_EXHAUSTED", True, False),
    ("transient", "InternalError.TRANSIENT_ERROR", True, False),
    ("unavailable", "UNAVAILABLE", True, False),
    ("hang", "DEADLINE_EXCEEDED", True, False),
    ("permanent", "MutateError.MUTATE_NOT_ALLOWED", False, False),
    ("auth", "AuthenticationError.OAUTH_TOKEN_EXPIRED", False, True),
])
def test_each_grpc_failure_maps_to_a_platform_error(gads, publish, monkeypatch, kind, code, transient, auth):
    monkeypatch.setattr(google, "CALL_TIMEOUT_S", 1.0)
    recorder, ctx = publish()
    google.ADAPTER.run_step(ctx, "video")
    google.ADAPTER.run_step(ctx, "video_processed")
    gads.fail("Mutate", kind)
    with pytest.raises(PlatformError) as err:
        google.ADAPTER.run_step(ctx, "validate")
    assert (err.value.code, err.value.transient, err.value.auth) == (code, transient, auth)
    if kind == "throttle":
        assert err.value.retry_after == 30
    assert "validate" not in recorder.steps
    google.ADAPTER.run_step(ctx, "validate")  # the next try goes through
    assert "validate" in recorder.steps


@pytest.mark.parametrize(("kind", "transient", "auth"), [("throttle", True, False), ("transient", True, False),
                                                         ("permanent", False, False), ("auth", False, True)])
def test_upload_failures_map_to_platform_errors(gads, publish, kind, transient, auth):
    recorder, ctx = publish()
    gads.fail("upload", kind)
    with pytest.raises(PlatformError) as err:
        google.ADAPTER.run_step(ctx, "video")
    assert (err.value.transient, err.value.auth) == (transient, auth)
    assert err.value.message  # Google's own words
    assert "video" not in recorder.steps and gads.count("uploads") == 0


def test_a_revoked_token_is_an_auth_error(gads, publish):
    recorder, ctx = publish()
    gads.revoke("ya29.standin-access")
    with pytest.raises(PlatformError) as err:
        google.ADAPTER.run_step(ctx, "video")
    assert err.value.auth


def test_video_rejected_by_youtube_fails_permanently(gads, publish):
    gads.state.upload_outcome = "REJECTED"
    recorder, ctx = publish()
    google.ADAPTER.run_step(ctx, "video")
    with pytest.raises(PlatformError) as err:
        google.ADAPTER.run_step(ctx, "video_processed")
    assert err.value.code == "YouTubeVideoUploadState.REJECTED" and not err.value.transient


def test_set_status_and_fetch_status(gads, publish, tree):
    recorder, ctx = publish()
    run_all(ctx)
    campaign, ad_set, ad = tree
    campaign.external = {"google": {"id": recorder.steps["campaign"]["external_id"]}}
    campaign.save()
    ad.external = {"google": {"id": recorder.steps["ad"]["external_id"]}}
    ad.save()
    ad.refresh_from_db()
    conn = ctx.connection
    status = google.ADAPTER.fetch_status(connection=conn, ad=ad)
    assert (status["status"], status["effective_status"], status["approval_status"]) == ("PAUSED", "PAUSED", "APPROVED")

    assert google.ADAPTER.set_status(connection=conn, ad=ad, active=True) == "ENABLED"
    status = google.ADAPTER.fetch_status(connection=conn, ad=ad)
    assert (status["status"], status["campaign_status"], status["effective_status"]) == ("ENABLED", "ENABLED", "ELIGIBLE")

    gads.set_policy(recorder.steps["ad"]["external_id"], approval="DISAPPROVED", topics=("ALCOHOL",))
    status = google.ADAPTER.fetch_status(connection=conn, ad=ad)
    assert status["effective_status"] == "NOT_ELIGIBLE" and status["review"] == ["ALCOHOL (PROHIBITED)"]

    assert google.ADAPTER.set_status(connection=conn, ad=ad, active=False) == "PAUSED"
    assert google.ADAPTER.fetch_status(connection=conn, ad=ad)["status"] == "PAUSED"
    assert [m for m, _ in gads.calls() if m in ("MutateAdGroupAds",)] == ["MutateAdGroupAds"]


def test_insights_follow_every_stream_batch_and_convert_micros_exactly(gads, publish):
    recorder, ctx = publish()
    run_all(ctx)
    aga = recorder.steps["ad"]["external_id"]
    days = {"2026-03-01": (1_234_567, 0.25), "2026-03-02": (1_235_000, 0.5), "2026-03-03": (999_999_999, 0.0),
            "2026-03-05": (10_000, 1.0)}
    for day, (micros, rate) in days.items():
        gads.add_metrics(aga, day, impressions=1000, clicks=37, cost_micros=micros, conversions=2.5, conversions_value=12.345,
                         video_quartile_p25_rate=rate, video_quartile_p50_rate=rate / 2, video_quartile_p75_rate=0.1,
                         video_quartile_p100_rate=0.05, video_trueview_views=61)
    gads.state.stream_batch = 2
    rows = list(google.ADAPTER.fetch_insights(connection=ctx.connection, external_ad_ids=[aga],
                                              since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 3)))
    assert [r.date.isoformat() for r in rows] == ["2026-03-01", "2026-03-02", "2026-03-03"]  # 2 batches, range inclusive
    assert [r.spend_minor for r in rows] == [123, 124, 100000]  # 1.234567 → 1.23; 1.235 → 1.24 (half up); 999.999999 → 1000.00
    first = rows[0]
    assert first.external_ad_id == aga and (first.impressions, first.clicks) == (1000, 37)
    assert (first.video_p25, first.video_p50, first.video_p75, first.video_p100, first.thruplays) == (250, 125, 100, 50, 61)
    assert first.conversions == 3 and first.conversion_value_minor == 1235  # 2.5 → 3; 12.345 → 1235 cents (half up)
    assert [m for m, _ in gads.calls() if m == "SearchStream"] == ["SearchStream"]


def test_search_pages_are_followed(gads, publish):
    """GoogleAdsService.Search paging (next_page_token) through the SDK pager."""
    gads.state.page_size = 1
    for i in range(3):
        gads.add_customer(f"555000000{i}", f"Brand {i}")
    accounts = google.ADAPTER.list_accounts(access_token="ya29.standin-access")
    assert {a.id for a in accounts} == {CID, "5550000000", "5550000001", "5550000002"}  # the manager is skipped
    api = google._Api(access_token="t")
    for n in range(2):
        recorder, ctx = publish()
        ctx.ad.name = f"Ad {n}"
        run_all(ctx)
        ctx.campaign.name = f"{ctx.campaign.name} {n}"
    rows = list(api.search(CID, "SELECT ad_group_ad.resource_name FROM ad_group_ad"))
    assert len(rows) == 2 and len([1 for m, d in gads.calls("Search") if "ad_group_ad" in d["query"]]) == 2


def test_minor_to_micros_and_square_logo(media):
    assert google.minor_to_micros(500, "USD") == 5_000_000
    assert google.minor_to_micros(500, "JPY") == 500_000_000
    with Image.open(io.BytesIO(google._square_logo(media["poster"]))) as logo:
        assert logo.size == (512, 512)
    with pytest.raises(PlatformError) as err:
        google._square_logo(None)
    assert err.value.field.endswith("logo_images")


def test_service_builder_uses_the_sdk_interceptors(gads):
    client = google.google_client(access_token="t")
    service = google.google_service(client, "GoogleAdsService", access_token="t")
    assert type(service).__name__ == "GoogleAdsServiceClient"
    assert service.transport._grpc_channel.__class__.__module__.startswith("grpc")
    upload = google.google_service(client, "YouTubeVideoUploadService", access_token="t")
    assert upload._rest_resumable_transport._host == f"http://127.0.0.1:{gads.http_port}"


def test_campaign_already_linked_is_reused(gads, publish, tree, alice):
    recorder, ctx = publish()
    run_all(ctx)
    campaign, ad_set, ad = tree
    campaign.external = {"google": {"id": recorder.steps["campaign"]["external_id"]}}
    campaign.save()
    ad_set2 = services.ad_set_create(campaign=campaign, actor=alice, name="UK 25-44", budget_minor=5000)
    rec2 = Recorder()
    ctx2 = rec2.ctx(connection=ctx.connection, campaign=campaign, ad_set=ad_set2, ad=ad, video=ctx.video_path,
                    poster=ctx.poster_path)
    run_all(ctx2)
    assert gads.count("campaigns") == 1 and gads.count("ad_groups") == 2 and gads.count("budgets") == 1
    assert "campaign" not in rec2.steps and rec2.steps["mutate"]["detail"]["campaign"] == recorder.steps["campaign"]["external_id"]
