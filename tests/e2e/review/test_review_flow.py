"""In Chromium: an editor submits a render from the job page, the reviewer finds it on the
approvals page, switches formats in the review player (the time code kept), requests changes with
a comment; the editor resubmits; the reviewer approves. Approvals and review pages at desktop and
phone width (screenshots with KOLONY_SCREENSHOT_DIR)."""

import pytest

from tests.e2e.helpers import screenshot, sign_in
from tests.integration.campaigns.studio_helpers import make_render
from videogen.models import JobStatus, Render, VideoJob
from videogen.review.models import ReviewStatus

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BRIEF = {"product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings", "duration": 15,
         "aspect_ratios": ["9:16", "16:9"], "call_to_action": "Order today",
         "landing_url": "https://aurora.example/shop"}  # the landing page of the campaign's ads (tree)


@pytest.fixture
def bobs_render(alice_org, bob, tree):
    job = VideoJob.objects.create(organization=alice_org, created_by=bob, title="Aurora Cold Brew", status=JobStatus.COMPLETED,
                                  campaign=tree[0], brief=BRIEF)
    return make_render(alice_org, bob, job=job)


def _no_sideways_scroll(page):
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"


def _context(browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844})
    context.set_default_timeout(15_000)
    return context


@pytest.mark.parametrize("width", [1280, 390])
def test_submit_review_request_changes_resubmit_approve(asgi_server, browser, bob, dana, bobs_render, width):
    render = bobs_render
    editor, reviewer = _context(browser, width), _context(browser, width)
    try:
        bob_page = editor.new_page()
        sign_in(bob_page, asgi_server, "bob@example.com")
        bob_page.goto(f"{asgi_server}/studio/jobs/{render.job_id}/")
        bob_page.click(f"tr[data-render-id='{render.pk}'] [data-testid=submit-review]")
        bob_page.wait_for_selector(f"tr[data-render-id='{render.pk}'] [data-review-status=in_review]")
        assert "Submitted v1 of ‘Aurora Cold Brew’ for review" in bob_page.inner_text(".messages")

        dana_page = reviewer.new_page()
        sign_in(dana_page, asgi_server, "dana@example.com")
        dana_page.goto(f"{asgi_server}/studio/approvals/")
        row = dana_page.locator(f".review-row[data-render-id='{render.pk}']")
        assert "Aurora Cold Brew" in row.inner_text() and "In review" in row.inner_text()
        _no_sideways_scroll(dana_page)
        screenshot(dana_page, f"approvals-{width}.png", full_page=True)

        row.locator("a.review-title").click()
        dana_page.wait_for_url(f"{asgi_server}/studio/renders/{render.pk}/")
        player = dana_page.locator("#review-player")
        dana_page.wait_for_function("v => v.readyState >= 1", arg=player.element_handle())
        dana_page.evaluate("() => { document.getElementById('review-player').currentTime = 0.5; }")
        dana_page.click("[data-review-format='16:9']")
        dana_page.wait_for_function("() => document.getElementById('review-player').dataset.ratio === '16:9'")
        dana_page.wait_for_function(  # the time code survives the format switch
            "() => { const v = document.getElementById('review-player'); return v.readyState >= 1 && v.currentTime > 0.3; }")
        assert "16:9" in dana_page.inner_text("[data-review-download]")
        _no_sideways_scroll(dana_page)
        screenshot(dana_page, f"review-{width}.png", full_page=True)

        dana_page.fill("#changes-comment", "The logo is cut off in 9:16 at 0:00.5")
        dana_page.click("[data-testid=request-changes]")
        dana_page.wait_for_selector("[data-review-status=changes_requested]")
        assert Render.objects.get(pk=render.pk).review_status == ReviewStatus.CHANGES_REQUESTED

        bob_page.goto(f"{asgi_server}/studio/renders/{render.pk}/")
        assert "The logo is cut off in 9:16" in bob_page.inner_text("#comments")
        bob_page.click("[data-testid=submit-review]")
        bob_page.wait_for_selector(".review-head [data-review-status=in_review]")

        dana_page.goto(f"{asgi_server}/studio/approvals/")
        dana_page.click(f".review-row[data-render-id='{render.pk}'] a.review-title")
        dana_page.click("[data-testid=approve]")
        dana_page.wait_for_selector(".review-head [data-review-status=approved]")
        assert "This version is frozen" in dana_page.inner_text("[data-testid=status-line]")
        assert Render.objects.get(pk=render.pk).review_status == ReviewStatus.APPROVED
    finally:
        editor.close()
        reviewer.close()
