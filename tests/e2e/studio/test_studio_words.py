"""In Chromium: the preview says what a marketer can act on and keeps the scores behind a closed
"Details" disclosure (desktop and phone), and on a phone a storyboard keyframe never takes more
than ~60 % of the screen's height (portrait 390 px and landscape)."""


import pytest

from tests.e2e.helpers import screenshot, sign_in
from tests.e2e.studio.test_preview_and_forms import rendered_job  # noqa: F401 - the fixture
from videogen.models import VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _with_findings(job, ratios):
    """Give the job's latest render a trace whose checks found a quiet soundtrack, a frozen scene 2
    and a voiceover sped up in scene 3 (as the engine writes them)."""
    plan = {"scenes": [{"id": s.scene_key, "start": round(sum(x.duration_seconds for x in job.scenes.all()[:i]), 3),
                        "duration": s.duration_seconds} for i, s in enumerate(job.scenes.order_by("number"))]}
    s2, s3 = plan["scenes"][1], plan["scenes"][2]
    quality = {r: {"spec_problems": [], "black_segments": [], "frozen_segments": [[s2["start"], s2["start"] + s2["duration"]]],
                   "flicker_events": 0, "silence_segments": [], "clipping": False, "integrated_lufs": -19.4,
                   "true_peak_dbtp": -3.0, "problems": ["integrated loudness -19.4 LUFS, expected -14 ± 1"]} for r in ratios}
    notes = [f"scene {s3['id']}: voiceover sped up to 240 wpm to fit 2.00 s"]
    VideoJob.objects.filter(pk=job.pk).update(trace={"plan": plan, "quality": quality,
                                                     "stages": [{"name": "voice", "notes": notes}]})


@pytest.mark.parametrize("width", [1280, 390])
def test_the_preview_says_what_to_fix_and_hides_the_scores(asgi_server, browser, alice, rendered_job, width):  # noqa: F811
    job, ratios = rendered_job
    _with_findings(job, ratios)
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, asgi_server)
        page.goto(f"{asgi_server}/studio/jobs/{job.pk}/")
        items = page.locator("[data-testid=findings] li")
        texts = [t.strip() for t in items.all_inner_texts()]
        assert any(t.startswith("The voiceover is quiet") for t in texts), texts
        assert any("stands still in scene 2" in t for t in texts) and any("voiceover in scene 3 was sped up" in t for t in texts)
        details = page.locator("[data-testid=quality-details]")
        assert details.evaluate("d => d.open") is False
        visible = page.locator("#preview").inner_text()
        for raw in ("LUFS", "SSIM", "Frame coherence", "-19.4", "Visual quality"):
            assert raw not in visible, f"{raw!r} shows before opening Details"
        page.add_style_tag(content=".topbar { position: static !important; }")  # the sticky bar would cover the element shot
        screenshot(page.locator("#preview"), f"preview-details-closed-{width}.png")
        details.locator("summary").click()
        assert details.evaluate("d => d.open") is True
        opened = details.inner_text()
        assert "loudness (lufs)" in opened.lower() and "-19.4" in opened and "frame coherence" in opened.lower()
        box = details.bounding_box()
        assert box["width"] <= width
    finally:
        context.close()


@pytest.mark.parametrize(("w", "h"), [(390, 844), (390, 664), (375, 553), (844, 390)])
def test_storyboard_keyframes_fit_a_phone_screen(asgi_server, browser, alice, rendered_job, w, h):  # noqa: F811
    job, ratios = rendered_job  # its first placement is 16:9; the tall one is what can overflow
    VideoJob.objects.filter(pk=job.pk).update(brief={**job.brief, "aspect_ratios": ["9:16", "16:9", "1:1", "4:5"]})
    context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, asgi_server)
        page.goto(f"{asgi_server}/studio/jobs/{job.pk}/")
        frames = page.locator("img.keyframe")
        assert frames.count() == job.scenes.count() >= 4
        assert "ratio-9x16" in frames.first.get_attribute("class")
        for i in range(frames.count()):
            box = frames.nth(i).bounding_box()
            assert box["height"] <= 0.6 * h, f"keyframe {i + 1} is {box['height']:.0f} px tall on a {w}×{h} screen"
            assert box["width"] <= w
        if (w, h) == (390, 844):
            page.add_style_tag(content=".topbar { position: static !important; }")
            screenshot(page.locator(".scene-list"), "storyboard-keyframes-390.png")
    finally:
        context.close()
