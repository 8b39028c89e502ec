"""The music choice in the wizard and the API: mood, tempo or none reach the job's brief; bad
choices are a 400 / a form error naming the field; nothing is saved."""

import re

import pytest
from django.urls import reverse

from videogen.forms import MUSIC_MOODS
from videogen.models import VideoJob


def _post_data(photo, **extra):
    return {"product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings", "duration": 8,
            "aspect_ratios": ["9:16"], "call_to_action": "Order today", "images": str(photo.pk), "request_type": "marketing_video",
            "style": "vibrant", "primary_color": "#1E3A8A", "accent_color": "#F59E0B", **extra}


@pytest.mark.parametrize("mood", [m for m, _ in MUSIC_MOODS])
def test_each_mood_from_the_wizard_reaches_the_brief(alice_client, alice_org, photo, mood):
    resp = alice_client.post(reverse("videogen:new"), _post_data(photo, music_mood=mood, music_tempo="128"))
    assert resp.status_code == 302
    job = VideoJob.objects.filter(organization=alice_org).latest("pk")
    expected = {"mood": mood, "tempo_bpm": None if mood == "none" else 128}
    assert job.brief["music"] == expected


def test_the_default_leaves_the_brief_as_before(alice_client, alice_org, photo):
    assert alice_client.post(reverse("videogen:new"), _post_data(photo)).status_code == 302
    assert "music" not in VideoJob.objects.filter(organization=alice_org).latest("pk").brief


def test_the_wizard_shows_the_music_fields(alice_client):
    html = alice_client.get(reverse("videogen:new")).content.decode()
    select = re.search(r'<select name="music_mood"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]*)"', select) == [m for m, _ in MUSIC_MOODS]
    assert 'name="music_tempo"' in html and '<label for="id_music_mood">Music</label>' in html


@pytest.mark.parametrize(("extra", "field", "words"), [
    ({"music_mood": "jazzy"}, "music_mood", "Select a valid choice"),
    ({"music_tempo": "300"}, "music_tempo", "Select a valid choice"),
    ({"music_mood": "none", "voice": "none"}, "music_mood", "silent ad"),
])
def test_bad_music_is_an_error_on_its_field(alice_client, alice_org, photo, extra, field, words):
    before = VideoJob.objects.count()
    resp = alice_client.post(reverse("videogen:new"), _post_data(photo, **extra))
    assert resp.status_code == 200 and VideoJob.objects.count() == before
    form = resp.context["form"]
    assert any(words in e for e in form.errors.get(field, [])), form.errors


@pytest.mark.parametrize(("music", "field"), [
    ({"mood": "jazzy"}, "music.mood"), ({"tempo_bpm": 5}, "music.tempo_bpm"), ({"mood": "calm", "volume": 2}, "music.volume"),
])
def test_the_api_refuses_bad_music_naming_the_field(alice_api, photo, make_brief, music, field):
    before = VideoJob.objects.count()
    resp = alice_api.post("/api/v1/video-jobs/", make_brief([photo.pk], music=music), format="json")
    assert resp.status_code == 400 and field in resp.json()["errors"], resp.json()
    assert VideoJob.objects.count() == before


def test_the_api_takes_a_music_choice(alice_api, photo, make_brief):
    resp = alice_api.post("/api/v1/video-jobs/", make_brief([photo.pk], music={"mood": "calm", "tempo_bpm": 90}), format="json")
    assert resp.status_code == 202, resp.json()
    assert VideoJob.objects.get(pk=resp.json()["id"]).brief["music"] == {"mood": "calm", "tempo_bpm": 90}
