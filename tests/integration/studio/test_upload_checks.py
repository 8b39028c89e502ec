"""Uploads (issue 10 fault 3 and its siblings): truncated clips refused by a decode check, Studio
and campaign creative uploads probed alike, no server paths in messages, long names kept with
their extension, oversized bodies refused from Content-Length before they are read, and every
render fallback shown on the job page and in the API."""

import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Ad
from tests.fixtures.campaigns import real_mp4
from videogen import services
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.models import Asset, AssetKind

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """A real 15 s MP4 (H.264 + AAC, faststart: the header claims 15 s) and the same file with its
    last two thirds cut off — the container still says 15 s, most frames are missing."""
    folder = tmp_path_factory.mktemp("clips")
    full = folder / "full.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=15", "-f", "lavfi",
                    "-i", "sine=f=440:d=15", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "30", "-c:a", "aac",
                    "-movflags", "+faststart", str(full)], check=True)
    data = full.read_bytes()
    return {"full": data, "truncated": data[: len(data) // 3]}


def _no_server_paths(message: str):
    for marker in ("/tmp", "kolony-upload", "/var/", "/work/", "/home/", "upload:"):
        assert marker not in message, message


def test_truncated_mp4_is_refused_everywhere_a_clip_is_uploaded(clips, alice_client, alice_api, tree, redis_conn, settings):
    """The Studio drop zone, the assets API, the campaign ad form and the ads API all refuse the
    truncated clip with a message naming it, and store nothing; the whole clip is accepted."""
    _, ad_set, _ = tree
    before_files = {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}
    attempts = {
        "studio page": lambda data: alice_client.post("/studio/uploads/", {"file": SimpleUploadedFile("beach.mp4", data)}),
        "assets API": lambda data: alice_api.post("/api/v1/assets/", {"file": SimpleUploadedFile("beach.mp4", data)}, format="multipart"),
        "ads API": lambda data: alice_api.post("/api/v1/ads/", {"ad_set": ad_set.pk, "name": f"Beach API {len(data)}",
                                                                "creative": SimpleUploadedFile("beach.mp4", data)}, format="multipart"),
        "ad form": lambda data: alice_client.post(f"/campaigns/ad-sets/{ad_set.pk}/ads/new/", {
            "name": f"Beach form {len(data)}", "status": "draft", "call_to_action": "SHOP_NOW", "destination_url": "https://aurora.example",
            "creative": SimpleUploadedFile("beach.mp4", data)}),
    }
    ads_before = Ad.objects.count()
    for where, post in attempts.items():
        response = post(clips["truncated"])
        assert response.status_code in (200, 400), (where, response.status_code)  # the page form re-renders with errors
        text = response.content.decode()
        assert "beach.mp4 is damaged or incomplete" in text and "15 s" in text, (where, text[:500])
        _no_server_paths(text)
    assert not Asset.objects.filter(kind=AssetKind.VIDEO).exists() and Ad.objects.count() == ads_before
    after_files = {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}
    assert after_files == before_files, "nothing of a refused upload is stored"
    for where, post in attempts.items():
        response = post(clips["full"])
        assert response.status_code in (201, 302), (where, response.status_code, response.content[:300])
    clip = Asset.objects.filter(kind=AssetKind.VIDEO).first()
    assert clip.duration_seconds == pytest.approx(15, abs=0.1)


@pytest.mark.parametrize("name, data", [
    ("fake.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64),
    ("notes.mp4", b"just some text, not a clip"),
    ("half.webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 40),
    ("cut.mp4", "truncated"),
])
def test_probe_errors_never_show_server_paths(name, data, clips, alice_client, alice_api):
    data = clips[data] if isinstance(data, str) else data
    for response in (alice_client.post("/studio/uploads/", {"file": SimpleUploadedFile(name, data)}),
                     alice_api.post("/api/v1/assets/", {"file": SimpleUploadedFile(name, data)}, format="multipart")):
        assert response.status_code == 400
        message = response.json()["errors"]["file"][0]
        assert name in message, message
        _no_server_paths(message)


@pytest.mark.parametrize("ext, data", [(".png", "photo"), (".jpg", "jpeg"), (".mp4", "clip")])
def test_long_file_names_are_accepted_and_keep_their_extension(ext, data, alice_client, clips, redis_conn):
    content = {"photo": (EXAMPLES / "coffee.png").read_bytes(), "jpeg": (EXAMPLES / "rocket.jpg").read_bytes(),
               "clip": real_mp4()}[data]
    name = "Summer campaign – final approved version " * 6  # 246 characters
    name = name[:230 - len(ext)] + ext
    assert len(name) == 230
    response = alice_client.post("/studio/uploads/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 201, response.content
    asset = Asset.objects.get(pk=response.json()["id"])
    assert asset.original_name.endswith(ext) and asset.original_name.startswith("Summer campaign")
    assert len(asset.original_name) <= 200 and len(asset.file.name) <= 300 and asset.file.name.endswith(ext)


class _UnreadableBody:
    """wsgi.input that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read before the size check")

    readline = read


class _EmptyBody:
    def read(self, *args):
        return b""

    readline = read


def test_oversized_uploads_are_refused_from_content_length_before_reading(alice_client, alice_api, tree, settings):
    _, ad_set, ad = tree
    studio_limit = settings.KOLONY_MAX_UPLOAD_MB
    creative_limit = 1024**3
    settings.KOLONY_CREATIVE_MAX_BYTES = creative_limit
    cases = [  # client, path, declared size, limit named (MB)
        (alice_client, "/studio/uploads/", 201 * MB, studio_limit),
        (alice_api, "/api/v1/assets/", 201 * MB, studio_limit),
        (alice_client, "/studio/brand/", 201 * MB, studio_limit),
        (alice_client, f"/campaigns/ad-sets/{ad_set.pk}/ads/new/", creative_limit + 2 * MB, creative_limit // MB),
        (alice_client, f"/campaigns/ads/{ad.pk}/edit/", creative_limit + 2 * MB, creative_limit // MB),
        (alice_api, "/api/v1/ads/", creative_limit + 2 * MB, creative_limit // MB),
        (alice_api, f"/api/v1/ads/{ad.pk}/", creative_limit + 2 * MB, creative_limit // MB),
    ]
    for client, path, size, limit in cases:
        for accept in ("application/json", "text/html"):
            response = client.generic("POST", path, b"", content_type="multipart/form-data; boundary=xyz",
                                      CONTENT_LENGTH=str(size), HTTP_ACCEPT=accept, **{"wsgi.input": _UnreadableBody()})
            assert response.status_code == 413, (path, response.status_code)
            assert f"the limit is {limit} MB" in response.content.decode(), (path, response.content[:300])
    # a creative of 201 MB is within its own limit: not refused by the Studio's
    response = alice_client.generic("POST", f"/campaigns/ad-sets/{ad_set.pk}/ads/new/", b"",
                                    content_type="multipart/form-data; boundary=xyz", CONTENT_LENGTH=str(201 * MB),
                                    **{"wsgi.input": _EmptyBody()})
    assert response.status_code != 413


def test_every_fallback_is_shown_on_the_job_page_and_in_the_api(alice_org, alice, alice_client, alice_api, tmp_path):
    from videogen.models import Render
    from videogen.uploads import asset_create_from_upload

    photo = asset_create_from_upload(organization=alice_org, user=alice,
                                     upload=SimpleUploadedFile("coffee.png", (EXAMPLES / "coffee.png").read_bytes()))
    job = services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 8,
        "aspect_ratios": ["9:16"], "images": [photo.pk]})
    keys = list(job.scenes.values_list("scene_key", flat=True))
    assert len(keys) >= 3
    job.trace = {
        "plan": {"scenes": [{"id": k} for k in keys]},
        "fallbacks": [
            {"stage": "plan", "from": "llm", "to": "rules", "reason": "the LLM endpoint did not answer"},
            {"stage": "scenes", "from": "uploaded_clip", "to": "product_image",
             "reason": f"scene {keys[1]}: clips[0] unusable: could not read a frame at 11.50 s of "
                       f"/srv/kolony/var/media/work/job-{job.pk}/asset-12.mp4: [h264 @ 0x55d0c0] Invalid NAL unit size"},
            {"stage": "scenes", "from": "generated_clip", "to": "product_image",
             "reason": f"scene {keys[2]}: the CPU engine renders no generated clips"},
        ]}
    job.save(update_fields=["trace"])
    Render.objects.create(job=job, number=1, outputs={"9:16": photo.pk}, created_by=alice)
    expected = [
        "The plan was made by the built-in planner instead of the AI planner: the LLM endpoint did not answer",
        "Scene 2 used the photo instead of the uploaded clip: clips[0] unusable: could not read a frame at 11.50 s of "
        "asset-12.mp4: Invalid NAL unit size",  # no server path, no FFmpeg internals
        "Scene 3 used the photo instead of a generated clip: the CPU engine renders no generated clips",
    ]
    data = alice_api.get(f"/api/v1/video-jobs/{job.pk}/").json()
    assert [f["message"] for f in data["fallbacks"]] == expected
    assert [f["scene"] for f in data["fallbacks"]] == [None, 2, 3]
    assert [f["from"] for f in data["fallbacks"]] == ["llm", "uploaded_clip", "generated_clip"]
    page = alice_client.get(f"/studio/jobs/{job.pk}/").content.decode()
    import html

    for message in expected:
        assert html.escape(message) in page, message
    assert "/srv/kolony" not in page and "/srv/kolony" not in str(data)


def test_daphne_refuses_oversized_uploads_before_receiving_the_body(settings):
    """Django's ASGI handler reads the whole body before any middleware: the wrapper in front of it
    (kolony/asgi.py) answers 413 from the content-length header and never calls receive()."""
    import asyncio

    from kolony.asgi import application
    from kolony.core.upload_limit import ASGIUploadSizeLimit

    http_app = application.application_mapping["http"]
    assert isinstance(http_app, ASGIUploadSizeLimit)
    for path, accept in (("/studio/uploads/", b"text/html"), ("/api/v1/assets/", b"application/json")):
        sent: list[dict] = []

        async def receive():
            raise AssertionError("the body was received before the size check")

        async def send(message, sent=sent):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": path, "headers": [
            (b"content-length", str(201 * MB).encode()), (b"accept", accept),
            (b"content-type", b"multipart/form-data; boundary=x")]}
        asyncio.run(http_app(scope, receive, send))
        assert sent[0]["status"] == 413
        assert b"the limit is 200 MB" in sent[1]["body"]
