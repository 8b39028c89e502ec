"""The whole Generate Video Ad wizard in real Chromium, against daphne, Redis and a real RQ worker:
brief with a real photo → storyboard edit → render with the live progress bar → preview playing."""

from pathlib import Path

import pytest

from tests.e2e.helpers import sign_in
from videogen.models import JobStatus, Render, VideoJob

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PHOTO = Path(__file__).resolve().parents[3] / "examples" / "coffee.png"




def test_brief_storyboard_render_preview(asgi_server, rq_worker, page, alice):
    base = asgi_server
    sign_in(page, base)
    page.click("nav >> text=Video Studio")
    page.click("[data-testid=new-video]")

    page.fill("#id_product_name", "Aurora Cold Brew")
    page.fill("#id_text_prompt", "Smooth cold brew for busy mornings, 20% off this week")
    page.fill("#id_duration", "8")
    page.uncheck("input[name=aspect_ratios][value='1:1']")
    page.fill("#id_call_to_action", "Order today")
    page.fill("#id_landing_url", "https://example.com/cold-brew")
    page.set_input_files("[data-file-input]", str(PHOTO))
    page.wait_for_selector("[data-selected-thumbs] figure.thumb img")
    page.click("[data-testid=make-plan]")

    page.wait_for_selector("#storyboard")
    assert "Scene plan ready" in page.locator(".messages").inner_text()
    first = page.locator(".scene-card").first
    first.locator("input[name=on_screen_text]").fill("Cold brew. Zero wait.")
    first.locator("text=Save scene").click()
    page.wait_for_selector("text=plan v2")
    assert page.locator(".scene-card").first.locator("input[name=on_screen_text]").input_value() == "Cold brew. Zero wait."
    keyframe = page.locator(".scene-card img.keyframe").first
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=keyframe.element_handle())

    page.click("[data-testid=render]")
    page.wait_for_selector("[data-job-progress][data-transport=ws]")
    seen = page.evaluate("""() => new Promise((resolve) => {
        const box = document.querySelector('[data-job-progress]');
        const values = [];
        const timer = setInterval(() => {
            values.push(Number(box.querySelector('[data-progress-value]').textContent));
            if (box.dataset.status === 'completed' || values.length > 1200) { clearInterval(timer); resolve(values); }
        }, 100);
    })""")
    distinct = sorted(set(seen))
    assert len(distinct) >= 3, f"the bar should move through several values, saw {distinct}"
    assert seen == sorted(seen), "the progress bar never goes backwards"
    assert seen[-1] == 100

    page.wait_for_selector("[data-testid=player-9x16]")
    job = VideoJob.objects.get()
    assert job.status == JobStatus.COMPLETED and Render.objects.filter(job=job).count() == 1
    duration = page.evaluate("""() => new Promise((resolve, reject) => {
        const v = document.querySelector('[data-testid=player-9x16]');
        v.muted = true;
        const done = () => {
            v.play().then(() => setTimeout(() => resolve([v.duration, v.currentTime, v.videoWidth]), 700)).catch(reject);
        };
        if (v.readyState >= 1) done(); else v.addEventListener('loadedmetadata', done, { once: true });
        v.addEventListener('error', () => reject(new Error('video error ' + (v.error && v.error.code))), { once: true });
    })""")
    assert duration[0] == pytest.approx(8, abs=0.2) and duration[1] > 0 and duration[2] == 1080
