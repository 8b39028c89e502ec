"""In Chromium: the review page's policy findings. A reviewer sees the blocking finding first with
where it is, the words that matched and the policy source; clicking "scene 2 at 0:00.5" seeks
the player; they accept a warning with a reason and it shows as accepted. Desktop and phone width
(screenshots with KOLONY_SCREENSHOT_DIR)."""

import pytest

from tests.e2e.helpers import screenshot, sign_in
from tests.integration.campaigns.studio_helpers import make_render
from videogen.review.models import PolicyFinding
from videogen.review.policy import policy_check

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("width", [1280, 390])
def test_reviewer_reads_findings_seeks_and_accepts_a_warning(asgi_server, browser, alice_org, bob, dana, width):
    render = make_render(alice_org, bob)  # 1 s, 9:16 and 16:9
    render.plan_snapshot = [
        {"scene_key": "s1", "role": "hook", "duration": 0.5, "on_screen_text": "Cold brew, ready at 7", "subtext": "",
         "voiceover": "Try it risk-free for a month."},
        {"scene_key": "s2", "role": "offer", "duration": 0.5, "on_screen_text": "Guaranteed results", "subtext": "",
         "voiceover": ""},
    ]
    render.brief_snapshot = {"product_name": "Aurora", "text_prompt": "Cold brew for busy mornings",
                             "landing_url": "https://aurora.example/shop", "language": "en"}
    render.save()
    policy_check(render=render)
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844})
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, asgi_server, "dana@example.com")
        page.goto(f"{asgi_server}/studio/renders/{render.pk}/#policy")
        findings = page.locator("[data-testid=policy-finding]")
        assert findings.first.get_attribute("data-severity") == "blocking"
        assert "Guaranteed results" in findings.first.inner_text()
        assert "scene 2 at 0:00.5" in findings.first.inner_text()
        assert findings.first.locator("a.pf-source").get_attribute("href").startswith("https://")
        assert findings.first.locator("[data-testid=policy-accept-form]").count() == 0  # blocking: fix it, no accepting
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"
        screenshot(page.locator("#policy"), f"policy-panel-{width}.png")

        findings.first.locator("[data-testid=policy-seek]").click()
        page.wait_for_function("() => document.getElementById('review-player').dataset.seekedTo === '0.5'")

        risk = page.locator("[data-testid=policy-finding][data-rule='claims.risk_free']").first
        risk.locator("input[name=reason]").fill("The 30-day refund is on the landing page")
        risk.locator("button[type=submit]").click()
        page.wait_for_selector("[data-testid=policy-accepted]")
        accepted = page.locator("[data-testid=policy-finding][data-accepted]").first
        assert "The 30-day refund is on the landing page" in accepted.inner_text()
        assert PolicyFinding.objects.filter(render=render, rule="claims.risk_free", accepted_by=dana).count() == 1
        screenshot(page, f"policy-review-page-{width}.png", full_page=True)
    finally:
        context.close()
