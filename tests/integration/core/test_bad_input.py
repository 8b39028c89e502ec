"""Bad input answers a 400 (or 413) naming the field, never a 500 — pages (HTML 400 page) and the
API (``{"detail", "errors"}``): NUL characters in query strings and bodies, JSON nested too deep or
too large, dates at the calendar's edge, integers that don't parse, empty or malformed multipart
fields. Nothing is saved by a refused request."""

from __future__ import annotations

import json

import pytest

from campaigns.models import AdSet, Campaign
from videogen import services as video_services
from videogen.models import VideoJob

pytestmark = pytest.mark.django_db

CALENDAR_EDGES = [
    ({"range": "custom", "from": "0001-01-01", "to": "0001-01-05"}, "from"),
    ({"range": "custom", "from": "2026-01-01", "to": "0001-01-05"}, "to"),
    ({"range": "custom", "from": "9999-12-01", "to": "9999-12-31"}, "from"),
    ({"range": "custom", "from": "2026-01-01", "to": "9999-12-31"}, "to"),
]


@pytest.fixture
def job(alice_org, alice):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from videogen.uploads import asset_create_from_upload

    data = (Path(__file__).resolve().parents[3] / "examples" / "coffee.png").read_bytes()
    photo = asset_create_from_upload(organization=alice_org, user=alice, upload=SimpleUploadedFile("coffee.png", data))
    return video_services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for mornings", "duration": 8, "aspect_ratios": ["9:16"],
        "images": [photo.pk], "seed": 7})


def _page_urls(tree, job):
    campaign = tree[0]
    return {
        "dashboard": "/", "campaign list": "/campaigns/", "campaign export": "/campaigns/export.csv",
        "report export": "/campaigns/report.csv", "campaign detail": f"/campaigns/{campaign.pk}/",
        "studio": "/studio/", "new video": "/studio/new/", "compare": f"/studio/jobs/{job.pk}/compare/",
        "audit log": "/accounts/audit/", "job": f"/studio/jobs/{job.pk}/",
    }


def _assert_bad_request_page(response, *names, status=400):
    assert response.status_code == status, (response.status_code, names)
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Bad request" in body
    for name in names:
        assert f"<strong>{name}</strong>" in body, (name, body[-800:])


def _assert_api_error(response, field, status=400):
    assert response.status_code == status, (response.status_code, field, response.content[:300])
    body = response.json()
    assert set(body) == {"detail", "errors"} and field in body["errors"], body
    assert all(isinstance(m, str) for msgs in body["errors"].values() for m in msgs), body
    assert "ErrorDetail" not in response.content.decode()
    return body


# --- NUL characters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["q", "status", "range", "from", "currency", "template", "a", "ratio", "action", "x"])
def test_nul_in_query_string_of_every_page_is_a_400_page_naming_the_parameter(alice_client, tree, job, param):
    for url in _page_urls(tree, job).values():
        response = alice_client.get(url, {param: "cold\x00brew"})
        _assert_bad_request_page(response, param)


def test_nul_for_signed_out_visitors_is_a_400_page_too(client, db):
    _assert_bad_request_page(client.get("/accounts/signup/", {"email": "a\x00@example.com"}), "email")
    _assert_bad_request_page(client.post("/accounts/login/", {"username": "a\x00@example.com", "password": "x"}), "username")


def test_nul_in_a_query_parameter_name_and_in_the_path(alice_client, tree, job):
    _assert_bad_request_page(alice_client.get("/campaigns/?q%00x=1"), "q\\x00x")
    _assert_bad_request_page(alice_client.get(f"/studio/jobs/{job.pk}/scenes/s%001/edit/"), "path")


API_QUERY_PARAMS = {
    "/api/v1/campaigns/": ["search", "status", "platform", "objective", "ordering"],
    "/api/v1/ad-sets/": ["campaign", "status"],
    "/api/v1/ads/": ["ad_set", "campaign", "status"],
    "/api/v1/insights/": ["ad", "ad_set", "campaign", "platform", "from", "to"],
    "/api/v1/kpis/": ["from", "to", "group_by", "campaign", "ad_set", "ad", "platform", "currency"],
    "/api/v1/video-jobs/": ["page"], "/api/v1/assets/": ["page"], "/api/v1/templates/": ["page"],
    "/api/v1/audit-events/": ["action"], "/api/v1/members/": ["page"],
}


def test_nul_in_every_api_query_parameter_is_a_400_naming_it(alice_api, tree):
    for url, params in API_QUERY_PARAMS.items():
        for param in params:
            _assert_api_error(alice_api.get(url, {param: "1\x00"}), param)


