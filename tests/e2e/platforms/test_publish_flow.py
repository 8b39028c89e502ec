"""Chromium, the whole publishing promise against the local stand-ins: the owner connects Meta on
the Connections page (the stand-in's OAuth consent page → "Allow" → pick the ad account), opens
an approved render's review page, publishes it to a Meta ad set from the Publish panel, watches
the publication page reach "Published" live (no reload), sees the ad live on the campaign page
with its Meta ad id, clicks "Sync now" and finds the ad's results (spend, CTR, ThruPlay rate, CPA,
ROAS) on the dashboard's "By creative version" card and on the render's review page.

The daphne server and the RQ worker (queues render, default, publish) are real subprocesses; the
Graph API stand-in (tests/fakes/meta_graph.py) sits behind the OAuth stand-in, as graph.facebook.com
serves both, and checks every access token with the OAuth stand-in."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import Ad, InsightDaily, PlatformConnection
from campaigns.platforms.models import Publication
from tests.e2e.helpers import screenshot, sign_in
from tests.fakes.meta_graph import MetaGraphStandIn
from tests.fakes.oauth_standin import OAuthStandin
from tests.integration.campaigns.studio_helpers import make_render
from videogen.models import JobStatus, VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BRIEF = {"product_name": "Aurora Cold Brew", "headline": "Cold brew, hot days", "message": "Brewed for 18 hours.",
         "landing_url": "https://aurora.example/shop", "aspect_ratios": ["9:16", "16:9"], "duration": 15}


@pytest.fixture
def meta_standins(monkeypatch, settings):
    """The Graph API stand-in behind a fresh OAuth stand-in; every Meta setting pointing at them, in
    this process and (environment) in the server and worker started after this fixture."""
    graph = MetaGraphStandIn(processing_polls=0)
    oauth = OAuthStandin(graph_upstream=graph.url)
    graph.token_check = oauth.token_info
    graph.start()
    oauth.start()
    values = {**oauth.settings(settings.META_API_VERSION), "META_GRAPH_VIDEO_URL": graph.url, "META_PAGE_ID": "",
              "PLATFORM_HTTP_TIMEOUT_S": "10", "META_HTTP_TIMEOUT_S": "30"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
        setattr(settings, key, int(value) if value.isdigit() and key.endswith("_S") else value)
    yield oauth, graph
    oauth.stop()
    graph.stop()


@pytest.fixture
def approved_render(alice, alice_org):
    """An approved v1 (9:16 and 16:9) of a video job linked to a Meta campaign with a Reels ad set."""
    campaign = campaign_services.campaign_create(organization=alice_org, actor=alice, name="Aurora launch",
                                                 objective="traffic", platforms=["meta"], currency="EUR")
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=alice, name="Reels DE", budget_minor=2000,
                                             placements=["instagram_reels"])
    job = VideoJob.objects.create(organization=alice_org, created_by=alice, title="Aurora Cold Brew",
                                  status=JobStatus.COMPLETED, campaign=campaign, brief=BRIEF)
    render = make_render(alice_org, alice, job=job)
    render.review_status = "approved"
    render.submitted_by = alice
    render.save(update_fields=["review_status", "submitted_by"])
    return render, campaign, ad_set


@pytest.fixture
def publish_server(meta_standins, asgi_server, rq_worker):
    return asgi_server


def _reload_until(page, url: str, ready, what: str, tries: int = 60) -> None:
    """Reloads ``url`` until ``ready(page)`` (the worker's job finishes in its own time)."""
    for _ in range(tries):
        page.goto(url)
        if ready(page):
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{what} never showed on {url}")


def test_connect_publish_watch_live_sync_and_see_results(publish_server, meta_standins, rq_worker, browser, alice,
                                                         alice_org, approved_render):
    base = publish_server
    oauth, graph = meta_standins
    render, campaign, ad_set = approved_render
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in(page, base)

        # 1. Connect Meta: Kolony → the stand-in's consent page → Allow → pick the account
        page.goto(f"{base}/campaigns/connections/")
        meta_card = page.get_by_test_id("connection-meta")
        assert "Not connected" in meta_card.inner_text()
        page.get_by_test_id("connect-meta").click()
        page.wait_for_url(f"{oauth.base_url}/**")
        assert "would like to manage your ads" in page.content()
        page.get_by_role("link", name="Allow").click()
        page.wait_for_url(f"{base}/campaigns/connections/")
        picker = page.get_by_test_id("account-picker")
        assert "Aurora Coffee – Ads" in picker.inner_text() and "Aurora Coffee – Tests" in picker.inner_text()
        page.get_by_test_id("account-act_1234567890").check()
        picker.get_by_role("button", name="Use this account").click()
        page.wait_for_url(f"{base}/campaigns/connections/")
        assert "Connected Meta: Aurora Coffee – Ads (act_1234567890)." in page.inner_text(".messages")
        meta_card = page.get_by_test_id("connection-meta")
        assert "Connected" in meta_card.inner_text()
        assert meta_card.get_by_test_id("account-id").inner_text() == "act_1234567890"
        assert meta_card.get_by_test_id("sync-meta").is_visible()
        connection = PlatformConnection.objects.get(organization=alice_org, platform="meta")
        assert connection.token and connection.token not in page.content()  # never shown
        screenshot(page, "connections-1280.png", full_page=True)

        # 2. Publish from the approved render's review page. The worker is held (SIGSTOP) so the
        # publication page is seen waiting first, then moving on by itself when the worker resumes.
        page.goto(f"{base}/studio/renders/{render.pk}/")
        panel = page.get_by_test_id("publish-panel")
        panel.scroll_into_view_if_needed()
        assert panel.locator("#publish-platform option[value=meta]").is_enabled()
        panel.locator("#publish-platform").select_option("meta")
        panel.locator("#publish-ad-set").select_option(str(ad_set.pk))
        os.kill(rq_worker.pid, signal.SIGSTOP)
        try:
            panel.get_by_test_id("publish").click()
            page.wait_for_url(f"{base}/campaigns/publications/*/")
            status = page.get_by_test_id("publication-status")
            assert status.inner_text() == "Queued"
            assert "Publishing to Meta: follow each step below." in page.inner_text(".messages")
            screenshot(page, "publication-queued-1280.png", full_page=True)
        finally:
            os.kill(rq_worker.pid, signal.SIGCONT)
        # the live updates reach "Published"; then the page reloads itself once to show the final state
        with page.expect_navigation(timeout=90_000):
            page.wait_for_function(
                "() => document.querySelector('[data-publication-status]').textContent.trim() === 'Published'",
                timeout=90_000)
        assert page.get_by_test_id("publication-status").inner_text() == "Published"
        assert page.locator("[data-progress-value]").inner_text() == "100"
        steps = page.get_by_test_id("publication-steps")
        step_rows = steps.locator("tbody tr")
        assert step_rows.count() >= 6
        for i in range(step_rows.count()):
            assert step_rows.nth(i).locator("[data-step-status]").inner_text() == "done", step_rows.nth(i).inner_text()
        assert page.get_by_test_id("publication-error").is_hidden()
        pub = Publication.objects.get(render=render)
        assert pub.status == "succeeded"
        ad = Ad.objects.get(pk=pub.ad_id)
        ad_id = ad.external["meta"]["id"]
        # one of each (the thumbnail is Meta's own frame: this test render has no poster image)
        assert {k: v for k, v in graph.created().items() if k != "image"} == {
            "campaign": 1, "adset": 1, "video": 1, "creative": 1, "ad": 1}
        assert graph.state.objects[ad_id]["status"] == "PAUSED"
        assert steps.locator("tr[data-step=ad] [data-step-id]").inner_text() == ad_id
        assert ad_id in page.get_by_test_id("live-ad").inner_text()
        screenshot(page, "publication-published-1280.png", full_page=True)

        # 3. The campaign page shows the ad live on Meta with its external id
        page.goto(f"{base}/campaigns/{campaign.pk}/")
        row = page.locator(f"tr#ad-{ad.pk}")
        platform = row.get_by_test_id("ad-platform")
        assert platform.get_attribute("data-platform") == "meta"
        assert platform.get_by_test_id("ad-external-id").inner_text() == ad_id
        assert platform.get_by_test_id("ad-platform-status").inner_text() == "PAUSED"
        assert row.get_by_test_id("ad-activate").is_visible()

        # 4. Sync now: the worker pulls the day's insights the stand-in was told to serve
        today = timezone.localdate()
        graph.set_insights(ad_id, [{
            "date_start": today.isoformat(), "impressions": "2000", "reach": "1500", "clicks": "50", "spend": "12.34",
            "actions": [{"action_type": "video_view", "value": "900"}, {"action_type": "omni_purchase", "value": "2"}],
            "action_values": [{"action_type": "omni_purchase", "value": "49.36"}],
            "video_thruplay_watched_actions": [{"action_type": "video_view", "value": "400"}],
        }])
        page.get_by_test_id("campaign-sync").click()
        page.wait_for_url(f"{base}/campaigns/{campaign.pk}/")
        assert "Syncing results from Meta" in page.inner_text(".messages")
        screenshot(page, "campaign-1280.png", full_page=True)

        week = f"range=custom&from={(today - dt.timedelta(days=6)).isoformat()}&to={today.isoformat()}"

        def version_row(p):
            return p.locator(f"[data-testid=creative-versions] tr[data-render-id='{render.pk}']")

        _reload_until(page, f"{base}/dashboard/?{week}", lambda p: version_row(p).count() == 1,
                      "the render's results row")
        cells = [c.strip() for c in version_row(page).locator("td").all_inner_texts()]
        assert cells[0].startswith("Aurora Cold Brew") and "v1" in cells[0]
        # spend €12.34, 2,000 impressions, CTR 50/2000 = 2.5 %, ThruPlay 400/2000 = 20 %,
        # CPA 12.34/2 = €6.17, ROAS 49.36/12.34 = 4.00×
        assert cells[1:] == ["€12.34", "2,000", "2.50%", "20.00%", "€6.17", "4.00×"], cells
        day = InsightDaily.objects.get(ad=ad, platform="meta", date=today)
        assert day.spend_minor == 1234 and day.impressions == 2000
        screenshot(page.get_by_test_id("dashboard-versions"), "dashboard-versions-1280.png")

        # the review page's results (all time) show the same version's numbers
        page.goto(f"{base}/studio/renders/{render.pk}/")
        result = page.locator(f"[data-testid=render-results-table] tr[data-render-id='{render.pk}']")
        assert result.locator("[data-kpi=spend]").inner_text().strip() == "€12.34"
        assert result.locator("[data-kpi=roas]").inner_text().strip() == "4.00×"
        assert "1 live" in result.inner_text()

        # the same pages at phone width: nothing scrolls sideways (tables scroll in their own box)
        page.set_viewport_size({"width": 390, "height": 844})
        for name, url in (("connections", "/campaigns/connections/"), ("publication", f"/campaigns/publications/{pub.pk}/"),
                          ("campaign", f"/campaigns/{campaign.pk}/")):
            page.goto(f"{base}{url}")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{name} scrolls sideways"
            screenshot(page, f"{name}-390.png", full_page=True)
        assert page.get_by_test_id("campaign-sync").is_visible()
    finally:
        context.close()
