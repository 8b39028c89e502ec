"""Generated scenes in the Studio (issue 15): the GPU step of a render through the real contract (an
in-process fake GPU worker: tests/fakes/fake_gpu_worker.py), every fallback with its reason on the job
page, the generated clip visibly in the MP4, the cost with GPU-seconds, and the wizard's controls."""

import json
import subprocess

import pytest
from django.urls import reverse

from tests.fakes.fake_gpu_worker import CLIP_RGB, GPU_SECONDS, FakeGpuWorker, announce
from videogen import generation, services
from videogen.engine.cost import cost_estimate
from videogen.engine.render.ffmpeg import ffmpeg_exe, ffprobe_exe
from videogen.models import Asset, AssetKind, JobStatus, VideoJob
from videogen.plan_store import clip_sources, images_for_snapshot, plan_from_snapshot, plan_snapshot
from videogen.rendering import video_job_render
from videogen.selectors import job_fallbacks

pytestmark = pytest.mark.django_db
PROMPT = "A frosted can of cold brew on a mossy rock, slow push-in, morning light"


@pytest.fixture
def gpu(redis_conn, monkeypatch):
    """``gpu(behaviour, alive=True)`` → a FakeGpuWorker that works the queue whenever the render waits."""
    def make(behaviour="ok", alive=True, age_s=0.0):
        if alive:
            announce(redis_conn, age_s=age_s)
        fake = FakeGpuWorker(redis_conn, behaviour)
        monkeypatch.setattr(generation, "_sleep", fake.serve)
        return fake
    return make


def _first_key(job):
    return job.scenes.order_by("number").first().scene_key


def _generate_first(job, user, prompt=PROMPT):
    return generation.scene_set_generation(job=job, user=user, scene_key=_first_key(job), enabled=True, prompt=prompt)


def _gpu_step(job, tmp_path, timeout_s=5.0):
    """The GPU step exactly as the render worker runs it, without the engine."""
    snapshot = plan_snapshot(job)
    image_ids = images_for_snapshot(services.brief_image_ids(job.brief), snapshot)
    brief = services.brief_for_engine(organization=job.organization, data=job.brief, workdir=tmp_path,
                                      image_asset_ids=image_ids, clips=clip_sources(snapshot))
    plan = plan_from_snapshot(snapshot, seed=brief.seed, planner=job.planner, image_asset_ids=image_ids)
    return generation.prepare_generated_scenes(job=job, brief=brief, plan=plan, workdir=tmp_path,
                                               image_asset_ids=image_ids, timeout_s=timeout_s)