def test_nul_in_json_bodies_names_the_field_and_saves_nothing(alice_api, tree):
    campaign = tree[0]
    cases = [
        ("/api/v1/campaigns/", {"name": "Cold\x00brew", "objective": "traffic", "platforms": ["meta"]}, "name", None),
        ("/api/v1/ad-sets/", {"campaign": campaign.pk, "name": "US", "targeting": {"interests": ["cof\x00fee"]}},
         "targeting", "targeting.interests[0]"),
        ("/api/v1/ad-sets/", {"campaign": campaign.pk, "name": "US", "targeting": {"inter\x00ests": ["coffee"]}},
         "targeting", "targeting.inter\\x00ests"),
        ("/api/v1/video-jobs/", {"product_name": "Aurora", "text_prompt": "Cold\x00brew", "duration": 8}, "text_prompt", None),
    ]
    before = (Campaign.objects.count(), AdSet.objects.count(), VideoJob.objects.count())
    for url, data, field, place in cases:
        body = _assert_api_error(alice_api.post(url, json.dumps(data), content_type="application/json"), field)
        if place:
            assert any(place.split(".", 1)[1] in m for m in body["errors"][field]), body
    assert (Campaign.objects.count(), AdSet.objects.count(), VideoJob.objects.count()) == before


def test_nul_in_form_bodies_pages_and_api(alice_client, alice_api, make_mp4):
    before = Campaign.objects.count()
    page = alice_client.post("/campaigns/new/", {"name": "Cold\x00brew", "objective": "traffic", "platforms": ["meta"],
                                                 "status": "draft", "budget_level": "ad_set", "budget_type": "daily",
                                                 "currency": "USD"})
    _assert_bad_request_page(page, "name")
    api_form = alice_api.post("/api/v1/campaigns/", "name=Cold%00brew&objective=traffic&platforms=meta",
                              content_type="application/x-www-form-urlencoded")
    _assert_api_error(api_form, "name")
    multipart = alice_api.post("/api/v1/campaigns/", {"name": "Cold\x00brew", "objective": "traffic", "platforms": "meta"},
                               format="multipart")
    _assert_api_error(multipart, "name")
    upload = alice_api.post("/api/v1/assets/", {"file": make_mp4(name="clip\x00.mp4")}, format="multipart")
    # Django's multipart parser drops what follows a NUL in a file name: a clean name, never a 500
    assert upload.status_code in (201, 400) and "\x00" not in upload.json().get("original_name", "")
    assert Campaign.objects.count() == before


