"""In Chromium against daphne: the review page's comments. A reviewer pauses the player, takes the
current time and format into a comment, @mentions the editor through the autocomplete and posts it
(htmx); the comment's time code and its timeline marker seek the player (switching format for a
comment pinned to the other one); the editor's bell goes to 1 live, over the WebSocket, and
clicking the notification opens the comment and marks it read. Desktop and phone width
(screenshots with KOLONY_SCREENSHOT_DIR)."""

import pytest

from tests.e2e.helpers import screenshot, sign_in
from tests.integration.campaigns.studio_helpers import make_render
from videogen.review.comments import comment_create
from videogen.review.models import RenderComment

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _context(browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844})
    context.set_default_timeout(15_000)
    return context


def _seek_and_wait(page, seconds):
    page.evaluate("""t => new Promise((resolve) => {
        const v = document.getElementById('review-player');
        v.addEventListener('seeked', () => resolve(), { once: true });
        v.currentTime = t;
    })""", seconds)


@pytest.mark.parametrize("width", [1280, 390])
def test_time_coded_comment_mention_seek_and_live_bell(asgi_server, browser, alice_org, bob, dana, width):
    render = make_render(alice_org, bob)  # 1 s, 9:16 and 16:9
    pinned = comment_create(render=render, author=bob, body="End card is soft in landscape", timecode_seconds=0.8,
                            aspect_ratio="16:9")
    editor, reviewer = _context(browser, width), _context(browser, width)
    try:
        bob_page = editor.new_page()
        sign_in(bob_page, asgi_server, "bob@example.com")
        bob_page.goto(f"{asgi_server}/studio/")
        bob_page.wait_for_selector("[data-bell][data-live=yes]")  # the bell's socket is open
        assert bob_page.inner_text("[data-testid=bell-count]") == "0"

        page = reviewer.new_page()
        sign_in(page, asgi_server, "dana@example.com")
        page.goto(f"{asgi_server}/studio/renders/{render.pk}/")
        player = page.locator("#review-player")
        page.wait_for_function("v => v.readyState >= 1", arg=player.element_handle())
        ratio = player.get_attribute("data-ratio")
        assert page.locator("[data-testid=comment-marker]").count() == 1

        # pause at 0.4 s: "Use current time" takes the time and the format being watched
        _seek_and_wait(page, 0.4)
        page.click("[data-testid=use-current-time]")
        assert page.input_value("#comment-timecode") == "0.4"
        assert page.input_value("#comment-ratio") == ratio

        # @mention through the autocomplete
        page.click("#comment-body")
        page.keyboard.type("Logo is cut off here <b>really</b> @bo")
        page.wait_for_selector("[data-mention-menu] .mention-option")
        assert "Bob Editor" in page.inner_text("[data-mention-menu]")
        page.keyboard.press("Enter")
        assert page.input_value("#comment-body").endswith("@bob ")
        page.keyboard.type("please fix")
        page.click("#comments-panel .comment-submit")
        page.wait_for_selector("text=2 open · 0 resolved")
        comment = RenderComment.objects.exclude(pk=pinned.pk).get()
        assert (str(comment.timecode_seconds), comment.aspect_ratio) == ("0.4", ratio)
        item = page.locator(f"#comment-{comment.pk}")
        assert "Logo is cut off here <b>really</b> @bob please fix" in item.inner_text()  # shown as text, not markup
        assert item.locator("b").count() == 0
        assert page.locator("[data-testid=comment-marker]").count() == 2
        screenshot(page, f"review-comments-{width}.png", full_page=True)

        # the time code seeks the player there
        _seek_and_wait(page, 0.0)
        item.locator("[data-testid=timecode]").click()
        page.wait_for_function("() => document.getElementById('review-player').dataset.seekedTo === '0.4'")
        page.wait_for_function("() => Math.abs(document.getElementById('review-player').currentTime - 0.4) < 0.05")
        # a comment pinned to the other format switches the player to it first
        other = "16:9"
        page.locator(f"#comment-{pinned.pk} [data-testid=timecode]").click()
        page.wait_for_function(f"() => document.getElementById('review-player').dataset.ratio === '{other}'")
        page.wait_for_function("() => Math.abs(document.getElementById('review-player').currentTime - 0.8) < 0.05")
        # and so does its marker on the timeline
        _seek_and_wait(page, 0.0)
        page.locator(f"[data-testid=comment-marker][data-comment='{comment.pk}']").click()
        page.wait_for_function(f"() => document.getElementById('review-player').dataset.ratio === '{ratio}'")
        page.wait_for_function("() => Math.abs(document.getElementById('review-player').currentTime - 0.4) < 0.05")

        # bob's bell went to 1 without a reload; the notification opens the comment and is read
        bob_page.wait_for_function("() => document.querySelector('[data-testid=bell-count]').textContent === '1'")
        bob_page.click("[data-testid=bell]")
        screenshot(bob_page, f"bell-open-{width}.png")
        bob_page.locator(".bell-item", has_text="Dana Reviewer mentioned you").click()
        bob_page.wait_for_url(f"**/studio/renders/{render.pk}/#comment-{comment.pk}")
        assert bob_page.inner_text("[data-testid=bell-count]") == "0"
        assert bob_page.locator(f"#comment-{comment.pk}.highlight").count() == 1
        assert bob_page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(bob_page, f"review-comments-bell-{width}.png")
        bob_page.goto(f"{asgi_server}/notifications/")
        assert "Dana Reviewer mentioned you on ‘Cold brew’ v1 at 0:00.4" in bob_page.inner_text("[data-testid=notifications]")
        assert bob_page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(bob_page, f"notifications-{width}.png", full_page=True)
    finally:
        editor.close()
        reviewer.close()
