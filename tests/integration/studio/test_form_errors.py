"""The wizard and the brand kit show every refusal on the page (next to the field, or in the
form's error box for fields that are not visible) — never a silent 200 that looks like nothing
happened — and brief image ids are strict whole numbers."""

import html
import re

import pytest

from videogen.models import BrandKit, VideoJob

pytestmark = pytest.mark.django_db

WIZARD_OK = {"product_name": "Aurora", "text_prompt": "Smooth cold brew for busy mornings", "request_type": "marketing_video",
             "style": "vibrant", "duration": "15", "aspect_ratios": ["9:16"], "call_to_action": "Shop now",
             "primary_color": "#1E3A8A", "accent_color": "#F59E0B", "voice": "none"}
WIZARD_BAD = {"request_type": "hologram", "style": "gothic", "duration": "abc", "aspect_ratios": ["3:2"], "voice": "klingon",
              "campaign": "999999", "primary_color": "red", "accent_color": "#12", "landing_url": "not a url",
              "logo": "abc", "seed": "-5", "images": "1,x", "product_name": "", "text_prompt": "short",
              "call_to_action": ""}

KIT_OK = {"primary_color": "#1E3A8A", "accent_color": "#F59E0B", "logo_position": "top_right"}
KIT_BAD = {"primary_color": "blue", "accent_color": "#GGGGGG", "logo": "999999", "logo_position": "center",
           "default_voice": "klingon", "font": "x" * 200, "default_call_to_action": "y" * 80}


def _shown_errors(response):
    page = html.unescape(response.content.decode())
    form = response.context["form"]
    messages = [m for errors in form.errors.values() for m in errors]
    return page, messages


@pytest.mark.parametrize("field", list(WIZARD_BAD))
def test_wizard_shows_why_a_value_is_refused(alice_client, photo, field):
    data = {**WIZARD_OK, "images": str(photo.pk), field: WIZARD_BAD[field]}
    response = alice_client.post("/studio/new/", data)
    assert response.status_code == 200 and not VideoJob.objects.exists()
    page, messages = _shown_errors(response)
    assert messages, f"{field}: refused without any error"
    for message in messages:
        assert message in page, f"{field}: {message!r} is not on the page"
    assert 'role="alert"' in page


@pytest.mark.parametrize("field", list(KIT_BAD))
def test_brand_kit_shows_why_a_value_is_refused(alice_client, field):
    response = alice_client.post("/studio/brand/", {**KIT_OK, field: KIT_BAD[field]})
    assert response.status_code == 200 and not BrandKit.objects.exists()
    page, messages = _shown_errors(response)
    assert messages, f"{field}: refused without any error"
    for message in messages:
        assert message in page, f"{field}: {message!r} is not on the page"
    assert re.search(r'class="errorlist[^"]*"|role="alert"', page)


@pytest.mark.parametrize("bad", [True, False, 1.0, "1", 0, -1, 2**70, None, [1], {"id": 1}])
@pytest.mark.parametrize("where", ["images", "brand.logo"])
def test_brief_asset_ids_are_strict_whole_numbers(alice_api, alice_org, alice, photo, make_brief, bad, where):
    from videogen.models import Asset

    if bad is None and where == "brand.logo":
        pytest.skip("no logo is a valid brief")
    Asset.objects.filter(pk=photo.pk).update(id=1)  # `true` == 1 in Python: asset 1 exists and is alice's
    brief = make_brief([1])
    if where == "images":
        brief["images"] = [bad]
    else:
        brief["brand"] = {"logo": bad}
    response = alice_api.post("/api/v1/video-jobs/", brief, format="json")
    assert response.status_code == 400, response.json()
    key = "images[0]" if where == "images" else "brand.logo"
    assert key in response.json()["errors"], response.json()
    assert not VideoJob.objects.exists()
    ok = alice_api.post("/api/v1/video-jobs/", make_brief([1]), format="json")
    assert ok.status_code in (201, 202)  # the same brief with a real id is accepted
