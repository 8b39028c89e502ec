"""Chromium, the creative-testing loop of issue 17 against the real server, worker and Meta stand-in:
an editor makes 3 hook variants of a job ("Make variants", edits the proposed lines), the worker
renders each, the editor submits the set and a reviewer approves it in one go, the editor publishes
the set to a Meta ad set (three sibling ads named with factor and level on the Graph API stand-in),
simulated results come in (helper 6's simulator: the question hook has +50 % CTR), the results page
shows the winner and the editor pauses the losers (behind the confirmation step), which reaches the
stand-in.

The daphne server and the RQ worker (queues render, default, publish) are real subprocesses; the
Graph API stand-in (tests/fakes/meta_graph.py) serves the facebook-business SDK."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.experiments.simulator import simulate_variant_results
from campaigns.models import Ad
from campaigns.platforms.publishing import ad_platform_status_change
from tests.e2e.helpers import screenshot, sign_in
from tests.fakes.meta_graph import MetaGraphStandIn
from tests.integration.platforms.meta_helpers import meta_connection
from tests.integration.studio.conftest import brief, upload
from videogen import services as studio
from videogen.models import VariantSet

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
HOOKS = ["Tired of bitter coffee?", "Stop scrolling: cold brew is here."]


@pytest.fixture
def graph(monkeypatch, settings):
    """The Graph API stand-in; the Meta settings point at it here and (environment) in the server
    and worker started after this fixture."""
    standin = MetaGraphStandIn(processing_polls=0).start()
    values = {"META_GRAPH_URL": standin.url, "META_GRAPH_VIDEO_URL": standin.url, "META_API_VERSION": "v26.0",
              "META_APP_ID": "1234567890123456", "META_APP_SECRET": "meta-standin-secret", "META_PAGE_ID": "",
              "META_HTTP_TIMEOUT_S": "30"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
        setattr(settings, key, int(value) if key.endswith("_S") else value)
    yield standin
    standin.stop()


@pytest.fixture
def servers(graph, asgi_server, rq_worker):
    return asgi_server


@pytest.fixture
def setup(alice_org, alice, bob):
    photo = upload(alice_org, bob)
    campaign = campaign_services.campaign_create(organization=alice_org, actor=alice, name="Aurora launch",
                                                 objective="traffic", platforms=["meta"])
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=alice, name="Reels test", budget_minor=3000,
                                             placements=["instagram_reels"])
    job = studio.video_job_create(organization=alice_org, user=bob, title="Aurora",
                                  brief_data=brief([photo.pk], duration=6, aspect_ratios=["9:16"]))
    meta_connection(alice_org)
    return job, ad_set


def _reload_until(page, url: str, ready, what: str, tries: int = 240, wait_ms: int = 1500) -> None:
    for _ in range(tries):
        page.goto(url)
        if ready(page):
            return
        page.wait_for_timeout(wait_ms)
    raise AssertionError(f"{what} never showed on {url}")


def _context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    return context


def test_make_approve_publish_results_pause_losers(servers, graph, browser, bob, dana, alice_org, setup):
    base = servers
    job, ad_set = setup
    editor, reviewer = _context(browser), _context(browser)
    try:
        page = editor.new_page()
        sign_in(page, base, "bob@example.com")

        # 1. Make 3 hook variants from the job page; the planner proposes, the editor rewrites two lines
        page.goto(f"{base}/studio/jobs/{job.pk}/")
        page.get_by_test_id("make-variants-link").click()
        page.wait_for_url(f"{base}/studio/jobs/{job.pk}/variants/new/")
        assert page.get_by_test_id("variant-factor").input_value() == "hook"
        assert page.get_by_test_id("variant-level").count() == 3
        control_line = page.get_by_test_id("level-1").input_value()
        page.get_by_test_id("level-2").fill(HOOKS[0])
        page.get_by_test_id("level-3").fill(HOOKS[1])
        screenshot(page, "variants-new-1280.png", full_page=True)
        page.get_by_test_id("make-variants").click()
        page.wait_for_url(f"{base}/studio/variants/*/")
        variant_set = VariantSet.objects.get(organization=alice_org)
        set_url = f"{base}/studio/variants/{variant_set.pk}/"
        levels = [t.strip() for t in page.get_by_test_id("variant-level").all_inner_texts()]
        assert levels == [f"v1 (control): {control_line}", f"v2: {HOOKS[0]}", f"v3: {HOOKS[1]}"]

        # 2. The worker renders each variant; the set page shows their posters
        _reload_until(page, set_url, lambda p: p.get_by_test_id("not-rendered").count() == 0
                      and p.locator("[data-testid=variant] img").count() == 3, "three rendered variants")
        assert page.locator("[data-review-status=draft]").count() == 3
        page.get_by_test_id("submit-set").click()
        page.wait_for_url(set_url)
        assert page.locator("[data-review-status=in_review]").count() == 3

        # 3. The reviewer approves the whole set in one go
        review_page = reviewer.new_page()
        sign_in(review_page, base, "dana@example.com")
        review_page.goto(set_url)
        review_page.get_by_test_id("approve-set").click()
        review_page.wait_for_url(set_url)
        assert review_page.locator("[data-review-status=approved]").count() == 3
        assert "Approved every variant in review." in review_page.inner_text(".messages")

        # 4. The editor publishes the set as sibling ads into one Meta ad set
        page.goto(set_url)
        form = page.get_by_test_id("publish-set-form")
        form.locator("select[name=platform]").select_option("meta")
        form.locator("select[name=ad_set]").select_option(str(ad_set.pk))
        form.get_by_test_id("publish-set").click()
        page.wait_for_url(set_url)
        _reload_until(page, set_url, lambda p: p.get_by_test_id("publication-status").all_inner_texts() == ["Published"] * 3,
                      "three published ads", tries=120, wait_ms=1000)
        screenshot(page, "variant-set-1280.png", full_page=True)
        ad_posts = [r for r in graph.requests if r["method"] == "POST" and r["path"].endswith("/ads")]
        names = sorted(r["params"]["name"] for r in ad_posts)
        assert names == sorted([f"Aurora — hook: {control_line} (v1)", f"Aurora — hook: {HOOKS[0]} (v2)",
                                f"Aurora — hook: {HOOKS[1]} (v3)"])
        assert {r["params"]["adset_id"] for r in ad_posts} == {ad_set.__class__.objects.get(pk=ad_set.pk).external["meta"]["id"]}
        variant_set.refresh_from_db()
        assert variant_set.status == "running" and variant_set.first_published_at is not None

        # 5. Three weeks of (simulated) results: the question hook gets +50 % CTR; the ads run (activated)
        ads = list(Ad.objects.filter(ad_set=ad_set))
        for ad in ads:
            ad_platform_status_change(ad=ad, platform="meta", active=True, user=bob)
        VariantSet.objects.filter(pk=variant_set.pk).update(first_published_at=timezone.now() - dt.timedelta(days=20))
        variant_set.refresh_from_db()
        question = variant_set.jobs.order_by("pk")[1].renders.get()
        simulate_variant_results(variant_set, days=14, seed=5, lift=0.5, winner_key=question.pk)

        # 6. The results page (from the set page's link) names the winner; pause the losers after confirming
        page.goto(set_url)
        page.get_by_test_id("results-link").click()
        page.wait_for_url(f"{base}/experiments/{variant_set.pk}/")
        winner_row = page.locator("[data-testid=experiment-results] tr", has=page.get_by_test_id("winner-badge"))
        assert winner_row.count() == 1 and HOOKS[0] in winner_row.inner_text()
        screenshot(page, "experiment-results-1280.png", full_page=True)
        before = len(graph.requests)
        page.get_by_test_id("pause-losers").click()
        page.get_by_test_id("confirm-step").wait_for()
        page.get_by_test_id("confirm-action").click()
        page.wait_for_url(f"{base}/experiments/{variant_set.pk}/")
        paused = [r for r in graph.requests[before:] if r["method"] == "POST" and r["params"].get("status") == "PAUSED"]
        assert len(paused) >= 1
        rows = page.locator("[data-testid=experiment-results] tbody tr")
        for i in range(rows.count()):
            text = rows.nth(i).inner_text()
            if HOOKS[0] in text:
                assert "Paused" not in text
        assert page.locator("[data-testid=experiment-results] .badge.paused").count() == len(paused)
        variant_set.refresh_from_db()
        assert variant_set.status == "concluded" and variant_set.decision.get("paused")
    finally:
        editor.close()
        reviewer.close()
