"""Issue 12's whole review scenario in Chromium, against daphne, Redis and a real RQ worker that
really renders (one 6 s 9:16 format, to stay quick):

an editor (bob) submits v1 from the job page; the reviewer (dana) signs in, finds the unread
notification in the bell and the render under "Waiting for me", opens the review page, pauses the
player, leaves a time-coded comment whose time code seeks the player and whose marker sits on the
timeline, and requests changes; bob's bell goes to 1 live; bob edits a scene's on-screen text on
the job page and renders again; v2 arrives as a draft and bob submits it; dana sees v2 compared
with v1 (the changed scene listed) and approves it; v1 stays as it was, files and all. Desktop and
phone width; screenshots of the approvals, review and notifications pages with
KOLONY_SCREENSHOT_DIR."""

import hashlib
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.e2e.helpers import screenshot, sign_in
from videogen import services
from videogen.models import Asset, JobStatus, Render
from videogen.review.models import RenderComment, ReviewStatus
from videogen.uploads import asset_create_from_upload

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PHOTO = Path(__file__).resolve().parents[3] / "examples" / "coffee.png"
BRIEF = {"product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings, steeped for 18 hours",
         "duration": 6, "aspect_ratios": ["9:16"], "call_to_action": "Order today", "style": "vibrant",
         "landing_url": "https://example.com/cold-brew", "language": "en", "seed": 7,
         "voice": {"engine": "espeak-ng", "voice": "en-us", "rate_wpm": 165}}
NEW_TEXT = "Cold brew. Zero wait."


def _context(browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844})
    context.set_default_timeout(20_000)
    return context


def _no_sideways_scroll(page):
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"


def _seek_and_wait(page, seconds):
    page.evaluate("""t => new Promise((resolve) => {
        const v = document.getElementById('review-player');
        v.pause();
        v.addEventListener('seeked', () => resolve(), { once: true });
        v.currentTime = t;
    })""", seconds)


def _current_time(page) -> float:
    return page.evaluate("() => document.getElementById('review-player').currentTime")


def _file_digests(render: Render) -> dict[str, str]:
    digests = {}
    for ratio, asset_id in render.outputs.items():
        asset = Asset.objects.get(pk=asset_id)
        with asset.file.open("rb") as f:
            digests[ratio] = hashlib.sha256(f.read()).hexdigest()
    return digests


@pytest.fixture
def job_with_v1(asgi_server, rq_worker, alice_org, bob):
    """bob's 6 s, 9:16 job with v1 rendered by the worker (the scenario starts from a finished render)."""
    photo = asset_create_from_upload(organization=alice_org, user=bob,
                                     upload=SimpleUploadedFile("coffee.png", PHOTO.read_bytes()))
    job = services.video_job_create(organization=alice_org, user=bob, brief_data={**BRIEF, "images": [photo.pk]})
    services.video_job_enqueue_render(job=job, user=bob)
    deadline = time.monotonic() + 600  # a wait for the worker, not an assertion on its speed
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (JobStatus.COMPLETED, JobStatus.FAILED):
            break
        time.sleep(0.5)
    assert job.status == JobStatus.COMPLETED, job.error_message
    return job


