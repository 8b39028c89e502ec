import io
import json
import subprocess

import pytest

from kolony.core.demo import seed_demo_org
from videogen import demo
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.models import JobStatus, VideoJob

pytestmark = pytest.mark.django_db


def test_demo_imports_the_cli_render(tmp_path, monkeypatch):
    for stem, size in (("ad_9x16", "108x192"), ("ad_1x1", "108x108"), ("ad_4x5", "108x136"), ("ad_16x9", "192x108")):
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c=navy:s={size}:d=2", "-pix_fmt", "yuv420p",
                        str(tmp_path / f"{stem}.mp4")], check=True)
    (tmp_path / "trace.json").write_text(json.dumps({"generation_time_seconds": 30.5, "job": {"engine_version": "t"},
                                                    "quality_metrics": {"frame_coherence_score": 0.9}}))
    monkeypatch.setenv("KOLONY_SAMPLE_AD_DIR", str(tmp_path))
    org, user = seed_demo_org(password="demo-pass-long-1")
    out = io.StringIO()
    job = demo.seed(organization=org, user=user, stdout=out)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and job.progress == 100
    render = job.renders.get(number=1)  # the imported render (the review demo may add v2 of the same files)
    assert set(render.outputs) == {"9:16", "1:1", "4:5", "16:9"} and render.poster_id
    assert render.quality_metrics["frame_coherence_score"] == 0.9
    demo.seed(organization=org, user=user, stdout=out)
    assert VideoJob.objects.count() == 1 and "already there" in out.getvalue()


def test_demo_queues_a_render_without_cli_output(tmp_path, monkeypatch, redis_conn, django_capture_on_commit_callbacks):
    import django_rq

    monkeypatch.setenv("KOLONY_SAMPLE_AD_DIR", str(tmp_path / "missing"))
    org, user = seed_demo_org(password="demo-pass-long-1")
    with django_capture_on_commit_callbacks(execute=True):
        job = demo.seed(organization=org, user=user, stdout=io.StringIO())
    job.refresh_from_db()
    assert job.in_progress and django_rq.get_queue("render").count == 1
