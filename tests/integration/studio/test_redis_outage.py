"""Redis down (issue 10, fault 1): jobs created or re-rendered during an outage are kept in the
outbox (202, never a 500) and run once Redis is back — also after a crash between the commit and
the enqueue; sign-in and signed-in pages keep working from the database; what truly needs Redis
answers a 503 naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from kolony import datacache
from kolony.outbox.models import OutboxMessage, OutboxStatus
from tests.conftest import PASSWORD
from videogen.models import Asset, AssetKind, JobStatus, VideoJob

ROOT = Path(__file__).resolve().parents[3]
DEAD = "redis://127.0.0.1:1/0"


class RedisSwitch:
    """Points every Redis user of the web side (RQ, the caches, the channel layer, the page cache)
    at a dead port, and back at the live test Redis."""

    def __init__(self, settings):
        self.settings = settings
        self.live_url = django_settings.REDIS_URL
        self.live = {"RQ_QUEUES": {k: dict(v) for k, v in django_settings.RQ_QUEUES.items()},
                     "CACHES": {k: dict(v) for k, v in django_settings.CACHES.items()},
                     "CHANNEL_LAYERS": django_settings.CHANNEL_LAYERS}

    def down(self):
        s = self.settings
        s.RQ_QUEUES = {name: {**conf, "URL": DEAD, "DB": 0} for name, conf in self.live["RQ_QUEUES"].items()}
        s.CACHES = {alias: ({**conf, "LOCATION": DEAD} if "LOCATION" in conf else conf) for alias, conf in self.live["CACHES"].items()}
        s.CHANNEL_LAYERS = {"default": {**self.live["CHANNEL_LAYERS"]["default"],
                                        "CONFIG": {**self.live["CHANNEL_LAYERS"]["default"]["CONFIG"], "hosts": [DEAD]}}}
        s.REDIS_URL = DEAD
        datacache._backend_and_shared.cache_clear()

    def up(self):
        s = self.settings
        s.RQ_QUEUES, s.CACHES, s.CHANNEL_LAYERS = self.live["RQ_QUEUES"], self.live["CACHES"], self.live["CHANNEL_LAYERS"]
        s.REDIS_URL = self.live_url
        datacache._backend_and_shared.cache_clear()


@pytest.fixture
def redis_switch(settings, redis_conn):
    switch = RedisSwitch(settings)
    yield switch
    switch.up()


@pytest.fixture
def clip_bytes(tmp_path):
    from videogen.engine.render.ffmpeg import ffmpeg_exe

    path = tmp_path / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=320x180:r=30:d=2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path.read_bytes()


def _env(media_root):
    s = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
           "KOLONY_MEDIA_ROOT": str(media_root), "REDIS_URL": django_settings.REDIS_URL, "DB_CONN_MAX_AGE": "0",
           "PYTHONUNBUFFERED": "1"}
    env.pop("KOLONY_TEST_DB_NAME", None)
    return env


def _manage(env, *args, timeout=300):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _render_queue():
    import django_rq

    return django_rq.get_queue("render")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_job_created_while_redis_is_down_runs_once_it_is_back(alice_api, photo, make_brief, redis_switch, settings):
    redis_switch.down()
    created = alice_api.post("/api/v1/video-jobs/", make_brief([photo.pk]), format="json")
    assert created.status_code == 202, created.content
    job = VideoJob.objects.get(pk=created.json()["id"])
    assert job.status == JobStatus.PENDING and job.phase == "queued"
    row = OutboxMessage.objects.get(rq_job_id=job.rq_job_ids[-1])
    assert row.status == OutboxStatus.PENDING and row.queue == "render" and row.func == "videogen.tasks.render_video_job"
    assert row.args == [job.pk] and row.attempts == 1 and "Connection" in row.last_error
    assert row.options["retry"] == 1 and row.options["on_failure"] == "videogen.tasks.render_video_job_failed"

    # Still down: "re-render" answers a clear 400 (the render is queued), never a 500 or a second job.
    busy = alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/")
    assert busy.status_code == 400 and "starts as soon as the render queue is reachable" in busy.json()["detail"]
    detail = alice_api.get(f"/api/v1/video-jobs/{job.pk}/")
    assert detail.status_code == 200 and detail.json()["phase"] == "queued"
    health = Client().get("/healthz")
    assert health.status_code == 503 and health.json()["failing"] == ["redis"] and health.json()["outbox"]["pending"] == 1

    redis_switch.up()
    env = _env(settings.MEDIA_ROOT)
    swept = _manage(env, "outbox_sweep")
    assert swept.returncode == 0 and "sent 1 job(s)" in swept.stdout, swept.stdout + swept.stderr
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.sent_at is not None
    assert _render_queue().job_ids == [row.rq_job_id]
    again = _manage(env, "outbox_sweep")  # draining twice never makes a second RQ job
    assert "sent 0 job(s)" in again.stdout and _render_queue().count == 1

    worker = _manage(env, "rqworker", "render", "--burst")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, (job.error_message, worker.stdout[-2000:], worker.stderr[-2000:])
    assert job.renders.count() == 1 and job.progress == 100


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_crash_between_commit_and_enqueue_is_recovered_by_the_worker(alice_api, photo, make_brief, redis_conn, monkeypatch, settings):
    from kolony.outbox import services as outbox

    # The web process "dies" right after COMMIT: the after-commit send never happens.
    monkeypatch.setattr(outbox, "drain_quietly", lambda **kwargs: 0)
    created = alice_api.post("/api/v1/video-jobs/", make_brief([photo.pk]), format="json")
    assert created.status_code == 202
    job = VideoJob.objects.get(pk=created.json()["id"])
    assert OutboxMessage.objects.get(rq_job_id=job.rq_job_ids[-1]).status == OutboxStatus.PENDING
    assert _render_queue().count == 0

    # A worker sweeps the outbox when it starts (and every few seconds), then runs the job.
    worker = _manage(_env(settings.MEDIA_ROOT), "rqworker", "render", "--burst")
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED, (job.error_message, worker.stdout[-2000:], worker.stderr[-2000:])
    assert OutboxMessage.objects.get(rq_job_id=job.rq_job_ids[-1]).status == OutboxStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_every_enqueue_site_writes_the_outbox_while_redis_is_down(alice, alice_org, alice_client, alice_api, photo, make_brief,
                                                                   redis_switch, upload_asset, clip_bytes, settings):
    from videogen import services

    redis_switch.down()
    job = services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk]))
    sites = {
        "API create": lambda: alice_api.post("/api/v1/video-jobs/", make_brief([photo.pk]), format="json"),
        "API re-render": lambda: alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/"),
    }
    for name, call in sites.items():
        before = OutboxMessage.objects.count()
        response = call()
        assert response.status_code == 202, (name, response.content)
        assert OutboxMessage.objects.count() == before + 1, name
    page_job = services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk]))
    response = alice_client.post(f"/studio/jobs/{page_job.pk}/render/")
    assert response.status_code == 302, response.content
    assert OutboxMessage.objects.filter(rq_job_id=VideoJob.objects.get(pk=page_job.pk).rq_job_ids[-1]).exists()

    clip = upload_asset(alice_org, alice, name="clip.mp4", data=clip_bytes)
    assert clip.kind == AssetKind.VIDEO and Asset.objects.filter(pk=clip.pk).exists()
    analysis = OutboxMessage.objects.get(func="videogen.tasks.footage_analyse_task")
    assert analysis.args == [clip.pk] and analysis.queue == "default" and analysis.status == OutboxStatus.PENDING

    # Cancel during the outage: 200, and the pending render is never sent.
    cancelled = alice_api.post(f"/api/v1/video-jobs/{job.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert OutboxMessage.objects.get(rq_job_id=VideoJob.objects.get(pk=job.pk).rq_job_ids[-1]).status == OutboxStatus.CANCELLED

    redis_switch.up()
    from kolony.outbox.sweep import sweep_once

    result = sweep_once()
    assert result["redis"] == "ok"
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 0
    import django_rq

    assert django_rq.get_queue("default").count == 1 and _render_queue().count == result["sent"] - 1 == 2


@pytest.mark.django_db
def test_rerender_of_a_job_whose_queued_render_redis_lost(alice_api, job, redis_conn, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/").status_code == 202
    assert alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/").status_code == 400  # really queued
    redis_conn.flushdb()  # Redis restarted empty: the queued render is gone
    with django_capture_on_commit_callbacks(execute=True):
        again = alice_api.post(f"/api/v1/video-jobs/{job.pk}/rerender/")
    assert again.status_code == 202
    job.refresh_from_db()
    assert _render_queue().job_ids == [job.rq_job_ids[-1]]


@pytest.mark.django_db(transaction=True)
def test_sign_in_and_pages_work_from_the_database_while_redis_is_down(alice, alice_org, photo, make_brief, redis_switch):
    from videogen import services

    job = services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk]))
    redis_switch.down()
    client = Client()
    signed_in = client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content.decode()[:500]
    for path in ("/", "/campaigns/", "/studio/", f"/studio/jobs/{job.pk}/", "/accounts/team/"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert "Alice" in response.content.decode(), path
    api = client.get(f"/api/v1/video-jobs/{job.pk}/")
    assert api.status_code == 200 and api.json()["id"] == job.pk
    token = client.post("/api/v1/auth/token/", {"email": alice.email, "password": PASSWORD})
    assert token.status_code == 200, token.content
    assert Client(HTTP_AUTHORIZATION=f"Token {token.json()['token']}").get("/api/v1/video-jobs/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302

    # A session made during the outage lives in the database: it still works once Redis is back.
    outage_session = Client()
    assert outage_session.post("/accounts/login/", {"username": alice.email, "password": PASSWORD}).status_code == 302
    redis_switch.up()
    assert outage_session.get("/studio/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_what_needs_redis_answers_503_naming_it(alice, redis_switch, rf):
    import redis

    from kolony.core.outage import RedisOutageMiddleware

    alice.is_staff = alice.is_superuser = True
    alice.save()
    client = Client()
    client.force_login(alice)
    redis_switch.down()
    page = client.get("/admin/rq/")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert "Redis" in page.content.decode() and "temporarily unavailable" in page.content.decode()

    middleware = RedisOutageMiddleware(lambda request: None)
    for path, kind in (("/api/v1/video-jobs/1/", "application/json"), ("/studio/jobs/1/", "text/html")):
        response = middleware.process_exception(rf.get(path), redis.exceptions.ConnectionError("Connection refused"))
        assert response.status_code == 503 and response["Content-Type"].startswith(kind)
        assert "Redis" in response.content.decode()
    assert middleware.process_exception(rf.get("/"), ValueError("other")) is None
