"""Publishing end to end through the REAL adapters: the orchestrator (campaigns.platforms.publishing)
driving the Meta adapter (facebook-business SDK → tests/fakes/meta_graph.py) and the Google adapter
(google-ads SDK → tests/fakes/google_ads.py), for each platform: a full publish, a job killed
after every saved step then retried (never a duplicate object on the platform), throttling and
transient errors retried with backoff, a permanent error shown with the platform's words and
blamed field, Activate / Pause, and the insights sync with exact money (issue 13, "Done when")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from campaigns import services as campaign_services
from campaigns.models import Ad, InsightDaily, PlatformConnection
from campaigns.platforms import google, meta, publishing
from campaigns.platforms.insights import insights_sync
from tests.integration.platforms.publish_helpers import Crash, approved_render
from videogen.models import Asset, AssetKind
from videogen.uploads import asset_create_from_file

PLATFORMS = ("meta", "google")
#: Placements per platform and the render format they take (DESIGN.md §6).
PLACEMENT = {"meta": ("instagram_reels", "9:16"), "google": ("youtube_instream", "16:9")}
#: Saved step records of one full run (ctx.record calls), per platform: Meta's seven steps plus
#: ``video_upload`` (the upload session, saved when it starts); Google's video, video_processed,
#: validate, then mutate + the campaign / ad_set / ad it created.
RECORDS = {"meta": 8, "google": 7}


@dataclass
class Platform:
    """One platform's stand-in behind a uniform face for the tests below."""

    name: str
    standin: Any
    connection: PlatformConnection

    def counts(self) -> dict[str, int]:
        """Objects that exist on the platform: campaign, ad set, video, creative, ad."""
        if self.name == "meta":
            c = self.standin.created()
            return {"campaign": c["campaign"], "ad_set": c["adset"], "video": c["video"], "creative": c["creative"],
                    "ad": c["ad"]}
        s = self.standin
        return {"campaign": s.count("campaigns"), "budget": s.count("budgets"), "ad_set": s.count("ad_groups"),
                "video": s.count("uploads"), "creative": s.count("assets"), "ad": s.count("ad_group_ads")}

    def expected_one(self) -> dict[str, int]:
        one = dict.fromkeys(self.counts(), 1)
        if self.name == "google":
            one["creative"] = 3  # the video, logo and call-to-action assets of one ad
        return one

    def ids(self) -> dict[str, list[str]]:
        """The platform's ids of every campaign, ad set and ad it holds."""
        if self.name == "meta":
            kinds = {"campaign": "campaign", "ad_set": "adset", "ad": "ad"}
            return {k: [o["id"] for o in self.standin.of_type(v)] for k, v in kinds.items()}
        st = self.standin.state
        return {"campaign": list(st.campaigns), "ad_set": list(st.ad_groups), "ad": list(st.ad_group_ads)}

    def ad_status(self, external_id: str) -> str:
        if self.name == "meta":
            return self.standin.state.objects[external_id]["status"]
        return self.standin.state.ad_group_ads[external_id].status.name

    def throttle_then_transient(self) -> list[float]:
        """Arms one throttle and one transient failure; returns the waits the orchestrator must take
        (the platform's retry_after, then exponential backoff's first 2 s)."""
        if self.name == "meta":
            self.standin.fail("/adsets", "throttle", minutes=1)       # X-Business-Use-Case-Usage: 1 minute
            self.standin.fail("/adcreatives", "transient")            # code 2, is_transient
            return [60.0, 2.0]
        self.standin.fail("Search", "transient")                      # InternalError.TRANSIENT_ERROR (video poll)
        self.standin.fail("Mutate", "throttle")                       # QuotaError.RESOURCE_EXHAUSTED, retry_delay 30 s
        return [2.0, 30.0]


def _poster(org, user, tmp_path: Path, render) -> None:
    """A 16:9 poster PNG for each format of ``render`` (Meta's thumbnail, Google's square logo)."""
    path = tmp_path / "poster.png"
    Image.new("RGB", (640, 360), (200, 120, 40)).save(path)
    poster = asset_create_from_file(organization=org, user=user, path=path, kind=AssetKind.IMAGE, name="poster.png",
                                    width=640, height=360, content_type="image/png")
    for asset in Asset.objects.filter(pk__in=list(render.outputs.values())):
        asset.metadata = {**(asset.metadata or {}), "poster": poster.pk}
        asset.save(update_fields=["metadata"])


