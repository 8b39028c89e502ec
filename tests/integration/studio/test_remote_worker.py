"""Workers on other machines (issue 15): a render worker that shares nothing with the web app but
Redis and object storage. S3 is moto's standalone server (``moto[server]``) reached through
django-storages/boto3 at KOLONY_S3_ENDPOINT_URL; the worker is a real ``manage.py rqworker render``
process with its own, empty KOLONY_MEDIA_ROOT; a generated scene goes through a GPU worker stand-in
(tests/fakes/fake_gpu_worker.py) that also reads and writes only the bucket. The render must arrive in
the bucket and play in the Studio (the media view's presigned redirect, with byte ranges)."""

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from tests.fakes.fake_gpu_worker import FakeGpuWorker, announce
from videogen import generation, services
from videogen.engine.render.ffmpeg import ffmpeg_exe, ffprobe_exe
from videogen.models import Asset, JobStatus

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]
BUCKET = "kolony-remote-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3(monkeypatch, settings):
    """A moto S3 server with an empty bucket; the web app's default storage points at it."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    # the same storage settings kolony/settings.py builds from KOLONY_S3_BUCKET / KOLONY_S3_ENDPOINT_URL
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": endpoint, "querystring_auth": True, "querystring_expire": 300,
                    "default_acl": None, "file_overwrite": False, "signature_version": "s3v4"}}}
    yield client, endpoint
    server.stop()


def _db_url():
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_a_render_worker_on_another_machine_renders_into_the_bucket_and_it_plays_in_the_studio(
        s3, alice_org, alice, redis_conn, client_for, tmp_path, make_brief):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from videogen.uploads import asset_create_from_upload

    client, endpoint = s3
    photo = asset_create_from_upload(organization=alice_org, user=alice, upload=SimpleUploadedFile(
        "coffee.png", (ROOT / "examples" / "coffee.png").read_bytes()))
    assert photo.file.name in _keys(client), "the upload went to the bucket"
    with pytest.raises(NotImplementedError):
        photo.file.path  # noqa: B018 - remote storage has no local path
    job = services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk]))
    key = job.scenes.order_by("number").first().scene_key
    generation.scene_set_generation(job=job, user=alice, scene_key=key, enabled=True,
                                    prompt="A frosted can of cold brew on a mossy rock")
    services.video_job_enqueue_render(job=job, user=alice)

    # the GPU worker stand-in: heartbeat + a loop working the gpu queue (specs carry bucket keys only)
    announce(redis_conn)
    gpu, stop = FakeGpuWorker(redis_conn, "ok"), threading.Event()

    def gpu_loop():
        while not stop.wait(0.3):
            gpu.serve()
        connection.close()

    thread = threading.Thread(target=gpu_loop, daemon=True)
    thread.start()
    worker_media = tmp_path / "worker-media"
    worker_media.mkdir()
    env = {**os.environ, **CREDENTIALS, "DATABASE_URL": _db_url(), "KOLONY_MEDIA_ROOT": str(worker_media),
           "KOLONY_S3_BUCKET": BUCKET, "KOLONY_S3_ENDPOINT_URL": endpoint, "REDIS_URL": django_settings.REDIS_URL,
           "DB_CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("KOLONY_TEST_DB_NAME", None)
    try:
        run = subprocess.run([sys.executable, "manage.py", "rqworker", "render", "--burst"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=420)
    finally:
        stop.set()
        thread.join(10)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, (job.error_message, run.stdout[-3000:], run.stderr[-3000:])
    generate = next(s for s in job.trace["stages"] if s["name"] == "generate")
    assert [s["status"] for s in generate["scenes"]] == ["generated"] and len(gpu.specs) == 1
    assert gpu.specs[0].first_frame_key == photo.file.name, "the GPU worker got the photo's bucket key, not a path"

    render = job.renders.get()
    video = Asset.objects.get(pk=render.outputs["9:16"])
    keys = _keys(client)
    assert {video.file.name, render.poster.file.name} <= keys, "the MP4 and its poster arrived in the bucket"
    assert not [k for k in keys if k.startswith("gpu/")], "the GPU worker's upload was taken over by an asset"
    left = [p for p in worker_media.rglob("*") if p.suffix in (".mp4", ".png", ".jpg") and "cache" not in p.parts]
    assert left == [], "the worker keeps nothing but its scene cache"
    web_media = Path(django_settings.MEDIA_ROOT)
    assert not web_media.exists() or not any(web_media.rglob("*.mp4")), "nothing was written to the web app's disk"

    # it plays in the Studio: the job page's player → the media view → a presigned URL that answers ranges
    studio = client_for(alice)
    page = studio.get(reverse("videogen:job", args=[job.pk])).content.decode()
    player_url = reverse("videogen:asset_download", args=[video.pk])
    assert f'src="{player_url}"' in page
    response = studio.get(player_url)
    assert response.status_code == 302 and response["Location"].startswith(endpoint)
    presigned = urllib.request.Request(response["Location"], headers={"Range": "bytes=0-1023"})  # noqa: S310 - http://127.0.0.1 (checked above)
    ranged = urllib.request.urlopen(presigned)  # noqa: S310 - the local moto server
    assert ranged.status == 206 and len(ranged.read()) == 1024
    data = urllib.request.urlopen(response["Location"]).read()  # noqa: S310 - the local moto server
    assert len(data) == video.size_bytes
    mp4 = tmp_path / "played.mp4"
    mp4.write_bytes(data)
    info = json.loads(subprocess.run([ffprobe_exe(), "-v", "error", "-show_entries", "stream=codec_type:format=duration",
                                      "-of", "json", str(mp4)], capture_output=True, text=True, check=True).stdout)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert float(info["format"]["duration"]) == pytest.approx(8, abs=0.1)
    first = job.trace["plan"]["scenes"][0]
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{first['start'] + first['duration'] / 2:.3f}", "-i", str(mp4),
                          "-frames:v", "1", "-vf", "format=rgb24,crop=1:1:iw*0.5:ih*0.12", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    assert raw[0] > 200 and raw[1] < 60 and raw[2] > 200, f"the generated (magenta) clip shows in scene 1: {tuple(raw[:3])}"
