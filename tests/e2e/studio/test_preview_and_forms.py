"""In Chromium: each preview player's box has its own format's shape (the 16:9 player is wide,
not a tall box around the 9:16 poster), at desktop and phone width; the brief form keeps its grid
when errors show."""

from pathlib import Path

import pytest

from tests.e2e.helpers import screenshot, sign_in
from tests.integration.studio.test_preview_posters import make_render
from videogen import services

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"




@pytest.fixture
def rendered_job(alice_org, alice, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from videogen.uploads import asset_create_from_upload

    photo = asset_create_from_upload(organization=alice_org, user=alice,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    ratios = ["16:9", "9:16", "1:1", "4:5"]
    job = services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ratios, "call_to_action": "Order today", "landing_url": "https://example.com/cold-brew",
        "images": [photo.pk], "seed": 7})
    # Playwright's sync API runs an event loop in this thread: the live-progress push (async_to_sync)
    # can't run here, and no socket listens anyway
    monkeypatch.setattr("videogen.rendering.publish_state", lambda job: None)
    make_render(job, ratios)
    return job, ratios


@pytest.mark.parametrize("width", [1280, 390])
def test_each_player_box_has_its_formats_shape(asgi_server, browser, alice, rendered_job, width):
    job, ratios = rendered_job
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, asgi_server)
        page.goto(f"{asgi_server}/studio/jobs/{job.pk}/")
        assert page.locator("[data-player-tab]").first.get_attribute("data-player-tab") == "16:9"
        for ratio in ratios:
            page.click(f"[data-player-tab='{ratio}']")
            video = page.locator(f"[data-player='{ratio}'] video")
            video.wait_for(state="visible")
            page.wait_for_function("v => v.readyState >= 1", arg=video.element_handle())  # metadata in, poster shown
            box = video.bounding_box()
            w, h = (int(x) for x in ratio.split(":"))
            assert box["width"] / box["height"] == pytest.approx(w / h, rel=0.03), f"{ratio} box is {box['width']}×{box['height']}"
            assert box["width"] <= width, "fits the screen"
            poster = video.get_attribute("poster")
            poster_ratio = page.evaluate("""url => new Promise((ok) => {
                const i = new Image(); i.onload = () => ok(i.naturalWidth / i.naturalHeight);
                i.onerror = () => ok(0); i.src = url; })""", poster)
            assert poster and poster_ratio == pytest.approx(w / h, rel=0.03)
            if ratio == "16:9":
                screenshot(page.locator("#preview"), f"preview-16x9-{width}.png")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_brief_form_errors_keep_the_grid(asgi_server, browser, alice, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, asgi_server)
        page.goto(f"{asgi_server}/studio/new/")

        def layout():
            return page.evaluate("""() => [...document.querySelector('.form-grid').children].map(el => {
                const r = el.getBoundingClientRect();
                return {tag: el.tagName, cls: el.className, label: (el.querySelector('label') || {}).textContent || '',
                        x: Math.round(r.left), y: Math.round(r.top), w: Math.round(r.width),
                        hasInput: !!el.querySelector('input, select, textarea')};
            })""")

        before = layout()
        page.fill("#id_product_name", "")
        page.fill("#id_duration", "90")
        page.fill("#id_landing_url", "not a url")
        page.click("[data-testid=make-plan]")
        page.wait_for_selector(".form-grid .errorlist li")
        after = layout()
        assert page.locator(".form-grid .errorlist li").count() >= 2
        assert all(cell["label"] and cell["hasInput"] for cell in after), [c for c in after if not (c["label"] and c["hasInput"])]
        assert [c["label"] for c in after] == [c["label"] for c in before], "every field stays in its own cell"
        assert [(c["x"], c["w"]) for c in after] == [(c["x"], c["w"]) for c in before], "columns unchanged"
        for field in ("id_product_name", "id_duration", "id_landing_url"):
            same_cell = page.evaluate("""id => { const input = document.getElementById(id); const cell = input.closest('.form-grid > *');
                                          return !!cell.querySelector('.errorlist li'); }""", field)
            assert same_cell, f"{field}'s error shows in its own cell"
        screenshot(page, f"brief-errors-{width}.png", full_page=True)
    finally:
        context.close()
