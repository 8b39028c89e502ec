"""Customer files through the one tenancy-checked media view (kolony/core/media.py): every kind of
file, every kind of client, HTTP ranges, presigned S3 redirects, and no public /media/ serving."""

import importlib
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import clear_url_caches, reverse

from campaigns import services as campaign_services
from tests.conftest import api_client_for, login_client
from tests.fixtures.campaigns import mp4_upload, real_mp4
from videogen import services
from videogen.models import AssetKind, Render
from videogen.uploads import asset_create_from_file, asset_create_from_upload

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
BLOB = bytes(range(256)) * 80  # 20 480 bytes, every offset's value is known
TOKEN_DIR = re.compile(r"/[0-9a-f]{32}/")


def _photo(org, user, name="coffee.png"):
    return asset_create_from_upload(organization=org, user=user,
                                    upload=SimpleUploadedFile(name, (EXAMPLES / "coffee.png").read_bytes()))


@pytest.fixture
def render_asset(alice_org, alice, tmp_path):
    path = tmp_path / "ad_9x16.mp4"
    path.write_bytes(BLOB)
    return asset_create_from_file(organization=alice_org, user=alice, path=path, kind=AssetKind.RENDER,
                                  name="Aurora-9x16.mp4", content_type="video/mp4")


@pytest.fixture
def customer_files(alice_org, alice, tmp_path, render_asset, tree):
    """{kind of file: (url, expected bytes or a check)} — one of each file a customer owns."""
    photo = _photo(alice_org, alice)
    poster_png = tmp_path / "poster.png"
    poster_png.write_bytes((EXAMPLES / "coffee.png").read_bytes())
    poster = asset_create_from_file(organization=alice_org, user=alice, path=poster_png, kind=AssetKind.INTERMEDIATE,
                                    name="poster.png", content_type="image/png")
    footage_kf = asset_create_from_file(organization=alice_org, user=alice, path=poster_png, kind=AssetKind.IMAGE,
                                        name="clip-shot1.png", metadata={"keyframe_of": render_asset.pk, "shot": 0})
    _, ad_set, _ = tree
    ad = campaign_services.ad_create(ad_set=ad_set, actor=alice, name="With video", creative=mp4_upload())
    job = services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ["9:16"], "images": [photo.pk]})

    def png(body):
        return body[:8] == b"\x89PNG\r\n\x1a\n"

    return {
        "upload (photo)": (reverse("media", args=["asset", photo.pk]), photo.file.open("rb").read()),
        "render MP4": (reverse("media", args=["asset", render_asset.pk]), BLOB),
        "poster": (reverse("media", args=["asset", poster.pk]), poster_png.read_bytes()),
        "footage keyframe": (reverse("media", args=["asset", footage_kf.pk]), poster_png.read_bytes()),
        "ad creative": (reverse("media", args=["creative", f"{ad.pk}/{Path(ad.creative.name).name}"]), real_mp4()),
        "storyboard keyframe": (reverse("media", args=["keyframe", f"{job.pk}/9x16/1.png"]), png),
        "storyboard keyframe (page route)": (reverse("videogen:keyframe", args=[job.pk, "9x16", 1]), png),
        "asset (page route)": (reverse("videogen:asset_download", args=[render_asset.pk]), BLOB),
    }


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_customer_file_answers_its_organization_only(customer_files, alice, bob, charlie):
    bad_token = Client(HTTP_AUTHORIZATION="Token not-a-real-token")
    allowed = {"alice (session)": login_client(alice), "bob (session, editor)": login_client(bob),
               "alice (API token)": api_client_for(alice)}
    refused = {"charlie (session, other org)": (login_client(charlie), 404),
               "charlie (API token, other org)": (api_client_for(charlie), 404),
               "anonymous": (Client(), 302), "bad token": (bad_token, 401)}
    for kind, (url, expected) in customer_files.items():
        for who, client in allowed.items():
            response = client.get(url)
            assert response.status_code == 200, (kind, who, response.status_code)
            body = _body(response)
            assert expected(body) if callable(expected) else body == expected, (kind, who)
            assert response["Accept-Ranges"] == "bytes"
        for who, (client, status) in refused.items():
            response = client.get(url)
            assert response.status_code == status, (kind, who, response.status_code)
            if status == 302:
                assert response["Location"].startswith(reverse("accounts:login")), (kind, who)
            assert not _body(response).startswith(b"\x89PNG") and BLOB[:64] not in _body(response), (kind, who)


