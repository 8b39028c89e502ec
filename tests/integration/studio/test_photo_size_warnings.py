"""A photo too small for a placement (451×300 for 1080×1920) is accepted with a warning — in the
upload's response (page and API) and on the storyboard's scenes ("will look soft") — never
upscaled silently."""

import io
import math
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from videogen import services
from videogen.engine.render.formats import FORMATS, RATIOS
from videogen.uploads import SOFT_UPSCALE, asset_create_from_upload, photo_size_warnings

pytestmark = pytest.mark.django_db


def png(width, height, name="photo.png"):
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 60)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def expected_soft(width, height):
    """The ratios for which fitting the whole photo in the frame enlarges it more than 1.5×."""
    return [r for r in RATIOS if min(FORMATS[r].width / width, FORMATS[r].height / height) > SOFT_UPSCALE]


SIZES = [(451, 300), (1080, 1920), (1920, 1080), (1080, 1080), (640, 480), (720, 1280), (719, 1279), (3000, 2000)]


@pytest.mark.parametrize("width,height", SIZES)
def test_photo_size_warnings_for_every_format(width, height):
    warnings = photo_size_warnings(width=width, height=height)
    assert [w["ratio"] for w in warnings] == expected_soft(width, height)
    for w in warnings:
        spec = FORMATS[w["ratio"]]
        assert "will look soft" in w["message"] and f"{width}×{height}" in w["message"]
        assert f"({spec.width}×{spec.height})" in w["message"]
        assert (w["min_width"], w["min_height"]) == (math.ceil(spec.width / 1.5), math.ceil(spec.height / 1.5))


def test_the_issue_example_is_flagged_for_9_16():
    [w] = photo_size_warnings(width=451, height=300, ratios=["9:16"])
    assert w["message"] == ("451×300 is small for 9:16 (1080×1920): it would be enlarged 2.4× and will look soft. "
                            "Use a photo at least 720 px wide or 1280 px tall.")


@pytest.mark.parametrize("width,height", SIZES)
def test_upload_page_answers_with_the_warnings(alice_client, width, height):
    response = alice_client.post("/studio/uploads/", {"file": png(width, height), "kind": "image"})
    assert response.status_code == 201
    body = response.json()
    assert (body["width"], body["height"]) == (width, height)
    assert len(body["warnings"]) == len(expected_soft(width, height))
    assert all("will look soft" in m for m in body["warnings"])


@pytest.mark.parametrize("ratios", [["9:16"], ["16:9"], ["9:16", "1:1"], ["4:5"]])
def test_upload_page_warns_for_the_placements_picked_in_the_brief(alice_client, ratios):
    response = alice_client.post("/studio/uploads/", {"file": png(451, 300), "kind": "image", "aspect_ratios": ratios})
    assert response.status_code == 201
    warnings = response.json()["warnings"]
    assert [m.split(" ")[4] for m in warnings] == ratios  # "451×300 is small for <ratio> (…"


def test_api_upload_answers_with_the_warnings(alice_api):
    response = alice_api.post("/api/v1/assets/", {"file": png(451, 300), "kind": "image"}, format="multipart")
    assert response.status_code == 201
    assert len(response.json()["warnings"]) == len(RATIOS) and "will look soft" in response.json()["warnings"][0]
    big = alice_api.post("/api/v1/assets/", {"file": png(1920, 1920), "kind": "image"}, format="multipart")
    assert big.status_code == 201 and big.json()["warnings"] == []


@pytest.mark.parametrize("ratios", [["9:16"], ["16:9"], ["9:16", "1:1", "4:5", "16:9"]])
def test_storyboard_flags_every_scene_showing_a_small_photo(alice, alice_org, alice_client, ratios):
    small = asset_create_from_upload(organization=alice_org, user=alice, upload=png(451, 300, "small.png"))
    big = asset_create_from_upload(organization=alice_org, user=alice, upload=png(2160, 3840, "big.png"))
    job = services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 15,
        "aspect_ratios": ratios, "images": [small.pk]})
    html = alice_client.get(f"/studio/jobs/{job.pk}/").content.decode()
    photo_scenes = [s for s in job.scenes.all() if s.image_id == small.pk and s.visual_source == "product_image"]
    assert photo_scenes, "the plan shows the photo in some scene"
    assert html.count('data-testid="soft-photo"') == len(photo_scenes)
    for scene in photo_scenes:
        assert f"The photo of scene {scene.number} will look soft" in html
    sentence = re.search(r"451×300 is small for (.+?): it would", html)
    assert sentence and all(ratio in sentence.group(1) for ratio in ratios), "one sentence names every format"
    assert html.count("451×300 is small for") == len(photo_scenes), "one sentence per scene, not one per format"
    # swapping in a large enough photo clears the warning
    job.scenes.filter(image=small).update(image=big)
    assert 'data-testid="soft-photo"' not in alice_client.get(f"/studio/jobs/{job.pk}/").content.decode()