@pytest.fixture(params=PLATFORMS)
def platform(request, alice_org, settings, monkeypatch):
    """The stand-in of the parametrized platform, settings pointing the SDK at it, and an active
    connection whose tokens are stored through the connection's encrypted properties."""
    monkeypatch.setattr(publishing, "sleep", lambda s: None)
    monkeypatch.setattr(meta.ADAPTER, "sleep", lambda s: None)
    monkeypatch.setattr(google, "POLL_INTERVAL_S", 0)
    name = request.param
    if name == "meta":
        standin = request.getfixturevalue("meta_graph")
        request.getfixturevalue("meta_settings")
        account, token = "act_1234567890", "EAAB-standin-token"
    else:
        standin = request.getfixturevalue("google_ads_settings")
        account, token = "1234567890", "ya29.standin-access"
    conn = PlatformConnection(organization=alice_org, platform=name, ad_account_id=account, account_name="Aurora Coffee",
                              status="active", token_expires_at=timezone.now() + dt.timedelta(hours=2))
    conn.token = token
    conn.refresh_token = "1//standin-refresh" if name == "google" else ""
    conn.save()
    return Platform(name=name, standin=standin, connection=conn)


@pytest.fixture
def setup(platform, alice_org, alice, bob, tmp_path):
    """An approved render (real tiny 9:16 + 16:9 MP4s, a poster), and a campaign on the platform
    with an ad set whose placement takes one of its formats."""
    render = approved_render(alice_org, bob)
    render.job.brief = {**render.job.brief, "landing_url": "https://aurora.example/shop", "headline": "Cold brew, hot days",
                        "message": "Brewed for 18 hours."}
    render.job.save(update_fields=["brief"])
    _poster(alice_org, bob, tmp_path, render)
    placement, _ = PLACEMENT[platform.name]
    campaign = campaign_services.campaign_create(organization=alice_org, actor=alice, name="Launch", objective="sales",
                                                 platforms=[platform.name])
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=alice, name="Video set", budget_minor=2000,
                                             placements=[placement])
    return render, ad_set


def _publish(platform, render, ad_set, user):
    return publishing.publication_create(render=render, ad_set=ad_set, platform=platform.name, user=user)


def _worker_died(pub):
    """The job was sent to RQ and its worker was killed: no RQ job runs it any more."""
    import django_rq
    from rq.job import Job

    from kolony.outbox.models import OutboxMessage

    OutboxMessage.objects.filter(rq_job_id=pub.rq_job_id).update(status="sent")
    conn = django_rq.get_connection("publish")
    if Job.exists(pub.rq_job_id, connection=conn):
        Job.fetch(pub.rq_job_id, connection=conn).delete()


def _assert_published(platform, pub, render, ad_set):
    pub.refresh_from_db()
    render.refresh_from_db()
    assert pub.status == "succeeded" and pub.progress == 100, (pub.error_message, pub.steps)
    assert render.review_status == "published"
    ad = Ad.objects.get(pk=pub.ad_id)
    entry = ad.external[platform.name]
    on_platform = platform.ids()
    assert [entry["id"]] == on_platform["ad"]
    assert platform.ad_status(entry["id"]) == "PAUSED" and entry["status"] == "PAUSED"
    ad_set.refresh_from_db()
    assert [ad_set.external[platform.name]["id"]] == on_platform["ad_set"]
    assert [ad_set.campaign.external[platform.name]["id"]] == on_platform["campaign"]
    assert Ad.objects.filter(ad_set=ad_set).count() == 1
    assert platform.counts() == platform.expected_one()
    return ad


def test_publish_end_to_end_through_the_sdk(platform, setup, alice, monkeypatch):
    render, ad_set = setup
    pub = _publish(platform, render, ad_set, alice)
    assert pub.aspect_ratio == PLACEMENT[platform.name][1]
    original, saved = publishing._Run.record, []

    def counting(self, step, external_id="", **detail):
        saved.append(step)
        original(self, step, external_id, **detail)

    monkeypatch.setattr(publishing._Run, "record", counting)
    publishing.run_publication(pub.pk)
    ad = _assert_published(platform, pub, render, ad_set)
    assert len(saved) == RECORDS[platform.name], saved  # the crash test below kills the job after each of them
    assert all(pub.step_done(s) for s in publishing.adapter_for(platform.name).steps)
    if platform.name == "meta":
        # the creative shows the render's poster as its thumbnail, and the video went through the chunked uploader
        assert platform.standin.created()["image"] == 1
        phases = [r["params"].get("upload_phase") for r in platform.standin.requests if r["path"].endswith("/advideos")]
        assert phases[0] == "start" and phases[-1] == "finish"
    else:
        upload = next(iter(platform.standin.state.uploads.values()))
        assert upload.state.name == "PROCESSED" and ad.external["google"]["id"].startswith("customers/1234567890/adGroupAds/")
    # a second run of the finished publication touches nothing
    assert publishing.run_publication(pub.pk) == "succeeded"
    assert platform.counts() == platform.expected_one()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("crash_at", range(1, max(RECORDS.values()) + 1))
