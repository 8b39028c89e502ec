"""Real renders on the render queue: versions, the scene cache, cancel, and a worker killed mid-render."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from videogen import services
from videogen.engine.render.ffmpeg import ffprobe_exe
from videogen.models import Asset, JobStatus, Scene, VideoJob
from videogen.rendering import video_job_render
from videogen.tasks import render_video_job_failed

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


def _probe(path):
    out = subprocess.run([ffprobe_exe(), "-v", "error", "-show_entries", "stream=codec_type,width,height:format=duration",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _scene_cache(render_job):
    stage = next(s for s in render_job.trace["stages"] if s["name"] == "scenes")
    return stage["cache"]


@pytest.mark.django_db
def test_render_then_edit_one_scene_rerenders_only_that_scene(job, alice):
    first = video_job_render(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.progress == 100 and first.number == 1
    assert Path(first.poster.file.path).exists()
    video = Asset.objects.get(pk=first.outputs["9:16"])
    info = _probe(video.file.path)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert float(info["format"]["duration"]) == pytest.approx(8, abs=0.1)
    assert first.quality_metrics["frame_coherence_score"] > 0.5
    assert first.performance["generation_time_seconds"] > 0 and first.performance["cost_usd"] >= 0
    n_scenes = Scene.objects.filter(job=job).count()
    assert _scene_cache(job) == {"hits": 0, "misses": n_scenes, "enabled": True}

    key = Scene.objects.get(job=job, number=2).scene_key
    services.scene_update(job=job, user=alice, scene_key=key, changes={"on_screen_text": "Brewed cold for 18 hours"})
    services.video_job_enqueue_render(job=job, user=alice)
    second = video_job_render(job.pk)
    job.refresh_from_db()
    assert second.number == 2 and job.status == JobStatus.COMPLETED
    assert _scene_cache(job) == {"hits": n_scenes - 1, "misses": 1, "enabled": True}
    assert second.plan_snapshot[1]["on_screen_text"] == "Brewed cold for 18 hours"
    assert not services.work_dir(job.pk).exists(), "the work folder is removed after a render"


@pytest.mark.django_db
def test_cancel_mid_render_stops_and_cleans_up(job, alice, monkeypatch):
    from videogen import rendering

    real = rendering.run_pipeline

    def cancel_soon(*args, **kwargs):
        progress = kwargs["progress"]

        def progress_then_cancel(phase, pct):
            progress(phase, pct)
            if pct > 10:
                VideoJob.objects.filter(pk=job.pk).update(cancel_requested=True, status=JobStatus.CANCELLED)
        kwargs["progress"] = progress_then_cancel
        return real(*args, **kwargs)

    monkeypatch.setattr(rendering, "run_pipeline", cancel_soon)
    assert video_job_render(job.pk) is None
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not job.renders.exists()
    assert not services.work_dir(job.pk).exists()


@pytest.mark.django_db
def test_abandoned_job_without_retries_is_marked_failed(job, alice):
    from rq.exceptions import AbandonedJobError

    class FakeRQJob:
        args = (job.pk,)
        retries_left = 0

    VideoJob.objects.filter(pk=job.pk).update(status=JobStatus.RENDERING, progress=40, phase="compose")
    services.work_dir(job.pk).mkdir(parents=True)
    (services.work_dir(job.pk) / "partial.mp4").write_bytes(b"half a video")
    render_video_job_failed(FakeRQJob(), None, AbandonedJobError, AbandonedJobError(), None)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "stopped unexpectedly" in job.error_message
    assert not services.work_dir(job.pk).exists()


def _worker_env(tmp_media):
    env = {**os.environ, "DATABASE_URL": _db_url(), "MEDIA_ROOT_FOR_TEST": str(tmp_media), "KOLONY_MEDIA_ROOT": str(tmp_media),
           "REDIS_URL": settings.REDIS_URL, "DB_CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("KOLONY_TEST_DB_NAME", None)
    return env


def _db_url():
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _descendants(pid: int) -> list[int]:
    """``pid``'s child processes, recursively (RQ's work horse runs in its own process group)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_tree(proc) -> None:
    for pid in [proc.pid, *_descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _start(env, *queues_and_options, quiet=False):
    """A real ``manage.py rqworker`` (Kolony's worker class) in its own session; ``quiet``: output discarded."""
    return subprocess.Popen([sys.executable, "manage.py", "rqworker", *queues_and_options], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL if quiet else subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def test_a_dead_workers_job_is_noticed_within_a_minute_by_design():
    """The bound the killed-worker test relies on: a killed job's lease runs out, then an idle
    worker wakes and sweeps — all within a minute."""
    from kolony.outbox import sweep, worker

    assert worker.HEARTBEAT_TTL_S + sweep.SWEEP_INTERVAL_S + worker.IDLE_WAKE_S < 60
    assert worker.JOB_MONITORING_INTERVAL_S * 3 <= worker.HEARTBEAT_TTL_S  # three missed renewals before a live job expires
    assert settings.RQ["WORKER_CLASS"] == "kolony.outbox.worker.KolonyWorker"


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_render_is_noticed_by_a_surviving_worker_and_finishes(job, alice, redis_conn, settings, api_for):
    from videogen.tasks import RETRY_AFTER_WORKER_STOPPED

    services.video_job_enqueue_render(job=job, user=alice)
    env = _worker_env(settings.MEDIA_ROOT)
    victim = _start(env, "render", quiet=True)
    survivor = None
    try:
        _wait(lambda: VideoJob.objects.get(pk=job.pk).progress >= 5, 120, "the render to start")
        survivor = _start(env, "default", quiet=True)  # another worker (other queue): its sweep watches every queue
        _kill_tree(victim)  # the worker and its work horse die mid-render (like an OOM kill of the box)
        killed_at = time.monotonic()
        stuck = VideoJob.objects.get(pk=job.pk)
        assert stuck.status == JobStatus.RENDERING and services.work_dir(job.pk).exists()

        # Nobody calls RQ's cleanup by hand: the survivor's sweep notices the dead worker's job. The
        # failure callback sets the phase just before RQ re-queues the job: wait for both.
        _wait(lambda: VideoJob.objects.get(pk=job.pk).phase == RETRY_AFTER_WORKER_STOPPED
              and django_rq_queue("render").count == 1, 90, "the surviving worker to notice the dead worker's job")
        print(f"dead worker's job noticed after {time.monotonic() - killed_at:.1f} s")
    finally:
        for proc in (victim, survivor):
            if proc is not None and proc.poll() is None:
                _kill_tree(proc)
    assert not services.work_dir(job.pk).exists(), "the killed attempt's files are removed"
    assert django_rq_queue("render").count == 1, "the render is queued again (RQ retry)"
    shown = api_for(alice).get(f"/api/v1/video-jobs/{job.pk}/").json()
    assert shown["phase"] == RETRY_AFTER_WORKER_STOPPED and shown["active"] and shown["error"] == ""
    from tests.conftest import login_client

    assert RETRY_AFTER_WORKER_STOPPED in login_client(alice).get(f"/studio/jobs/{job.pk}/").content.decode()

    finisher = _start(env, "render", "--burst")
    out, _ = finisher.communicate(timeout=300)
    done = VideoJob.objects.get(pk=job.pk)
    assert done.status == JobStatus.COMPLETED, (done.error_message, out.decode()[-2000:])
    assert done.renders.count() == 1 and done.progress == 100


@pytest.mark.django_db(transaction=True)
def test_worker_killed_again_on_its_last_retry_fails_the_job_with_a_clear_message(job, alice, redis_conn, settings):
    import django_rq
    from rq.job import Job

    services.video_job_enqueue_render(job=job, user=alice)
    rq_job = Job.fetch(VideoJob.objects.get(pk=job.pk).rq_job_ids[-1], connection=django_rq.get_connection("render"))
    rq_job.retries_left = 0  # as if this were already the retry
    rq_job.save()
    env = _worker_env(settings.MEDIA_ROOT)
    victim = _start(env, "render", quiet=True)
    survivor = None
    try:
        _wait(lambda: VideoJob.objects.get(pk=job.pk).progress >= 5, 120, "the render to start")
        survivor = _start(env, "default", quiet=True)
        _kill_tree(victim)
        _wait(lambda: VideoJob.objects.get(pk=job.pk).status == JobStatus.FAILED, 90, "the job to be marked failed")
    finally:
        for proc in (victim, survivor):
            if proc is not None and proc.poll() is None:
                _kill_tree(proc)
    failed = VideoJob.objects.get(pk=job.pk)
    assert "render worker stopped unexpectedly" in failed.error_message
    assert not services.work_dir(job.pk).exists() and django_rq_queue("render").count == 0


def django_rq_queue(name):
    import django_rq

    return django_rq.get_queue(name)


@pytest.mark.django_db
def test_a_shot_of_uploaded_footage_becomes_a_scene(job, alice, alice_org, upload_asset, tmp_path, client_for):
    from PIL import Image

    from videogen.engine.render.ffmpeg import ffmpeg_exe
    from videogen.footage import extract_frame

    clip_path = tmp_path / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=640x360:r=30:d=1.5",
                    "-f", "lavfi", "-i", "color=c=blue:s=640x360:r=30:d=3", "-filter_complex", "[0][1]concat=n=2:v=1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip_path)], check=True)
    clip = upload_asset(alice_org, alice, name="clip.mp4", data=clip_path.read_bytes())
    first = Scene.objects.get(job=job, number=1)
    client = client_for(alice)
    response = client.post(f"/studio/jobs/{job.pk}/scenes/{first.scene_key}/clip/", {"shot": f"{clip.pk}:1.6", "cleanup": ["fps"]})
    assert response.status_code == 302
    first = Scene.objects.get(job=job, number=1)  # edits store the plan anew
    assert first.visual_source == "uploaded_clip" and first.entity_layout["clip"] == {"asset_id": clip.pk, "start": 1.6, "cleanup": ["fps"]}

    keyframe = client.get(f"/studio/jobs/{job.pk}/keyframes/9x16/1.png")
    image = Image.open(io.BytesIO(b"".join(keyframe.streaming_content))).convert("RGB")
    r, g, b = image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert b > r + 40, f"the keyframe shows the blue shot, got {(r, g, b)}"

    render = video_job_render(job.pk)
    assert render is not None, VideoJob.objects.get(pk=job.pk).error_message
    frame = extract_frame(Path(Asset.objects.get(pk=render.outputs["9:16"]).file.path), first.duration_seconds / 2, tmp_path / "f.png")
    r, g, b = Image.open(frame).convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert b > r + 40, f"scene 1 of the video shows the blue shot, got {(r, g, b)}"