@pytest.mark.parametrize("debug", [True, False])
def test_media_root_is_never_served_as_static_files(debug, settings, alice, alice_org, render_asset):
    """The storage path of a file (what /media/<name> served with DEBUG=true) answers nothing, in
    both modes; the file itself is reached only through the media view."""
    settings.DEBUG = debug
    import kolony.urls

    try:
        clear_url_caches()
        importlib.reload(kolony.urls)
        photo = _photo(alice_org, alice)
        for asset in (photo, render_asset):
            raw = settings.MEDIA_URL + asset.file.name
            for client in (Client(), login_client(alice)):
                response = client.get(raw)
                assert response.status_code in (302, 404), (raw, response.status_code)
                assert BLOB[:64] not in _body(response)
        assert login_client(alice).get(reverse("media", args=["asset", render_asset.pk])).status_code == 200
    finally:
        settings.DEBUG = False
        clear_url_caches()
        importlib.reload(kolony.urls)


def test_stored_names_are_unguessable(alice_org, alice, tree, settings):
    """Two uploads of the same file get different random folders (128-bit tokens); so do
    creatives; storyboards live in a folder keyed by a secret, not by the job id alone."""
    a, b = _photo(alice_org, alice), _photo(alice_org, alice)
    assert a.file.name != b.file.name
    for name in (a.file.name, b.file.name):
        assert TOKEN_DIR.search("/" + name), name
    _, ad_set, _ = tree
    ads = [campaign_services.ad_create(ad_set=ad_set, actor=alice, name=f"Ad {i}", creative=mp4_upload("pour.mp4"))
           for i in range(2)]
    assert ads[0].creative.name != ads[1].creative.name and all(TOKEN_DIR.search(ad.creative.name) for ad in ads)
    from videogen.storyboards import job_storyboard_dir

    assert re.fullmatch(r"job-7-[0-9a-f]{24}", job_storyboard_dir(7).name)


RANGE_CASES = [
    # header, status, first byte, last byte
    ("bytes=0-99", 206, 0, 99),             # first bytes
    ("bytes=1000-1999", 206, 1000, 1999),   # middle
    ("bytes=-500", 206, len(BLOB) - 500, len(BLOB) - 1),  # suffix
    ("bytes=20000-", 206, 20000, len(BLOB) - 1),         # open-ended
    ("bytes=20000-999999", 206, 20000, len(BLOB) - 1),   # past the end: clipped
    ("bytes=0-0", 206, 0, 0),
    ("bytes=999999-", 416, None, None),     # starts past the end
    ("bytes=-0", 416, None, None),
    ("bytes=abc", 200, 0, len(BLOB) - 1),   # malformed: ignored, whole file
    ("items=0-10", 200, 0, len(BLOB) - 1),  # unknown unit: ignored
]


@pytest.mark.parametrize("header, status, first, last", RANGE_CASES)
def test_ranged_requests(header, status, first, last, alice_client, render_asset):
    url = reverse("media", args=["asset", render_asset.pk])
    for method in ("get", "head"):
        response = getattr(alice_client, method)(url, HTTP_RANGE=header)
        assert response.status_code == status, (header, method)
        assert response["Accept-Ranges"] == "bytes"
        body = _body(response)
        if status == 416:
            assert response["Content-Range"] == f"bytes */{len(BLOB)}"
            continue
        assert int(response["Content-Length"]) == last - first + 1
        assert response["Content-Type"] == "video/mp4"
        if status == 206:
            assert response["Content-Range"] == f"bytes {first}-{last}/{len(BLOB)}"
        else:
            assert "Content-Range" not in response
        assert body == (b"" if method == "head" else BLOB[first:last + 1]), (header, method)


