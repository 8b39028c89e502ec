"""Issue 15's "done when": a job with a real GPU worker running (``python -m gpu_worker`` with a tiny
random-weight LTX-Video built in the test, on the CPU) produces a render whose generated scene is
visibly the generated clip — the MP4's pixels in that scene match the clip's own frame, reframed
for the format as the compositor does, and differ from the template scene's."""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from videogen import generation, services
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.models import Asset, JobStatus
from videogen.rendering import video_job_render

pytest.importorskip("torch", reason="the GPU worker needs requirements-gpu.txt")
pytest.importorskip("diffusers")
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]


def _band(path: Path, seconds: float, width: int, height: int) -> list[int]:
    """RGB bytes of the frame at ``seconds``, reframed to width×height (scale to cover, centre crop —
    the compositor's rule for clips) and cut to the band 4–16 % from the top (above any text)."""
    top, rows = int(height * 0.04), max(2, int(height * 0.12))
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{max(0.0, seconds):.3f}", "-i", str(path), "-frames:v", "1",
                          "-vf", f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                                 f"format=rgb24,crop={width}:{rows}:0:{top},scale=32:8",
                          "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    return list(raw)


def _mean_abs(a, b):
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def test_a_real_gpu_worker_makes_the_scene_and_the_render_shows_its_clip(alice_org, alice, photo, make_brief, redis_conn,
                                                                          tmp_path, monkeypatch):
    from tests.gpu_worker.tiny import build_models, running_gpu_worker

    models = build_models(tmp_path / "models", which=("ltx-video",))
    # tiny clips: the tiny model's cost grows with pixels × frames; the render reframes them all the same
    monkeypatch.setattr(generation, "CLIP_SIZES", {r: (64, 96) for r in generation.CLIP_SIZES})
    monkeypatch.setattr(generation, "CLIP_STEPS", 3)
    with running_gpu_worker(models, tmp_path, name="tiny-cpu-worker", media_root=django_settings.MEDIA_ROOT,
                            redis_url=django_settings.REDIS_URL, redis_conn=redis_conn):
        assert generation.gpu_available(), "the worker announced itself with a clip model"
        job = services.video_job_create(organization=alice_org, user=alice, brief_data=make_brief([photo.pk]))
        key = job.scenes.order_by("number").first().scene_key
        generation.scene_set_generation(job=job, user=alice, scene_key=key, enabled=True, prompt="a cup of coffee on a wooden table")
        render = video_job_render(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and render is not None, job.error_message
    stage = next(s for s in job.trace["stages"] if s["name"] == "generate")
    (scene,) = stage["scenes"]
    assert scene["status"] == "generated", (scene, (tmp_path / "gpu.log").read_text()[-3000:])
    assert scene["model"] == "ltx-video" and job.trace["fallbacks"] == []
    clip = Asset.objects.get(pk=scene["asset"])
    out = Asset.objects.get(pk=render.outputs["9:16"])
    plan = job.trace["plan"]["scenes"]
    first, second = plan[0], plan[1]
    mid = first["start"] + first["duration"] / 2
    w, h = out.width, out.height
    in_render = _band(Path(out.file.path), mid, w, h)
    from_clip = _band(Path(clip.file.path), mid - first["start"], w, h)
    template = _band(Path(out.file.path), second["start"] + second["duration"] / 2, w, h)
    near, far = _mean_abs(in_render, from_clip), _mean_abs(in_render, template)
    assert near < 25 and near < far / 2, f"the scene shows the generated clip (diff {near:.1f} vs template {far:.1f})"