def test_a_job_killed_after_any_saved_step_resumes_without_duplicates(platform, setup, alice, monkeypatch, crash_at):
    """The worker dies right after the ``crash_at``-th step record was committed (for Google that
    includes the records between mutate's campaign, ad group and ad); Retry resumes the job."""
    if crash_at > RECORDS[platform.name]:
        pytest.skip(f"{platform.name} saves {RECORDS[platform.name]} records")
    render, ad_set = setup
    pub = _publish(platform, render, ad_set, alice)
    original = publishing._Run.record
    seen: list[str] = []

    def record_then_die(self, step, external_id="", **detail):
        original(self, step, external_id, **detail)
        seen.append(step)
        if len(seen) == crash_at:
            raise Crash(step)

    monkeypatch.setattr(publishing._Run, "record", record_then_die)
    with pytest.raises(Crash):
        publishing.run_publication(pub.pk)
    monkeypatch.setattr(publishing._Run, "record", original)
    pub.refresh_from_db()
    assert pub.status == "running" and pub.step_done(seen[-1])

    _worker_died(pub)
    pub = publishing.publication_retry(publication=pub, user=alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    _assert_published(platform, pub, render, ad_set)


def test_throttling_and_transient_errors_back_off_then_succeed(platform, setup, alice, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(publishing, "sleep", waits.append)
    render, ad_set = setup
    expected = platform.throttle_then_transient()
    pub = _publish(platform, render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    assert waits == expected
    _assert_published(platform, pub, render, ad_set)


def test_permanent_error_fails_with_the_platforms_message_and_field(platform, setup, alice, client_for):
    render, ad_set = setup
    ad_set.budget_minor = 50 if platform.name == "meta" else 400  # Meta: < 1.00 a day; Google Demand Gen: < 5 USD a day
    ad_set.save(update_fields=["budget_minor"])
    pub = _publish(platform, render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "failed"
    pub.refresh_from_db()
    render.refresh_from_db()
    assert render.review_status == "publish_failed"
    if platform.name == "meta":
        assert (pub.error_code, pub.error_field) == ("100/1885272", "daily_budget") and "minimum budget" in pub.error_message
        assert pub.steps["ad_set"]["status"] == "failed" and pub.step_done("campaign")
    else:
        assert pub.error_code == "CampaignBudgetError.BUDGET_BELOW_PER_DAY_MINIMUM"
        assert pub.error_field == "campaign_budget.amount_micros" and "per-day minimum of 5 USD" in pub.error_message
        assert pub.steps["validate"]["status"] == "failed" and pub.step_done("video_processed")
    page = client_for(alice).get(f"/campaigns/publications/{pub.pk}/").content.decode()
    assert pub.error_field in page
    assert pub.error_message.replace("'", "&#x27;").replace('"', "&quot;").split(":")[-1].strip()[:30] in page
    assert platform.counts()["ad"] == 0

    # the user fixes the budget and retries: resumes, nothing created twice
    ad_set.budget_minor = 2000
    ad_set.save(update_fields=["budget_minor"])
    pub = publishing.publication_retry(publication=pub, user=alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    _assert_published(platform, pub, render, ad_set)


def test_activate_pause_then_insights_with_exact_money(platform, setup, alice):
    render, ad_set = setup
    pub = _publish(platform, render, ad_set, alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    ad = Ad.objects.get(pk=pub.ad_id)
    ext = ad.external[platform.name]["id"]

    activated = publishing.ad_platform_status_change(ad=ad, platform=platform.name, active=True, user=alice)
    assert platform.ad_status(ext) in ("ACTIVE", "ENABLED")
    assert activated == ("ENABLED" if platform.name == "google" else "ACTIVE")  # parents activated too: it delivers
    ad.refresh_from_db()
    assert ad.status == "active" and ad.external[platform.name]["status"] == activated
    paused = publishing.ad_platform_status_change(ad=ad, platform=platform.name, active=False, user=alice)
    assert platform.ad_status(ext) == "PAUSED" and paused == "PAUSED"
    ad.refresh_from_db()
    assert ad.status == "paused" and ad.external[platform.name]["status"] == "PAUSED"

    today = timezone.localdate()
    d1, d2 = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    if platform.name == "meta":
        platform.standin.set_insights(ext, [
            {"date_start": d1.isoformat(), "impressions": "1000", "reach": "800", "clicks": "37", "spend": "12.345",
             "actions": [{"action_type": "omni_purchase", "value": "2"}, {"action_type": "purchase", "value": "2"}],
             "action_values": [{"action_type": "omni_purchase", "value": "49.005"}]},
            {"date_start": d2.isoformat(), "impressions": "1500", "reach": "1200", "clicks": "40", "spend": "0.004"},
        ])
        expected = {d1: (1000, 37, 1235, 2, 4901), d2: (1500, 40, 0, 0, 0)}  # EUR, ROUND_HALF_UP
    else:
        platform.standin.add_metrics(ext, d1.isoformat(), impressions=1000, clicks=37, cost_micros=1_235_000, conversions=2.0,
                                     conversions_value=49.005, video_quartile_p25_rate=0.5, video_quartile_p50_rate=0.25,
                                     video_quartile_p75_rate=0.1, video_quartile_p100_rate=0.05, video_trueview_views=61)
        platform.standin.add_metrics(ext, d2.isoformat(), impressions=1500, clicks=40, cost_micros=4_999, conversions=0.0,
                                     conversions_value=0.0, video_quartile_p25_rate=0.0, video_quartile_p50_rate=0.0,
                                     video_quartile_p75_rate=0.0, video_quartile_p100_rate=0.0, video_trueview_views=0)
        expected = {d1: (1000, 37, 124, 2, 4901), d2: (1500, 40, 0, 0, 0)}  # micros → cents, half up
    run = insights_sync(connection=platform.connection, since=d1, until=d2, trigger="manual")
    assert run.status == "succeeded", run.error
    rows = {r.date: (r.impressions, r.clicks, r.spend_minor, r.conversions, r.conversion_value_minor)
            for r in InsightDaily.objects.filter(ad=ad, platform=platform.name)}
    assert rows == expected
    assert run.rows_upserted == 2
    # a second sync replaces the days, never doubles them
    run = insights_sync(connection=platform.connection, since=d1, until=d2, trigger="manual")
    assert InsightDaily.objects.filter(ad=ad, platform=platform.name).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("platform", ["meta"], indirect=True)
@pytest.mark.parametrize("cut", ["after_upload", "mid_transfer"])
def test_meta_upload_interrupted_inside_the_sdk_never_leaves_two_videos(platform, setup, alice, monkeypatch, cut):
    """Meta has no idempotency key: the video id is saved when the chunked upload starts, so a job
    killed after Meta finished the upload (before ``video`` was saved) reuses that video, and one
    cut off mid-transfer uploads again (the unfinished upload is no usable video)."""
    render, ad_set = setup
    pub = _publish(platform, render, ad_set, alice)
    original = publishing._Run.record

    def die_before_video_is_saved(self, step, external_id="", **detail):
        if step == "video":
            raise Crash(step)
        original(self, step, external_id, **detail)

    if cut == "after_upload":
        monkeypatch.setattr(publishing._Run, "record", die_before_video_is_saved)
    else:
        def die_once_the_upload_started(self, step, external_id="", **detail):
            original(self, step, external_id, **detail)
            if step == "video_upload":  # Meta answered the start phase; no chunk was sent
                raise Crash(step)

        monkeypatch.setattr(publishing._Run, "record", die_once_the_upload_started)
    with pytest.raises(Crash):
        publishing.run_publication(pub.pk)
    monkeypatch.setattr(publishing._Run, "record", original)
    pub.refresh_from_db()
    assert pub.external_id("video_upload") and not pub.step_done("video")
    finished = platform.standin.created()["video"]
    assert finished == (1 if cut == "after_upload" else 0)

    _worker_died(pub)
    pub = publishing.publication_retry(publication=pub, user=alice)
    assert publishing.run_publication(pub.pk) == "succeeded"
    _assert_published(platform, pub, render, ad_set)
    pub.refresh_from_db()
    starts = [r for r in platform.standin.requests if r["path"].endswith("/advideos") and r["params"].get("upload_phase") == "start"]
    assert len(starts) == (1 if cut == "after_upload" else 2)
    assert pub.steps["video"]["detail"].get("resumed_upload", False) == (cut == "after_upload")
