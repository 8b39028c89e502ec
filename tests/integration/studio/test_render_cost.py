"""One CPU cost rate: a render's ``trace.json`` cost estimate and its ``Render.performance`` agree,
for the render queue and for the demo's import of a CLI render."""

import io
import json
import subprocess

import pytest

from kolony.core.demo import seed_demo_org
from videogen import demo
from videogen.engine.cost import CPU_COST_PER_SECOND, cost_estimate
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.rendering import render_performance, video_job_render

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_queue_render_cost_in_trace_and_performance_agree(job):
    render = video_job_render(job.pk)
    job.refresh_from_db()
    estimate = job.trace["cost_estimate"]
    assert estimate["usd"] > 0
    assert render.performance["cost_usd"] == estimate["usd"]
    assert f"${CPU_COST_PER_SECOND}/s" in estimate["basis"]
    # the rate behind both is the one constant: the estimate is that rate × the render's CPU time
    assert estimate["usd"] == pytest.approx(render.performance["generation_time_seconds"] * CPU_COST_PER_SECOND, abs=1e-6)


@pytest.mark.parametrize("trace_estimate", [None, {"usd": 0.000611, "basis": "30.5 s …", "gpu_seconds": 0}])
def test_demo_import_uses_the_trace_cost(tmp_path, monkeypatch, trace_estimate):
    for stem, size in (("ad_9x16", "108x192"), ("ad_1x1", "108x108"), ("ad_4x5", "108x136"), ("ad_16x9", "192x108")):
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c=navy:s={size}:d=2", "-pix_fmt", "yuv420p",
                        str(tmp_path / f"{stem}.mp4")], check=True)
    trace = {"generation_time_seconds": 30.5, "job": {"engine_version": "t"}, "quality_metrics": {}}
    if trace_estimate:
        trace["cost_estimate"] = trace_estimate
    (tmp_path / "trace.json").write_text(json.dumps(trace))
    monkeypatch.setenv("KOLONY_SAMPLE_AD_DIR", str(tmp_path))
    org, user = seed_demo_org(password="demo-pass-long-1")
    job = demo.seed(organization=org, user=user, stdout=io.StringIO())
    render = job.renders.get(number=1)
    expected = trace_estimate["usd"] if trace_estimate else cost_estimate(30.5)["usd"]
    assert render.performance == {"generation_time_seconds": 30.5, "model_used": "cpu-template/t", "cost_usd": expected,
                                  "cpu_seconds": 30.5, "gpu_seconds": 0}
    assert render.performance == render_performance(trace)
    assert cost_estimate(30.5)["usd"] == round(30.5 * CPU_COST_PER_SECOND, 6)
