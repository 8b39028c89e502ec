"""The voice library: a curated list by default (language, gender, the engine's quality) — not
every espeak-ng voice with its constructed languages — and every voice behind "all voices", on the
wizard page, the brand kit and the API."""

import re

import pytest
from django.urls import reverse

from videogen import services
from videogen.library import CONSTRUCTED_LANGUAGES, CURATED_VOICES, FEMALE_LANGUAGES, voice_library_sync
from videogen.models import VideoJob, Voice

CONSTRUCTED = {"eo": "Esperanto", "jbo": "Lojban", "ia": "Interlingua", "piqd": "Klingon", "io": "Ido", "qya": "Quenya"}


@pytest.fixture
def library(db):
    assert voice_library_sync() > 100
    return Voice.objects.filter(is_active=True)


def _options(html: str, name: str) -> dict[str, str]:
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"the page has a {name} select"
    select = found.group(1)
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


def test_the_library_knows_language_gender_and_quality(library):
    assert set(CONSTRUCTED) <= CONSTRUCTED_LANGUAGES
    curated = [v for v in library if v.emotion_profile.get("curated")]
    assert {v.engine_voice_id.split("+")[0] for v in curated} == set(CURATED_VOICES)
    assert {v.engine_voice_id for v in curated if v.emotion_profile["gender"] == "female"} == {f"{c}+f3" for c in FEMALE_LANGUAGES}
    assert all(v.emotion_profile["quality"] in ("good", "fair") for v in curated)
    for code in CONSTRUCTED:
        v = library.get(engine_voice_id=code)
        assert v.emotion_profile == {**v.emotion_profile, "curated": False, "kind": "constructed", "quality": "basic"}


def test_the_wizard_shows_the_curated_voices_and_all_voices_on_request(alice_client, library):
    url = reverse("videogen:new")
    default = _options(alice_client.get(url).content.decode(), "voice")
    assert len(default) == 2 + len(CURATED_VOICES) + len(FEMALE_LANGUAGES) < 50
    assert default["en-us"] == "English (US) · male · good quality"
    assert default["en-us+f3"] == "English (US) · female · good quality"
    for code, language in CONSTRUCTED.items():
        assert code not in default and language not in " ".join(default.values())
    html = alice_client.get(url).content.decode()
    assert 'href="?voices=all"' in html and "All voices" in html

    everything = _options(alice_client.get(url, {"voices": "all"}).content.decode(), "voice")
    assert len(everything) == 2 + library.count() > 130
    for code, language in CONSTRUCTED.items():
        assert everything[code].startswith(language) and "constructed language" in everything[code]
    assert list(everything)[:4] == ["", "none", "en-us", "en-us+f3"], "curated first"


def test_a_voice_from_all_voices_can_be_chosen_and_stays_in_the_menu(alice_client, alice_org, photo, library, make_brief):
    url = reverse("videogen:new")
    data = {**make_brief([photo.pk]), "images": str(photo.pk), "aspect_ratios": ["9:16"], "voice": "eo",
            "primary_color": "#1E3A8A", "accent_color": "#F59E0B", "request_type": "marketing_video", "style": "vibrant"}
    data.pop("seed")
    resp = alice_client.post(url, data)
    assert resp.status_code == 302, re.findall(r'(?:errorlist|form-errors)[^>]*>(.*?)</(?:ul|div)>', resp.content.decode(), re.S)
    job = VideoJob.objects.filter(organization=alice_org).latest("pk")
    assert job.brief["voice"] == {"engine": "espeak-ng", "voice": "eo"}
    # a bound form that fails keeps the non-curated voice chosen in its menu
    resp = alice_client.post(url, {**data, "product_name": ""})
    options = _options(resp.content.decode(), "voice")
    assert "eo" in options and "jbo" not in options


def test_a_female_variant_is_a_valid_brief_voice_and_a_made_up_one_is_not(alice_org, alice, photo, library, make_brief):
    job = services.video_job_create(organization=alice_org, user=alice,
                                    brief_data=make_brief([photo.pk], voice={"engine": "espeak-ng", "voice": "de+f3"}))
    assert job.brief["voice"]["voice"] == "de+f3"
    from django.core.exceptions import ValidationError

    for bad in ("de+zz9", "xx+f3"):
        with pytest.raises(ValidationError) as exc:
            services.video_job_create(organization=alice_org, user=alice,
                                      brief_data=make_brief([photo.pk], voice={"engine": "espeak-ng", "voice": bad}))
        assert "voice.voice" in exc.value.message_dict


def test_the_api_lists_curated_voices_by_default_and_all_with_set_all(alice_api, library):
    default = alice_api.get("/api/v1/voices/")
    assert default.status_code == 200
    ids = [v["engine_voice_id"] for v in default.json()]
    assert ids[:2] == ["en-us", "en-us+f3"] and len(ids) == len(CURATED_VOICES) + len(FEMALE_LANGUAGES)
    assert not set(ids) & set(CONSTRUCTED)
    first = default.json()[0]
    assert (first["label"], first["gender"], first["quality"], first["curated"]) == (
        "English (US) · male · good quality", "male", "good", True)
    everything = alice_api.get("/api/v1/voices/", {"set": "all"}).json()
    assert set(CONSTRUCTED) <= {v["engine_voice_id"] for v in everything} and len(everything) == library.count()
    bad = alice_api.get("/api/v1/voices/", {"set": "robots"})
    assert bad.status_code == 400 and "set" in bad.json().get("errors", bad.json())


def test_the_brand_kit_offers_the_curated_voices(alice_client, library):
    options = _options(alice_client.get(reverse("videogen:brand_kit")).content.decode(), "default_voice")
    assert "en-gb" in options and not set(options) & set(CONSTRUCTED)