# --- JSON nesting and size --------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_recursion_error(alice_api, tree):
    campaign = tree[0]
    deep = {}
    node = deep
    for _ in range(200):
        node["a"] = {}
        node = node["a"]
    cases = [
        ("/api/v1/campaigns/", "[" * 100_000 + "]" * 100_000, "non_field_errors"),
        ("/api/v1/campaigns/", json.dumps({"name": "x", "objective": "traffic",
                                            "platforms": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["meta"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
         "platforms"),
        ("/api/v1/ad-sets/", json.dumps({"campaign": campaign.pk, "name": "US", "targeting": deep}), "targeting"),
        ("/api/v1/video-jobs/", json.dumps({"product_name": "Aurora", "brand": deep}), "brand"),
    ]
    before = (Campaign.objects.count(), AdSet.objects.count())
    for url, raw, field in cases:
        body = _assert_api_error(alice_api.post(url, raw, content_type="application/json"), field)
        assert "nested deeper than 32 levels" in " ".join(body["errors"][field])
    assert (Campaign.objects.count(), AdSet.objects.count()) == before


def test_body_larger_than_the_limit_is_a_413_naming_the_limit(alice_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = json.dumps({"name": "x" * 2000, "objective": "traffic", "platforms": ["meta"]})
    for content_type, data in (("application/json", raw), ("application/x-www-form-urlencoded", "name=" + "x" * 2000)):
        response = alice_api.post("/api/v1/campaigns/", data, content_type=content_type)
        body = _assert_api_error(response, "body", status=413)
        assert "1000 bytes" in body["detail"]
    assert not Campaign.objects.filter(name__startswith="xxx").exists()


# --- dates at the calendar's edge -------------------------------------------------------------------


def test_calendar_edge_dates_on_pages_are_a_400_naming_the_parameter(alice_client, tree, job):
    urls = _page_urls(tree, job)
    for name in ("dashboard", "campaign export", "report export", "campaign detail"):
        for params, field in CALENDAR_EDGES:
            response = alice_client.get(urls[name], params)
            _assert_bad_request_page(response, field)
            assert "between 1970-01-01 and 2999-12-31" in response.content.decode()


def test_calendar_edge_dates_in_the_api_are_a_400_naming_the_parameter(alice_api, tree):
    for url in ("/api/v1/kpis/", "/api/v1/insights/"):
        for params, field in [({"to": "0001-01-05"}, "to"), ({"from": "0001-01-01"}, "from"),
                              ({"to": "9999-12-31"}, "to"), ({"from": "9999-12-31"}, "from")]:
            body = _assert_api_error(alice_api.get(url, params), field)
            assert body["errors"][field] == ["Enter a date between 1970-01-01 and 2999-12-31."]


# --- integers that don't parse ----------------------------------------------------------------------


def test_unparsed_integers_in_page_query_strings_are_a_400(alice_client, job, tree):
    for url, param in [(f"/studio/jobs/{job.pk}/compare/", "a"), (f"/studio/jobs/{job.pk}/compare/", "b"),
                       ("/campaigns/report.csv", "campaign"), ("/campaigns/", "per_page")]:
        for bad in ("abc", "1.5", "-1", "99999999999999999999999"):
            _assert_bad_request_page(alice_client.get(url, {param: bad}), param)


def test_unparsed_integers_in_api_query_strings_are_a_400(alice_api, tree):
    for url, params in API_QUERY_PARAMS.items():
        for param in params:
            if param in ("campaign", "ad_set", "ad"):
                for bad in ("abc", "1.5", "99999999999999999999999"):
                    _assert_api_error(alice_api.get(url, {param: bad}), param)


# --- multipart on POST /api/v1/campaigns/ ----------------------------------------------------------


def test_multipart_campaign_with_empty_or_malformed_fields_is_a_400(alice_api):
    cases = [
        ({"name": "", "objective": "", "platforms": ""}, ["name", "objective", "platforms"]),
        ({"name": "Spring", "objective": "traffic"}, ["platforms"]),
        ({"name": "Spring", "objective": "traffic", "platforms": "meta", "budget_minor": "abc"}, ["budget_minor"]),
        ({"name": "Spring", "objective": "traffic", "platforms": "meta", "starts_at": "soon"}, ["starts_at"]),
        ({"name": "Spring", "objective": "traffic", "platforms": "meta", "special_ad_categories": ""},
         ["special_ad_categories"]),
        ({"name": "Spring", "objective": "traffic", "platforms": "meta", "budget_level": "campaign",
          "budget_minor": "0", "currency": "0", "starts_at": "2000-01-01T00:00:00Z", "ends_at": ""}, ["currency"]),
    ]
    for data, fields in cases:
        response = alice_api.post("/api/v1/campaigns/", data, format="multipart")
        for field in fields:
            _assert_api_error(response, field)
    broken = alice_api.post("/api/v1/campaigns/", b"--xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nSpr",
                            content_type="multipart/form-data; boundary=xyz")
    assert broken.status_code == 400 and set(broken.json()) == {"detail", "errors"}
    no_boundary = alice_api.post("/api/v1/campaigns/", b"name=x", content_type="multipart/form-data")
    assert no_boundary.status_code == 400 and "boundary" in no_boundary.json()["detail"].lower()
    assert not Campaign.objects.exists()


# --- error messages are plain strings ---------------------------------------------------------------


def test_nested_errors_are_plain_strings_with_their_place(alice_api, tree):
    campaign = tree[0]
    cases = [
        ("/api/v1/campaigns/", {"name": "x", "objective": "traffic", "platforms": ["meta"], "special_ad_categories": ["", "x"]},
         "special_ad_categories", ['[0]: "" is not a valid choice.', '[1]: "x" is not a valid choice.']),
        ("/api/v1/campaigns/", {"name": "x", "objective": "traffic", "platforms": ["tiktok"]},
         "platforms", ['[0]: "tiktok" is not a valid choice.']),
        ("/api/v1/ad-sets/", {"campaign": campaign.pk, "name": "US", "placements": ["nowhere"]},
         "placements", ['[0]: "nowhere" is not a valid choice.']),
    ]
    for url, data, field, messages in cases:
        body = _assert_api_error(alice_api.post(url, data, format="json"), field)
        assert body["errors"][field] == messages
        assert body["detail"] == f"Invalid input: {field}: {messages[0]}"


def test_ids_that_are_not_ascii_digits_or_overflow_bigint_never_reach_the_database(alice_client, job):
    scene = job.scenes.order_by("number").first()
    for bad in ("²", "٣", "9" * 25):
        assert alice_client.get("/studio/new/", {"template": bad}).status_code == 404
        clip = alice_client.post(f"/studio/jobs/{job.pk}/scenes/{scene.scene_key}/clip/", {"clip": bad, "start": "0"})
        assert clip.status_code == 404
        edit = alice_client.post(f"/studio/jobs/{job.pk}/scenes/{scene.scene_key}/edit/",
                                 {"plan_version": bad, "duration_seconds": "2.5", "voiceover": "Hi"})
        assert edit.status_code < 500


def test_api_ids_out_of_bigint_range_are_a_400_naming_the_field(alice_api, tree):
    campaign = tree[0]
    huge = int("9" * 25)
    brief = {"product_name": "Aurora", "text_prompt": "Cold brew for mornings", "duration": 8}
    cases = [
        ("/api/v1/video-jobs/", {**brief, "template": huge}, "template"),
        ("/api/v1/video-jobs/", {**brief, "campaign": huge}, "campaign"),
        ("/api/v1/video-jobs/", {**brief, "images": [huge]}, "images[0]"),
        ("/api/v1/ad-sets/", {"campaign": huge, "name": "US"}, "campaign"),
        ("/api/v1/ads/", {"ad_set": huge, "name": "Pour"}, "ad_set"),
        ("/api/v1/campaigns/", {"name": "Big", "objective": "traffic", "platforms": ["meta"], "budget_level": "campaign",
                                "budget_minor": huge}, "budget_minor"),
    ]
    for url, data, field in cases:
        _assert_api_error(alice_api.post(url, data, format="json"), field)
    assert alice_api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"budget_minor": huge}, format="json").status_code == 400
