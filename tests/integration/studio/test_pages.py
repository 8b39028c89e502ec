import io

import pytest
from django.urls import reverse
from PIL import Image

from videogen.models import Render, Scene, VideoJob

pytestmark = pytest.mark.django_db


def test_studio_pages_for_each_role(job, client_as):
    for role, can_edit in (("owner", True), ("admin", True), ("editor", True), ("reviewer", False), ("viewer", False)):
        client = client_as(role)
        studio = client.get(reverse("videogen:studio"))
        assert studio.status_code == 200 and "Aurora Cold Brew" in studio.content.decode()
        assert client.get(reverse("videogen:new")).status_code == (200 if can_edit else 403)
        detail = client.get(reverse("videogen:job", args=[job.pk]))
        assert detail.status_code == 200
        assert ("Save scene" in detail.content.decode()) == can_edit
        edit = client.post(reverse("videogen:scene_edit", args=[job.pk, job.scenes.first().scene_key]), {"voiceover": "Hi."})
        assert edit.status_code == (302 if can_edit else 403)


def test_brief_form_creates_job_and_shows_storyboard(alice_client, photo):
    response = alice_client.post(reverse("videogen:new"), {
        "product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings", "request_type": "marketing_video",
        "style": "minimalist", "duration": 10, "aspect_ratios": ["9:16", "16:9"], "call_to_action": "Order today",
        "landing_url": "https://example.com/cb", "primary_color": "#112233", "accent_color": "#ffcc00", "images": str(photo.pk),
    })
    job = VideoJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("videogen:job", args=[job.pk])
    assert job.brief["aspect_ratios"] == ["9:16", "16:9"] and job.brief["brand"]["colors"] == ["#112233", "#FFCC00"]
    page = alice_client.get(response["Location"]).content.decode()
    assert "Storyboard" in page and f"/studio/jobs/{job.pk}/keyframes/9x16/1.png" in page


def test_brief_form_errors(alice_client, charlie_org, charlie, upload_asset):
    theirs = upload_asset(charlie_org, charlie)
    response = alice_client.post(reverse("videogen:new"), {
        "product_name": "", "text_prompt": "short", "request_type": "story", "style": "casual", "duration": 99,
        "aspect_ratios": ["9:16"], "call_to_action": "Go", "primary_color": "blue", "accent_color": "#FFCC00", "images": str(theirs.pk),
    })
    html = response.content.decode()
    assert response.status_code == 200 and not VideoJob.objects.exists()
    for message in ("This field is required", "at least 10 characters", "less than or equal to 60", "hex colour", "no longer exists"):
        assert message in html


def test_htmx_edit_returns_storyboard_and_stale_tab_gets_409(alice_client, job):
    key = job.scenes.order_by("number").first().scene_key
    url = reverse("videogen:scene_edit", args=[job.pk, key])
    ok = alice_client.post(url, {"on_screen_text": "Cold. Smooth. Fast.", "plan_version": "1"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "Cold. Smooth. Fast." in ok.content.decode() and "plan v2" in ok.content.decode()
    stale = alice_client.post(url, {"on_screen_text": "Other tab", "plan_version": "1"}, HTTP_HX_REQUEST="true")
    assert stale.status_code == 409 and "changed since you opened it" in stale.content.decode()
    assert Scene.objects.get(job=job, scene_key=key).on_screen_text == "Cold. Smooth. Fast."


def test_keyframe_png_per_scene_and_ratio(alice_client, job):
    response = alice_client.get(reverse("videogen:keyframe", args=[job.pk, "9x16", 1]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size[0] * 16 == image.size[1] * 9 and image.size[0] >= 540  # a 9:16 keyframe
    assert alice_client.get(reverse("videogen:keyframe", args=[job.pk, "9x16", 99])).status_code == 404
    assert alice_client.get(reverse("videogen:keyframe", args=[job.pk, "3x2", 1])).status_code == 404


def test_drop_zone_upload_answers_json(alice_client):
    buf = io.BytesIO()
    Image.new("RGB", (100, 80), "orange").save(buf, "JPEG")
    buf.name = "drop.jpg"
    buf.seek(0)
    ok = alice_client.post(reverse("videogen:asset_upload"), {"file": buf, "kind": "image"})
    assert ok.status_code == 201 and ok.json()["name"] == "drop.jpg"
    bad = io.BytesIO(b"GIF89a not really")
    bad.name = "x.jpg"
    refused = alice_client.post(reverse("videogen:asset_upload"), {"file": bad})
    assert refused.status_code == 400 and "x.jpg" in refused.json()["detail"]


def test_compare_two_versions(alice_client, job, photo, alice):
    assert alice_client.get(reverse("videogen:job_compare", args=[job.pk])).status_code == 404
    Render.objects.create(job=job, number=1, outputs={"9:16": photo.pk}, created_by=alice)
    Render.objects.create(job=job, number=2, outputs={"9:16": photo.pk}, created_by=alice)
    page = alice_client.get(reverse("videogen:job_compare", args=[job.pk]) + "?a=1&b=2")
    assert page.status_code == 200 and page.content.decode().count("<video") == 2


def test_brand_kit_page_and_wizard_defaults(alice_client, client_for, member_of, alice_org):
    import io as _io

    from videogen.models import BrandKit

    buf = _io.BytesIO()
    Image.new("RGBA", (120, 60), (255, 255, 255, 0)).save(buf, "PNG")
    buf.name = "logo.png"
    buf.seek(0)
    saved = alice_client.post(reverse("videogen:brand_kit"), {
        "primary_color": "#0a0a0a", "accent_color": "#ff6600", "logo_file": buf, "logo_position": "bottom_left",
        "font": "", "default_voice": "en-gb", "default_call_to_action": "Try it free"})
    assert saved.status_code == 302
    kit = BrandKit.objects.get(organization=alice_org)
    assert kit.colors == ["#0A0A0A", "#FF6600"] and kit.logo.kind == "logo" and kit.default_voice.engine_voice_id == "en-gb"
    form = alice_client.get(reverse("videogen:new")).content.decode()
    assert 'value="Try it free"' in form and 'value="#0A0A0A"' in form and f'name="logo" value="{kit.logo_id}"' in form
    bad = alice_client.post(reverse("videogen:brand_kit"), {"primary_color": "red", "accent_color": "#ff6600",
                                                            "logo_position": "middle", "default_voice": "xx-klingon"})
    assert bad.status_code == 200 and BrandKit.objects.get(organization=alice_org).colors == ["#0A0A0A", "#FF6600"]
    viewer = client_for(member_of("viewer"))
    assert viewer.get(reverse("videogen:brand_kit")).status_code == 200
    assert viewer.post(reverse("videogen:brand_kit"), {"primary_color": "#000000"}).status_code == 403


def test_voice_sample_is_spoken_once_and_served(alice_client, charlie_client):
    import wave

    from videogen.models import Voice

    voice = Voice.objects.get(engine_voice_id="en-gb")
    response = alice_client.get(reverse("videogen:voice_sample", args=[voice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(b"".join(response.streaming_content))) as w:
        assert w.getframerate() == 48000 and w.getnframes() / 48000 > 1.0
    voice.refresh_from_db()
    assert voice.sample_audio.name.endswith(".wav")
    assert charlie_client.get(reverse("videogen:voice_sample", args=[voice.pk])).status_code == 200  # shared library
    assert alice_client.get(reverse("videogen:voice_sample", args=[999999])).status_code == 404
    page = alice_client.get(reverse("videogen:new")).content.decode()
    assert "data-voice-listen" in page and f"&quot;en-gb&quot;: {voice.pk}" in page  # JSON in an HTML attribute