@pytest.mark.parametrize("width", [1280, 390])
def test_issue_12_review_scenario(asgi_server, browser, job_with_v1, bob, dana, width):
    job = job_with_v1
    v1 = Render.objects.get(job=job)
    v1_digests = _file_digests(v1)
    editor, reviewer = _context(browser, width), _context(browser, width)
    try:
        # 1. bob submits v1 from the job page
        bob_page = editor.new_page()
        sign_in(bob_page, asgi_server, "bob@example.com")
        bob_page.goto(f"{asgi_server}/studio/jobs/{job.pk}/")
        bob_page.click(f"tr[data-render-id='{v1.pk}'] [data-testid=submit-review]")
        bob_page.wait_for_selector(f"tr[data-render-id='{v1.pk}'] [data-review-status=in_review]")
        assert "Submitted v1 of ‘Aurora Cold Brew’ for review" in bob_page.inner_text(".messages")
        v1.refresh_from_db()
        assert v1.policy_status != "blocked", list(v1.policy_findings.values_list("rule", "message"))

        # 2. dana signs in: one unread notification in the bell, the render waiting for her
        page = reviewer.new_page()
        sign_in(page, asgi_server, "dana@example.com")
        assert page.inner_text("[data-testid=bell-count]") == "1"
        page.click("[data-testid=bell]")
        assert "Bob Editor submitted v1 of ‘Aurora Cold Brew’ for review." in page.inner_text("[data-bell-list]")
        page.goto(f"{asgi_server}/studio/approvals/")
        row = page.locator(f".review-row[data-render-id='{v1.pk}']")
        assert "Aurora Cold Brew" in row.inner_text() and "In review" in row.inner_text()
        assert page.inner_text("[data-tab-count=waiting]") == "1"
        _no_sideways_scroll(page)
        screenshot(page, f"scenario-approvals-{width}.png", full_page=True)

        # 3. the review page: a comment at the paused time; its time code and marker seek the player
        row.locator("a.review-title").click()
        page.wait_for_url(f"{asgi_server}/studio/renders/{v1.pk}/")
        player = page.locator("#review-player")
        page.wait_for_function("v => v.readyState >= 1", arg=player.element_handle())
        assert player.evaluate("v => v.duration") == pytest.approx(6, abs=0.2)
        assert page.locator("[data-testid=comment-marker]").count() == 0
        _seek_and_wait(page, 2.0)
        page.click("[data-testid=use-current-time]")
        assert float(page.input_value("#comment-timecode")) == 2.0
        assert page.input_value("#comment-ratio") == "9:16"
        page.fill("#comment-body", "The price badge covers the cup here")
        page.click("#comments-panel .comment-submit")
        page.wait_for_selector("text=1 open · 0 resolved")
        comment = RenderComment.objects.get(render=v1)
        assert (float(comment.timecode_seconds), comment.aspect_ratio) == (2.0, "9:16")
        item = page.locator(f"#comment-{comment.pk}")
        assert "0:02.0" in item.locator("[data-testid=timecode]").inner_text()
        assert page.locator("[data-testid=comment-marker]").count() == 1
        _seek_and_wait(page, 0.0)
        item.locator("[data-testid=timecode]").click()
        page.wait_for_function("() => Math.abs(document.getElementById('review-player').currentTime - 2.0) < 0.05")
        _seek_and_wait(page, 5.0)
        page.locator(f"[data-testid=comment-marker][data-comment='{comment.pk}']").click()
        page.wait_for_function("() => Math.abs(document.getElementById('review-player').currentTime - 2.0) < 0.05")
        assert _current_time(page) == pytest.approx(2.0, abs=0.05)

        # 4. dana requests changes; bob's bell goes to 1 while he looks at the job page
        bob_page.goto(f"{asgi_server}/studio/jobs/{job.pk}/")
        bob_page.wait_for_selector("[data-bell][data-live=yes]")
        assert bob_page.inner_text("[data-testid=bell-count]") == "0"
        page.fill("#changes-comment", "Shorter hook text, please: it wraps on phones")
        page.click("[data-testid=request-changes]")
        page.wait_for_selector(".review-head [data-review-status=changes_requested]")
        assert "Sent v1 of ‘Aurora Cold Brew’ back" in page.inner_text(".messages")
        bob_page.wait_for_function("() => document.querySelector('[data-testid=bell-count]').textContent === '1'")
        bob_page.click("[data-testid=bell]")
        assert "Dana Reviewer requested changes to v1 of ‘Aurora Cold Brew’: Shorter hook text" in \
            bob_page.inner_text("[data-bell-list]")
        bob_page.click("[data-testid=bell]")  # close the menu again

        # 5. bob edits the first scene's text and renders v2 (the worker renders it for real)
        bob_page.reload()
        old_text = job.scenes.order_by("number").first().on_screen_text
        assert old_text != NEW_TEXT
        card = bob_page.locator(".scene-card").first
        version = int(bob_page.get_attribute("#storyboard", "data-plan-version"))
        card.locator("input[name=on_screen_text]").fill(NEW_TEXT)
        card.locator("text=Save scene").click()
        bob_page.wait_for_selector(f"#storyboard[data-plan-version='{version + 1}']")
        bob_page.click("[data-testid=render]")
        bob_page.wait_for_selector("tr[data-render-id]:nth-child(2)", timeout=600_000)  # the page reloads when done
        v2 = Render.objects.get(job=job, number=2)
        v2_row = bob_page.locator(f"tr[data-render-id='{v2.pk}']")
        assert v2_row.locator("[data-review-status=draft]").count() == 1
        assert bob_page.locator(f"tr[data-render-id='{v1.pk}'] [data-review-status=changes_requested]").count() == 1
        v2_row.locator("[data-testid=submit-review]").click()
        bob_page.wait_for_selector(f"tr[data-render-id='{v2.pk}'] [data-review-status=in_review]")

        # 6. dana: v2 waits for her, compared with v1 (the changed scene named); she approves it
        page.goto(f"{asgi_server}/studio/approvals/")
        assert page.locator(".review-row").count() == 1
        page.click(f".review-row[data-render-id='{v2.pk}'] a.review-title")
        page.wait_for_url(f"{asgi_server}/studio/renders/{v2.pk}/")
        compare = page.locator("[data-testid=compare-previous]")
        assert "Changes since v1" in compare.inner_text()
        change = compare.locator("[data-testid=scene-changes] li[data-scene='1']")
        assert "text" in change.get_attribute("data-fields").split()
        assert old_text in change.inner_text() and NEW_TEXT in change.inner_text()
        assert compare.locator("video[data-compare-video]").count() == 2
        assert page.locator("[data-testid=comment-marker]").count() == 0  # v1's comments stay on v1
        _no_sideways_scroll(page)
        screenshot(page, f"scenario-review-v2-{width}.png", full_page=True)
        page.click("[data-testid=approve]")
        page.wait_for_selector(".review-head [data-review-status=approved]")
        assert "This version is frozen" in page.inner_text("[data-testid=status-line]")

        # v1 is as dana left it: changes requested, its comments and its files unchanged
        v1.refresh_from_db()
        v2.refresh_from_db()
        assert (v1.review_status, v2.review_status) == (ReviewStatus.CHANGES_REQUESTED, ReviewStatus.APPROVED)
        assert _file_digests(v1) == v1_digests and set(v2.outputs.values()).isdisjoint(v1.outputs.values())
        page.goto(f"{asgi_server}/studio/renders/{v1.pk}/")
        assert page.locator("[data-testid=comment-marker]").count() == 1
        assert "The price badge covers the cup here" in page.inner_text("#comments")
        assert page.locator(".review-head [data-review-status=changes_requested]").count() == 1
        assert "v2 is the newer version (approved)" in page.inner_text("[data-testid=no-actions]")
        screenshot(page, f"scenario-review-v1-{width}.png", full_page=True)

        # bob's notifications: changes requested on v1, then v2 approved
        bob_page.goto(f"{asgi_server}/notifications/")
        text = bob_page.inner_text("[data-testid=notifications]")
        assert "Dana Reviewer approved v2 of ‘Aurora Cold Brew’." in text
        assert text.index("approved v2") < text.index("requested changes to v1")  # newest first
        _no_sideways_scroll(bob_page)
        screenshot(bob_page, f"scenario-notifications-{width}.png", full_page=True)
    finally:
        editor.close()
        reviewer.close()