def _rgb_at(mp4, seconds, fx, fy):
    """The RGB of the pixel at (fx, fy) — fractions of the frame's width and height — at ``seconds``."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(mp4), "-frames:v", "1",
                          "-vf", f"format=rgb24,crop=1:1:iw*{fx}:ih*{fy}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return tuple(raw[:3])


def _is_clip_colour(rgb):
    return all(abs(a - b) <= 40 for a, b in zip(rgb, CLIP_RGB, strict=True))


@pytest.mark.parametrize(("behaviour", "alive", "age_s", "words"), [
    ("oom", True, 0.0, "the GPU ran out of memory"),
    ("failed", True, 0.0, "generation failed (RuntimeError: the denoiser produced NaNs)"),
    ("missing_model", True, 0.0, "the clip model is not installed on the GPU worker"),
    ("silent", True, 0.0, "the GPU worker sent no clip within 1 s"),
    ("ok", False, 0.0, "no GPU worker is running"),
    ("ok", True, 120.0, "no GPU worker is running"),  # a heartbeat older than HEARTBEAT_TTL_S: the worker is gone
])
def test_each_gpu_failure_renders_that_scene_from_the_cpu_templates(job, alice, gpu, tmp_path, behaviour, alive, age_s, words):
    _generate_first(job, alice)
    fake = gpu(behaviour, alive=alive, age_s=age_s)
    step = _gpu_step(job, tmp_path, timeout_s=1.0)
    key = _first_key(job)
    scene = next(s for s in step.plan.scenes if s.id == key)
    assert scene.visual.source == "product_image" and scene.visual.image_index == 0, "the scene falls back to its photo"
    assert [o.status for o in step.scenes] == ["fallback"]
    assert step.fallbacks == [{"stage": "generate", "from": "generated_clip", "to": "product_image",
                               "reason": f"scene {key}: {step.scenes[0].reason}"}]
    assert step.scenes[0].reason.startswith(words)
    assert len(fake.specs) == (1 if alive and not age_s else 0), "no spec is sent when no worker is alive"
    # the job page's sentence for it
    job.trace = generation.apply_to_trace({"fallbacks": [], "generation_time_seconds": 3.0}, step)
    job.save()
    (message,) = [f["message"] for f in job_fallbacks(job=job)]
    assert message.startswith(f"Scene 1 used the photo instead of a generated clip: {words}")  # server paths cut


def test_the_spec_names_storage_keys_and_the_request(job, alice, gpu, tmp_path, photo):
    _generate_first(job, alice)
    fake = gpu("ok")
    step = _gpu_step(job, tmp_path)
    (spec,) = fake.specs
    assert spec.kind == "generate_clip" and spec.prompt == PROMPT and spec.seed == step.scenes[0].seed
    assert spec.first_frame_key == photo.file.name, "image-to-video from the scene's photo, named by its storage key"
    assert not spec.output_key.startswith("/") and spec.output_key.startswith(f"gpu/job-{job.pk}/")
    assert (spec.width, spec.height) == generation.CLIP_SIZES["9:16"] and (spec.num_frames - 1) % 8 == 0
    assert spec.progress.group == f"video-job-{job.pk}"
    assert step.scenes[0].status == "generated" and step.scenes[0].model == "ltx-video"
    clip_asset = Asset.objects.get(pk=step.scenes[0].asset_id)
    assert clip_asset.kind == AssetKind.INTERMEDIATE and clip_asset.metadata["seed"] == spec.seed
    # the same request again reuses the clip: nothing is sent to the GPU
    again = _gpu_step(job, tmp_path / "again")
    assert [o.status for o in again.scenes] == ["reused"] and len(fake.specs) == 1
    # "regenerate" (a new seed) asks for a new clip
    generation.scene_regenerate(job=job, user=alice, scene_key=_first_key(job))
    third = _gpu_step(job, tmp_path / "third")
    assert [o.status for o in third.scenes] == ["generated"] and len(fake.specs) == 2
    assert fake.specs[1].seed != spec.seed


@pytest.mark.slow
def test_a_generated_scene_is_the_clip_in_the_mp4_and_its_gpu_seconds_are_costed(job, alice, gpu, client_for):
    _generate_first(job, alice)
    gpu("ok")
    render = video_job_render(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and render is not None
    assert job_fallbacks(job=job) == []
    stage = next(s for s in job.trace["stages"] if s["name"] == "generate")
    assert [s["status"] for s in stage["scenes"]] == ["generated"]
    mp4 = Asset.objects.get(pk=render.outputs["9:16"]).file.path
    starts = job.trace["plan"]["scenes"]
    first, second = starts[0], starts[1]
    # the generated scene shows the clip (magenta) above its text; the next, a template scene, does not
    assert _is_clip_colour(_rgb_at(mp4, first["start"] + first["duration"] / 2, 0.5, 0.12))
    assert not _is_clip_colour(_rgb_at(mp4, second["start"] + second["duration"] / 2, 0.5, 0.12))
    perf = render.performance
    assert perf["gpu_seconds"] == GPU_SECONDS and "ltx-video" in perf["model_used"]
    assert perf["cost_usd"] == job.trace["cost_estimate"]["usd"]
    assert perf["cost_usd"] == cost_estimate(job.trace["cost_estimate"]["cpu_seconds"], 0, GPU_SECONDS)["usd"]
    assert render.quality_metrics["prompt_adherence_score"] == 0.31  # the worker's CLIP score of the kept clip
    page = client_for(alice).get(reverse("videogen:job", args=[job.pk])).content.decode()
    assert f"${perf['cost_usd']:.4f}" in page and f"{GPU_SECONDS:.1f} GPU-s" in page
    assert "Prompt adherence</div><div class=\"value\">0.31" in page


@pytest.mark.slow
def test_no_gpu_worker_and_a_failing_animated_render_still_complete_from_storyboard_stills(job, alice, redis_conn,
                                                                                            monkeypatch, client_for):
    from videogen import rendering

    _generate_first(job, alice)
    real = rendering.run_pipeline

    def animated_fails(brief, **kwargs):
        if not kwargs.get("storyboard_only"):
            raise RuntimeError("x264 refused the frame size")
        return real(brief, **kwargs)

    monkeypatch.setattr(rendering, "run_pipeline", animated_fails)
    render = video_job_render(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED and render is not None, job.error_message
    messages = [f["message"] for f in job_fallbacks(job=job)]
    assert messages == [
        "Scene 1 used the photo instead of a generated clip: no GPU worker is running (none announced itself in the last 30 s)",
        "The video used the storyboard stills instead of the animated scenes: the animated render failed (x264 refused the frame size)",
    ]
    mp4 = Asset.objects.get(pk=render.outputs["9:16"]).file.path
    info = json.loads(subprocess.run([ffprobe_exe(), "-v", "error", "-show_entries", "stream=codec_type,width,height:format=duration",
                                      "-of", "json", str(mp4)], capture_output=True, text=True, check=True).stdout)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert float(info["format"]["duration"]) == pytest.approx(8, abs=0.15)
    assert render.performance["gpu_seconds"] == 0
    page = client_for(alice).get(reverse("videogen:job", args=[job.pk])).content.decode()
    for message in messages:
        assert message.split(": ")[0] in page


def test_the_wizard_offers_generated_scenes_only_while_a_gpu_worker_is_alive(alice, client_for, redis_conn, photo):
    client = client_for(alice)
    assert 'data-testid="generated-scenes"' not in client.get(reverse("videogen:new")).content.decode()
    announce(redis_conn)
    page = client.get(reverse("videogen:new")).content.decode()
    assert 'data-testid="generated-scenes"' in page and "Generated scenes" in page
    response = client.post(reverse("videogen:new"), {
        "product_name": "Aurora Cold Brew", "text_prompt": "Smooth cold brew for busy mornings", "request_type": "marketing_video",
        "style": "vibrant", "duration": 8, "aspect_ratios": ["9:16"], "call_to_action": "Order today",
        "primary_color": "#1E3A8A", "accent_color": "#F59E0B", "images": str(photo.pk), "generated_scenes": "all"})
    assert response.status_code == 302
    job = VideoJob.objects.filter(created_by=alice).order_by("-pk").first()
    scenes = list(job.scenes.order_by("number"))
    assert any(s.role == "end_card" for s in scenes)
    for scene in scenes:  # every scene but the end card becomes a generated clip
        assert (scene.visual_source == "generated_clip") == (scene.role != "end_card"), scene.role
        if scene.role != "end_card":
            assert scene.entity_layout["generation"]["prompt"], "each generated scene gets a prompt from its text"


def test_a_scene_card_shows_prompt_model_seed_and_regenerate_changes_the_seed(job, alice, client_for, redis_conn):
    client = client_for(alice)
    url = reverse("videogen:job", args=[job.pk])
    assert 'data-testid="gen-offer"' not in client.get(url).content.decode(), "no offer without a GPU worker"
    announce(redis_conn)
    assert client.get(url).content.decode().count('data-testid="gen-offer"') == job.scenes.count()
    key = _first_key(job)
    client.post(reverse("videogen:scene_generate", args=[job.pk, key]), {"prompt": PROMPT, "plan_version": job.plan_version})
    job.refresh_from_db()
    seed = job.scenes.get(scene_key=key).entity_layout["generation"]["seed"]
    page = client.get(url).content.decode()
    assert PROMPT in page and f'data-testid="gen-seed">{seed}<' in page and 'data-testid="gen-model">auto<' in page
    assert 'data-testid="gen-regenerate"' in page
    client.post(reverse("videogen:scene_regenerate", args=[job.pk, key]), {"plan_version": job.plan_version})
    job.refresh_from_db()
    new_seed = job.scenes.get(scene_key=key).entity_layout["generation"]["seed"]
    assert new_seed != seed and f'data-testid="gen-seed">{new_seed}<' in client.get(url).content.decode()
    # back to the template scene; the card offers generation again
    client.post(reverse("videogen:scene_generate", args=[job.pk, key]), {"enabled": "0", "plan_version": job.plan_version})
    job.refresh_from_db()
    assert job.scenes.get(scene_key=key).visual_source == "product_image"


def test_regenerate_refuses_a_template_scene_with_a_reason(job, alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        generation.scene_regenerate(job=job, user=alice, scene_key=_first_key(job))
    assert "is not a generated clip" in str(exc.value)


def test_the_admin_lists_each_renders_cost_with_its_cpu_and_gpu_seconds(client, job):
    from kolony.accounts.models import User
    from videogen.models import Render

    perfs = [{"generation_time_seconds": 20.0, "cost_usd": 0.0004, "cpu_seconds": 20.0, "gpu_seconds": 0},
             {"generation_time_seconds": 21.0, "cost_usd": 0.003545, "cpu_seconds": 21.0, "gpu_seconds": 12.5},
             {"generation_time_seconds": 9.0, "cost_usd": 0.00018}]  # before issue 15: no CPU/GPU split recorded
    for number, perf in enumerate(perfs, start=1):
        Render.objects.create(job=job, number=number, outputs={}, performance=perf)
    client.force_login(User.objects.create_superuser(email="ops@example.com", password="ops-long-secret-1"))
    page = client.get(reverse("admin:videogen_render_changelist")).content.decode()
    assert "Cost (USD)" in page
    for text in ("$0.0004 (20.0 CPU-s, 0.0 GPU-s)", "$0.0035 (21.0 CPU-s, 12.5 GPU-s)", "$0.0002 (9.0 CPU-s, 0.0 GPU-s)"):
        assert text in page