def test_if_range_and_conditional_requests(alice_client, render_asset):
    url = reverse("media", args=["asset", render_asset.pk])
    etag = alice_client.get(url)["ETag"]
    assert _body(alice_client.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=etag)) == BLOB[10:20]
    changed = alice_client.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"an-older-version"')
    assert changed.status_code == 200 and _body(changed) == BLOB  # the file changed: send it whole
    assert alice_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    saved = alice_client.get(url + "?download=1")
    assert saved["Content-Disposition"].startswith("attachment") and "Aurora-9x16.mp4" in saved["Content-Disposition"]


def test_s3_storage_redirects_to_a_short_lived_presigned_url(settings, alice, alice_org, charlie):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "kolony-test", "endpoint_url": "http://127.0.0.1:9", "access_key": "AKIDTEST",
                    "secret_key": "secret", "region_name": "us-east-1", "querystring_auth": True,
                    "signature_version": "s3v4"}}}
    from videogen.models import Asset

    asset = Asset.objects.create(organization=alice_org, kind=AssetKind.RENDER, file="org-1/render/x/0123abcd/ad.mp4",
                                 original_name="Aurora 9x16.mp4", content_type="video/mp4", checksum="0" * 64, size_bytes=10)
    url = reverse("media", args=["asset", asset.pk])
    for client in (login_client(alice), api_client_for(alice)):
        response = client.get(url + "?download=1")
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith("http://127.0.0.1:9/kolony-test/org-1/render/x/0123abcd/ad.mp4?")
        assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
        assert "response-content-disposition=attachment" in location
    assert login_client(charlie).get(url).status_code == 404
    assert api_client_for(charlie).get(url).status_code == 404
    assert Client().get(url).status_code == 302 and "X-Amz" not in Client().get(url)["Location"]


def test_api_downloads_work_for_token_clients_and_nobody_else(alice, alice_org, charlie, render_asset, tmp_path):
    photo = _photo(alice_org, alice)
    job = services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ["9:16"], "images": [photo.pk]})
    Render.objects.create(job=job, number=1, outputs={"9:16": render_asset.pk}, poster=photo, created_by=alice)
    token_client = api_client_for(alice)
    data = token_client.get(f"/api/v1/video-jobs/{job.pk}/").json()
    urls = [*data["renders"][0]["downloads"].values(), data["renders"][0]["poster_url"]]
    urls.append(token_client.get(f"/api/v1/assets/{render_asset.pk}/").json()["url"])
    assert len(urls) == 3
    for url in urls:
        response = token_client.get(url)
        assert response.status_code == 200, url
        assert _body(response) in (BLOB, photo.file.open("rb").read())
        ranged = token_client.get(url, HTTP_RANGE="bytes=0-9")
        assert ranged.status_code == 206 and len(_body(ranged)) == 10
        assert Client().get(url).status_code == 302
        assert Client(HTTP_AUTHORIZATION="Token nope").get(url).status_code == 401
        assert api_client_for(charlie).get(url).status_code == 404
        assert login_client(charlie).get(url).status_code == 404


@pytest.mark.parametrize("debug", [True, False])
def test_api_creative_urls_answer_their_owner_in_both_debug_modes(debug, settings, alice, charlie, tree):
    """The ``creative`` URL the ads API hands out was a /media/ path: public with DEBUG=true, dead
    with DEBUG=false. Now it answers alice's token and session, and nobody else."""
    settings.DEBUG = debug
    _, ad_set, _ = tree
    token_client = api_client_for(alice)
    created = token_client.post("/api/v1/ads/", {"ad_set": ad_set.pk, "name": "Pour", "creative": mp4_upload("pour.mp4")},
                                format="multipart")
    assert created.status_code == 201, created.content
    url = token_client.get(f"/api/v1/ads/{created.json()['id']}/").json()["creative"]
    assert "/media/creative/" in url and url.endswith("pour.mp4")
    for client in (token_client, login_client(alice)):
        response = client.get(url)
        assert response.status_code == 200 and _body(response) == real_mp4()
    assert api_client_for(charlie).get(url).status_code == 404
    assert login_client(charlie).get(url).status_code == 404
    assert Client().get(url).status_code == 302
