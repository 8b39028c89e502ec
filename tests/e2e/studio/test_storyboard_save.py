"""Every scene of a freshly planned storyboard can be saved in Chromium after editing only its
text — before and after another scene's length was changed — for both example briefs. (The
planner used to write 2.57 s; the Seconds field steps by 0.1 s, so the browser refused the form
with a message about a field the user never touched.)"""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.e2e.helpers import screenshot, screenshots_wanted, sign_in
from videogen import services
from videogen.models import Scene
from videogen.uploads import asset_create_from_upload

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"




def _job_from_example(name, org, user):
    data = json.loads((EXAMPLES / name).read_text())
    photos = [asset_create_from_upload(organization=org, user=user, upload=SimpleUploadedFile(p, (EXAMPLES / p).read_bytes()))
              for p in data["images"]]
    data["images"] = [p.pk for p in photos]
    if data["brand"].get("logo"):
        logo = data["brand"]["logo"]
        data["brand"]["logo"] = asset_create_from_upload(organization=org, user=user, kind="logo",
                                                         upload=SimpleUploadedFile(logo, (EXAMPLES / logo).read_bytes())).pk
    return data, services.video_job_create(organization=org, user=user, brief_data=data)


def _save_text_only(page, index, version):
    card = page.locator(".scene-card").nth(index)
    text = f"Scene {index + 1} edited at v{version}"
    card.locator("input[name=on_screen_text]").fill(text)
    form = card.locator("form.scene-form")
    problem = form.evaluate("f => f.checkValidity() ? '' : [...f.elements].filter(e => !e.validity.valid)"
                            ".map(e => e.name + ' = ' + e.value + ': ' + e.validationMessage).join('; ')")
    assert problem == "", f"scene {index + 1}: the browser refuses the form: {problem}"
    card.locator("text=Save scene").click()
    page.wait_for_selector(f"#storyboard[data-plan-version='{version + 1}']")
    assert page.locator("[data-testid=edit-error]").count() == 0
    assert page.locator(".scene-card").nth(index).locator("input[name=on_screen_text]").input_value() == text
    return version + 1


@pytest.mark.parametrize("example", ["coffee_brief.json", "rocket_brief.json"])
def test_every_scene_saves_after_a_text_edit(asgi_server, page, alice, alice_org, example):
    data, job = _job_from_example(example, alice_org, alice)
    sign_in(page, asgi_server)
    page.goto(f"{asgi_server}/studio/jobs/{job.pk}/")
    n = page.locator(".scene-card").count()
    assert n == job.scenes.count() >= 4

    version = job.plan_version
    for i in range(n):
        version = _save_text_only(page, i, version)

    # change the second scene's length: the others (the end card too) absorb it and stay savable
    card = page.locator(".scene-card").nth(1)
    current = float(card.locator("input[name=duration]").input_value())
    card.locator("input[name=duration]").fill(f"{current + 0.7:.1f}")
    card.locator("text=Save scene").click()
    version += 1
    page.wait_for_selector(f"#storyboard[data-plan-version='{version}']")
    assert page.locator("[data-testid=edit-error]").count() == 0
    durations = [s.duration_seconds for s in Scene.objects.filter(job=job).order_by("number")]
    assert durations[1] == pytest.approx(current + 0.7)
    assert round(sum(durations), 6) == data["duration"], "the ad keeps the length the brief asked for"
    for i in range(n):
        version = _save_text_only(page, i, version)

    if example == "coffee_brief.json" and screenshots_wanted():  # every keyframe loaded, for the picture
        page.evaluate("() => document.querySelectorAll('img.keyframe').forEach(i => { i.loading = 'eager'; })")
        page.wait_for_function("() => [...document.querySelectorAll('img.keyframe')].every(i => i.complete && i.naturalWidth > 0)",
                               timeout=120_000)
        screenshot(page.locator("#storyboard"), "storyboard-1280.png")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(page, "storyboard-390.png")
