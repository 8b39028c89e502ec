"""Generated scenes in the Studio (issue 15, Studio side): the GPU step of a render, its fallbacks,
and the scene edits behind the wizard's "Generated scenes".

A scene whose ``visual_source`` is ``generated_clip`` carries its request in
``Scene.entity_layout["generation"]`` (the plan schema's :class:`~videogen.engine.planner.schema.Generation`:
prompt, negative prompt, image index, seed, model). Before the engine runs, the render worker
(:func:`videogen.rendering.video_job_render`) calls :func:`prepare_generated_scenes`, which

1. reuses a clip generated earlier for the same request (an INTERMEDIATE asset whose
   ``metadata["generation_key"]`` is :func:`generation_key` — model, seed, prompt, negative prompt,
   first-frame bytes, size and frames), else
2. enqueues one ``generate_clip`` spec per scene (:class:`gpu_worker.contract.GenerateClipSpec`) on
   the RQ queue ``gpu`` through :func:`kolony.outbox.enqueue_on_commit`, its first frame and its
   output named by *storage keys* (never a filesystem path: the GPU worker shares only Redis and
   object storage with us), and waits for each result document in Redis
   (:func:`gpu_worker.contract.read_result`) up to ``settings.KOLONY_GPU_SCENE_TIMEOUT_S``;
3. hands each clip to the engine exactly like an uploaded clip: appended to ``brief.clips`` and the
   scene turned into ``Visual(source="uploaded_clip")``, so it is reframed per ratio with text, logo and
   captions on top, and its layer cache key holds the clip's SHA-256 plus the scene's generation
   (model, seed, prompt);
4. falls back per scene — generation failure, timeout, out of memory, missing model, or no live GPU
   worker (no heartbeat in the last :data:`gpu_worker.contract.HEARTBEAT_TTL_S` s) — to the CPU
   template scene (the scene's photo, else the brand background).

If the CPU template render then fails as a whole, :func:`videogen.rendering.video_job_render` makes
the video from the storyboard stills (:mod:`videogen.engine.render.stills`). Every step is a
``fallbacks`` entry of the trace (``{"stage", "from", "to", "reason"}``) shown on the job page
(:func:`videogen.selectors.job_fallbacks`); the job completes when any fallback does.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from gpu_worker.contract import (
    CLIP_MODELS,
    GPU_QUEUE,
    HEARTBEAT_TTL_S,
    RUN_TASK_FUNC,
    GenerateClipSpec,
    GpuResult,
    Limits,
    ModelPreference,
    ProgressTarget,
    WorkerAnnouncement,
    live_workers,
    read_result,
    request_cancel,
)
from kolony.core.rediscache import REDIS_DOWN_ERRORS
from kolony.tenancy import org_queryset
from videogen.engine.brief import Brief, ClipSource
from videogen.engine.cost import cost_estimate
from videogen.engine.planner.schema import Generation, ScenePlan, Visual
from videogen.engine.render.ffmpeg import RenderCancelled

from .models import Asset, AssetKind, EditOperation, VideoJob
from .uploads import asset_create_from_file

log = logging.getLogger(__name__)

#: Seconds between looks at Redis for a GPU result while a render waits.
POLL_S = 0.5
#: Generated clip sizes (width, height; multiples of 32 as the clip models need) by the job's first
#: ratio; the compositor scales each clip to cover and centre-crops it for every other ratio.
CLIP_SIZES = {"9:16": (480, 864), "16:9": (864, 480), "1:1": (640, 640), "4:5": (576, 704)}
CLIP_FPS = 24
MAX_CLIP_FRAMES = 257  # the contract's limit (about 10.7 s at 24 fps); a longer scene holds the last frame
#: Denoising steps asked per clip (the contract's default; the worker's tuned path makes them cheap).
CLIP_STEPS = 30
#: Share of the job's progress bar (percent) the GPU step may fill before the engine's phases.
GENERATE_PERCENT = (0.0, 5.0)
FALLBACK_STAGE = "generate"
#: Error kinds of the contract → the words the job page shows.
ERROR_WORDS = {
    "oom": "the GPU ran out of memory",
    "timeout": "generation took too long",
    "cancelled": "generation was cancelled",
    "failed": "generation failed",
    "missing_model": "the clip model is not installed on the GPU worker",
    "bad_input": "the GPU worker could not read the request",
    "not_available": "the GPU worker cannot generate clips",
}


def _redis():
    import django_rq

    return django_rq.get_connection(GPU_QUEUE)


def live_gpu_workers() -> list[WorkerAnnouncement]:
    """GPU workers that announced themselves in the last ``HEARTBEAT_TTL_S`` seconds and can make
    clips (newest first); ``[]`` when none, or when Redis is unreachable."""
    try:
        return [w for w in live_workers(_redis()) if w.can_generate_clips()]
    except (OSError, *REDIS_DOWN_ERRORS) as exc:
        log.warning("GPU worker heartbeat not readable (Redis unreachable): %s", exc)
        return []


def gpu_available() -> bool:
    """True when a clip-capable GPU worker is alive: the wizard offers "Generated scenes" only then."""
    return bool(live_gpu_workers())


# ------------------------------------------------------------------------------------------ the GPU step

@dataclass
class SceneGeneration:
    """What happened to one generated scene. ``status``: "generated" (the GPU worker made it now),
    "reused" (a clip made earlier for the same request), "fallback" (rendered from the CPU
    templates; ``reason`` says why, ``error_kind`` the contract's kind or "no_worker")."""

    scene_key: str
    status: str
    prompt: str = ""
    seed: int = 0
    model: str = ""
    reason: str = ""
    error_kind: str = ""
    gpu_seconds: float = 0.0
    seconds: float = 0.0
    asset_id: int | None = None
    task_id: str = ""
    clip_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    prompt_adherence: float | None = None  # CLIP score of the kept clip (None: no CLIP model on the worker)

    def to_trace(self) -> dict:
        return {"scene": self.scene_key, "status": self.status, "prompt": self.prompt, "seed": self.seed,
                "model": self.model, "reason": self.reason, "error_kind": self.error_kind,
                "gpu_seconds": round(self.gpu_seconds, 3), "seconds": round(self.seconds, 3), "asset": self.asset_id,
                "task_id": self.task_id, "warnings": self.warnings}


@dataclass
class GenerationStep:
    """The GPU step's outcome: the ``brief`` and ``plan`` to hand to the engine (generated scenes
    turned into clip scenes, failed ones into CPU template scenes), one :class:`SceneGeneration` per
    generated scene, and the step's wall ``seconds``."""

    brief: Brief
    plan: ScenePlan
    scenes: list[SceneGeneration] = field(default_factory=list)
    seconds: float = 0.0
    fallbacks: list[dict] = field(default_factory=list)

    @property
    def gpu_seconds(self) -> float:
        return round(sum(s.gpu_seconds for s in self.scenes), 3)

    @property
    def models(self) -> list[str]:
        return sorted({s.model for s in self.scenes if s.model and s.status != "fallback"})


def generation_key(gen: Generation, *, image_sha: str, width: int, height: int, num_frames: int, fps: int,
                   priority: str) -> str:
    """The content address of a generated clip: SHA-256 of the model preference, seed, prompt,
    negative prompt, first-frame bytes (``image_sha``; "-" for text-to-video), size, frames, fps and
    priority. The same request reuses the clip; a new seed ("regenerate") makes a new one."""
    import hashlib

    h = hashlib.sha256()
    for part in ("gen-v1", gen.model or "auto", gen.seed, gen.prompt, gen.negative_prompt, image_sha, width, height,
                 num_frames, fps, priority):
        h.update(str(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def clip_request_size(brief: Brief, seconds: float) -> tuple[int, int, int]:
    """``(width, height, num_frames)`` of the clip for a scene of ``seconds``: the size by the
    brief's first ratio (:data:`CLIP_SIZES`), frames ``8k+1`` covering the scene at 24 fps
    (LTX-Video's rule; the worker adapts it for Wan), at most :data:`MAX_CLIP_FRAMES`."""
    width, height = CLIP_SIZES.get(brief.aspect_ratios[0] if brief.aspect_ratios else "9:16", CLIP_SIZES["9:16"])
    frames = int(seconds * CLIP_FPS + 0.999)
    frames = min(MAX_CLIP_FRAMES, ((max(frames, 9) - 1 + 7) // 8) * 8 + 1)
    return width, height, frames


def _default_prompt(scene, brief: Brief) -> str:
    words = " ".join(p for p in (scene.on_screen_text, scene.subtext) if p)
    return (f"{brief.product_name}: {words}. " if words else f"{brief.product_name}. ") + brief.text_prompt[:300]


def _fallback_to(scene, brief: Brief, gen: Generation | None) -> str:
    """Turns a generated scene into its CPU template scene (the photo, else the brand background);
    returns the source it now uses."""
    if brief.images:
        index = gen.image_index if gen and gen.image_index is not None else scene.visual.image_index
        index = index if index is not None and index < len(brief.images) else 0
        scene.visual = Visual(source="product_image", image_index=index)
        return "product_image"
    scene.visual = Visual(source="solid_brand")
    return "solid_brand"


def prepare_generated_scenes(*, job: VideoJob, brief: Brief, plan: ScenePlan, workdir: Path,
                             image_asset_ids: list[int], should_cancel: Callable[[], bool] | None = None,
                             progress: Callable[[str, float], None] | None = None,
                             timeout_s: float | None = None) -> GenerationStep:
    """The GPU step of a render (see the module docstring). ``image_asset_ids[i]`` is the asset of
    ``brief.images[i]`` (its storage key becomes the spec's first frame). ``timeout_s`` (default
    ``settings.KOLONY_GPU_SCENE_TIMEOUT_S``) bounds the wait for all scenes together.

    Returns a :class:`GenerationStep`; ``plan``/``brief`` are copies. Raises RenderCancelled when
    the job is cancelled while waiting (the GPU tasks are asked to stop too). Never raises for a
    GPU problem: that scene falls back instead."""
    t0 = time.monotonic()
    plan = plan.model_copy(deep=True)
    step = GenerationStep(brief=brief, plan=plan)
    wanted = [s for s in plan.scenes if s.visual.source == "generated_clip"]
    if not wanted:
        return step
    timeout_s = float(settings.KOLONY_GPU_SCENE_TIMEOUT_S if timeout_s is None else timeout_s)
    new_clips: list[ClipSource] = list(brief.clips)
    pending: dict[str, tuple] = {}  # task_id → (scene, gen, outcome, key, spec)
    workers: list[WorkerAnnouncement] | None = None
    for scene in wanted:
        gen = (scene.generation or Generation()).model_copy()
        if not gen.prompt.strip():
            gen.prompt = _default_prompt(scene, brief)
        scene.generation = gen
        outcome = SceneGeneration(scene_key=scene.id, status="fallback", prompt=gen.prompt, seed=gen.seed, model=gen.model)
        step.scenes.append(outcome)
        # image-to-video from the scene's photo unless the request names another one (text-to-video without photos)
        image_index = gen.image_index if gen.image_index is not None else scene.visual.image_index
        image_index = image_index if image_index is not None and image_index < len(brief.images) else None
        image_asset = None
        if image_index is not None and image_index < len(image_asset_ids):
            image_asset = org_queryset(Asset, job.organization).filter(pk=image_asset_ids[image_index]).first()
        width, height, frames = clip_request_size(brief, scene.duration)
        key = generation_key(gen, image_sha=image_asset.checksum if image_asset else "-", width=width, height=height,
                             num_frames=frames, fps=CLIP_FPS, priority=brief.priority)
        cached = (org_queryset(Asset, job.organization).filter(kind=AssetKind.INTERMEDIATE, metadata__generation_key=key)
                  .order_by("-created_at").first())
        if cached is not None:
            try:
                outcome.clip_path = _local_copy(cached.file.name, workdir / f"gen-{cached.pk}.mp4")
            except OSError as exc:
                log.warning("generated clip asset %s unreadable, generating again: %s", cached.pk, exc)
            else:
                outcome.status, outcome.asset_id = "reused", cached.pk
                outcome.model = str((cached.metadata or {}).get("model") or gen.model)
                outcome.prompt_adherence = (cached.metadata or {}).get("prompt_adherence")
                continue
        if workers is None:
            workers = live_gpu_workers()
        if not workers:
            outcome.error_kind = "no_worker"
            outcome.reason = f"no GPU worker is running (none announced itself in the last {HEARTBEAT_TTL_S} s)"
            continue
        task_id = secrets.token_hex(16)
        spec = GenerateClipSpec(
            task_id=task_id, prompt=gen.prompt, negative_prompt=gen.negative_prompt,
            first_frame_key=image_asset.file.name if image_asset else None, width=width, height=height, num_frames=frames,
            fps=CLIP_FPS, steps=CLIP_STEPS, seed=gen.seed, model=cast(ModelPreference, gen.model) if gen.model in CLIP_MODELS else "auto",
            priority=brief.priority, output_key=f"gpu/job-{job.pk}/{scene.id}-{task_id[:12]}.mp4",
            limits=Limits(timeout_s=max(1.0, timeout_s)),
            progress=ProgressTarget(group=f"video-job-{job.pk}", job_id=job.pk, start_percent=GENERATE_PERCENT[0],
                                    end_percent=GENERATE_PERCENT[1], phase_label=f"Generating scene {scene.id}"),
            labels={"organization": job.organization_id, "job": job.pk, "scene": scene.id},
        )
        _enqueue(spec)
        outcome.task_id = task_id
        pending[task_id] = (scene, gen, outcome, key, spec)
    if progress and pending:
        progress("generating scenes", GENERATE_PERCENT[0])
    deadline = time.monotonic() + timeout_s
    while pending:
        for task_id in list(pending):
            try:
                result = read_result(_redis(), task_id)
            except (OSError, ValueError, *REDIS_DOWN_ERRORS) as exc:
                log.warning("GPU result of task %s unreadable: %s", task_id, exc)
                result = None
            if result is None:
                continue
            scene, gen, outcome, key, spec = pending.pop(task_id)
            _collect(job, result, spec, outcome, key, workdir)
        if not pending:
            break
        if should_cancel is not None and should_cancel():
            for task_id in pending:
                _cancel_quietly(task_id)
            raise RenderCancelled("render cancelled")
        if time.monotonic() >= deadline:
            for task_id, (_scene, _gen, outcome, _key, _spec) in pending.items():
                _cancel_quietly(task_id)
                outcome.error_kind = "timeout"
                outcome.reason = f"the GPU worker sent no clip within {timeout_s:g} s"
            break
        _sleep(POLL_S)
    # hand each clip to the engine as a clip scene; the rest fall back to the CPU template scene
    by_key = {o.scene_key: o for o in step.scenes}
    for scene in wanted:
        outcome = by_key[scene.id]
        if outcome.clip_path is not None and outcome.status in ("generated", "reused"):
            new_clips.append(ClipSource(path=outcome.clip_path, start=0.0, cleanup=[]))
            scene.visual = Visual(source="uploaded_clip", clip_index=len(new_clips) - 1)
            if scene.generation is not None and outcome.model:
                scene.generation.model = outcome.model
            continue
        outcome.status = "fallback"
        to = _fallback_to(scene, brief, scene.generation)
        step.fallbacks.append({"stage": FALLBACK_STAGE, "from": "generated_clip", "to": to,
                               "reason": f"scene {scene.id}: {outcome.reason or 'generation failed'}"})
    step.brief = brief.model_copy(update={"clips": new_clips})
    step.seconds = round(time.monotonic() - t0, 3)
    if progress:
        progress("generating scenes", GENERATE_PERCENT[1])
    return step


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _enqueue(spec: GenerateClipSpec) -> None:
    from kolony.outbox.services import enqueue_on_commit

    enqueue_on_commit(GPU_QUEUE, RUN_TASK_FUNC, spec.model_dump(mode="json"), job_id=f"gpu-{spec.task_id}",
                      job_timeout=spec.limits.rq_timeout(), description=f"generate_clip {spec.labels.get('scene', '')}")


def _cancel_quietly(task_id: str) -> None:
    try:
        request_cancel(_redis(), task_id)
    except (OSError, *REDIS_DOWN_ERRORS) as exc:
        log.warning("could not ask GPU task %s to stop: %s", task_id, exc)


def _local_copy(key: str, target: Path) -> Path:
    """Copies storage object ``key`` (local disk or S3, through the default storage) to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with default_storage.open(key, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return target


def _collect(job: VideoJob, result: GpuResult, spec: GenerateClipSpec, outcome: SceneGeneration, key: str,
             workdir: Path) -> None:
    """Fills ``outcome`` from a result document; on success the clip is copied from storage into
    ``workdir`` and kept as an INTERMEDIATE asset (for reuse and the scene card)."""
    outcome.gpu_seconds = float(result.gpu_seconds or 0)
    outcome.seconds = float(result.seconds or 0)
    outcome.warnings = list(result.warnings)
    if result.model is not None:
        outcome.model = result.model.id
    if not result.ok or result.clip is None:
        kind = str(result.error_kind or "failed")
        outcome.error_kind = kind
        words = ERROR_WORDS.get(kind, "generation failed")
        detail = " ".join((result.error or "").split())[:200]
        outcome.reason = f"{words} ({detail})" if detail and kind != "oom" else words
        return
    outcome.seed = result.clip.seed
    try:
        path = _local_copy(result.clip.video_key, workdir / f"gen-{spec.task_id}.mp4")
    except OSError as exc:
        outcome.error_kind = "failed"
        outcome.reason = f"the generated clip could not be read from storage ({exc.__class__.__name__})"
        return
    asset = asset_create_from_file(
        organization=job.organization, user=job.created_by, path=path, kind=AssetKind.INTERMEDIATE,
        name=f"{job.title[:60]}-{outcome.scene_key}-generated.mp4", width=result.clip.width, height=result.clip.height,
        duration_seconds=round(result.clip.num_frames / max(1, result.clip.fps), 3), content_type="video/mp4",
        metadata={"generation_key": key, "generated_for": job.pk, "scene": outcome.scene_key, "prompt": spec.prompt,
                  "negative_prompt": spec.negative_prompt, "seed": result.clip.seed, "model": outcome.model,
                  "gpu_seconds": outcome.gpu_seconds, "prompt_adherence": result.clip.prompt_adherence,
                  "task_id": spec.task_id},
    )
    try:
        default_storage.delete(result.clip.video_key)  # the worker's upload; the asset holds the bytes now
    except OSError:
        pass
    outcome.status, outcome.clip_path, outcome.asset_id = "generated", path, asset.pk
    outcome.prompt_adherence = result.clip.prompt_adherence


def apply_to_trace(trace: dict, step: GenerationStep | None, *, extra_fallbacks: list[dict] | None = None) -> dict:
    """Adds the GPU step to a render's trace dict (in place; returned): a ``generate`` stage listing
    each scene (:meth:`SceneGeneration.to_trace`), its fallbacks first in ``fallbacks``, then
    ``extra_fallbacks`` (e.g. storyboard stills), ``gpu_seconds``, and a ``cost_estimate``
    (:func:`videogen.engine.cost.cost_estimate`) of the GPU-seconds the worker reported plus the
    CPU-seconds of the render worker: the engine's wall time and the GPU step's wait (the render
    worker is held while it waits)."""
    fallbacks = list(step.fallbacks if step else []) + list(trace.get("fallbacks") or []) + list(extra_fallbacks or [])
    trace["fallbacks"] = fallbacks
    if step is not None and step.scenes:
        trace.setdefault("stages", []).insert(0, {
            "name": "generate", "backend": "gpu-worker", "status": "ok", "seconds": step.seconds,
            "gpu_seconds": step.gpu_seconds, "scenes": [s.to_trace() for s in step.scenes], "notes": []})
    gpu = step.gpu_seconds if step else 0.0
    cpu = float(trace.get("generation_time_seconds") or 0) + (step.seconds if step else 0.0)
    trace["gpu_seconds"] = gpu
    trace["cost_estimate"] = cost_estimate(cpu, int(trace.get("llm_tokens") or 0), gpu)
    return trace


# ------------------------------------------------------------------------------------------ scene edits

def _generation_of(snapshot_scene: dict) -> dict:
    return dict((snapshot_scene.get("layout") or {}).get("generation") or {})


def scene_set_generation(*, job: VideoJob, user, scene_key: str, enabled: bool, prompt: str | None = None,
                         negative_prompt: str | None = None, expected_version: int | None = None) -> VideoJob:
    """Makes a scene a generated clip (``enabled``) with ``prompt`` (default: the scene's text and
    the brief's prompt), or back a template scene. The seed and the previous request are kept in
    ``layout["generation"]``, so switching back reuses the clip. Raises ValidationError naming the
    field (``prompt`` too long, ``scene`` unknown, ``plan_version`` stale)."""
    from .services import _edit, _find

    if prompt is not None and len(prompt) > 600:
        raise ValidationError({"prompt": [f"A scene prompt is at most 600 characters (got {len(prompt)})."]})
    if negative_prompt is not None and len(negative_prompt) > 400:
        raise ValidationError({"negative_prompt": [f"A negative prompt is at most 400 characters (got {len(negative_prompt)})."]})

    def mutate(snapshot):
        i = _find(snapshot, scene_key)
        s = snapshot[i]
        layout = dict(s.get("layout") or {})
        gen = _generation_of(s)
        if enabled:
            if prompt is not None:
                gen["prompt"] = " ".join(prompt.split())
            if negative_prompt is not None:
                gen["negative_prompt"] = " ".join(negative_prompt.split())
            gen.setdefault("seed", secrets.randbelow(2**31))
            if not gen.get("prompt"):
                gen["prompt"] = " ".join(p for p in (s.get("on_screen_text"), s.get("subtext"), s.get("voiceover")) if p)[:600]
            layout["generation"] = Generation.model_validate(gen).model_dump()
            if s.get("visual_source") != "generated_clip":
                layout["generation_was"] = s.get("visual_source", "product_image")
            s["visual_source"] = "generated_clip"
            summary = f"Scene {i + 1}: generated clip" + (f" “{gen['prompt'][:60]}”" if gen.get("prompt") else "")
        else:
            s["visual_source"] = layout.pop("generation_was", None) or ("product_image" if s.get("image_asset_id") else "solid_brand")
            summary = f"Scene {i + 1}: template scene instead of a generated clip"
        s["layout"] = layout
        return summary

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.EDIT_SCENE,
                 scene_key=scene_key, mutate=mutate)


def scene_regenerate(*, job: VideoJob, user, scene_key: str, expected_version: int | None = None) -> VideoJob:
    """"Regenerate": a new random seed for a generated scene (the next render asks the GPU worker for
    a new clip; the old one stays reusable under its own seed). Raises ValidationError (``scene``)
    when the scene is not a generated clip."""
    from .services import _edit, _find

    def mutate(snapshot):
        i = _find(snapshot, scene_key)
        s = snapshot[i]
        if s.get("visual_source") != "generated_clip":
            raise ValidationError({"scene": [f"Scene {i + 1} is not a generated clip; make it one first."]})
        layout = dict(s.get("layout") or {})
        gen = _generation_of(s)
        old = gen.get("seed")
        seed = secrets.randbelow(2**31)
        while seed == old:
            seed = secrets.randbelow(2**31)
        gen["seed"] = seed
        gen["model"] = ""  # the router chooses again
        layout["generation"] = Generation.model_validate(gen).model_dump()
        s["layout"] = layout
        return f"Scene {i + 1}: regenerate (seed {seed})"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.EDIT_SCENE,
                 scene_key=scene_key, mutate=mutate)


def generated_scene_cards(*, job: VideoJob) -> dict[str, dict]:
    """scene_key → what the scene card shows for a generated scene: ``{"prompt", "negative_prompt",
    "seed", "model", "clip_asset"}`` — ``model`` is the one the latest render used (from the
    trace), else the requested one, else "auto"; ``clip_asset`` the id of the clip made for it, if any."""
    trace_scenes = {}
    for st in (job.trace or {}).get("stages") or []:
        if isinstance(st, dict) and st.get("name") == "generate":
            trace_scenes = {str(s.get("scene")): s for s in st.get("scenes") or [] if isinstance(s, dict)}
    out = {}
    for scene in job.scenes.order_by("number"):
        if scene.visual_source != "generated_clip":
            continue
        gen = dict((scene.entity_layout or {}).get("generation") or {})
        done = trace_scenes.get(scene.scene_key) or {}
        same_seed = done.get("seed") == gen.get("seed")
        out[scene.scene_key] = {
            "prompt": gen.get("prompt", ""), "negative_prompt": gen.get("negative_prompt", ""), "seed": gen.get("seed", 0),
            "model": (done.get("model") if same_seed else "") or gen.get("model") or "auto",
            "clip_asset": done.get("asset") if same_seed else None,
            "status": done.get("status", "") if same_seed else "",
        }
    return out


# ------------------------------------------------------------------------------------------ the render

def render_with_fallbacks(*, job: VideoJob, brief: Brief, plan: ScenePlan, workdir: Path, image_asset_ids: list[int],
                          reporter, cache_dir: Path | None, run_pipeline: Callable):
    """The whole fallback chain of one render: the GPU step (:func:`prepare_generated_scenes`; a
    failed scene becomes its CPU template scene), then the engine's animated render
    (``run_pipeline``, passed in so the caller's engine entry point is used), and if that fails,
    the storyboard-stills video (:func:`videogen.engine.render.stills.stills_video`). Returns the
    engine's ``PipelineResult`` with the GPU step, every fallback and the cost (CPU + GPU
    seconds) in its ``trace``. Raises RenderCancelled when cancelled, and the animated render's own
    error when the stills fail too."""
    step = prepare_generated_scenes(job=job, brief=brief, plan=plan, workdir=workdir, image_asset_ids=image_asset_ids,
                                    should_cancel=reporter.should_cancel, progress=reporter)
    extra: list[dict] = []
    t0 = time.monotonic()
    try:
        result = run_pipeline(step.brief, out_dir=workdir / "out", formats=list(step.brief.aspect_ratios), progress=reporter,
                              should_cancel=reporter.should_cancel, cache_dir=cache_dir, plan=step.plan)
    except RenderCancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the animated render: try the stills before failing the job
        log.exception("animated render of video job %s failed; making the storyboard-stills video", job.pk)
        try:
            result = _stills_render(step, workdir, reporter, run_pipeline)
        except RenderCancelled:
            raise
        except Exception:  # noqa: BLE001 - the stills failed too: the job fails with the first error
            log.exception("storyboard-stills video of job %s failed too", job.pk)
            raise exc from None
        detail = " ".join(str(exc).split())[:200] or exc.__class__.__name__
        extra.append({"stage": "render", "from": "cpu_template", "to": "storyboard_stills",
                      "reason": f"the animated render failed ({detail})"})
        result.generation_time_seconds = round(time.monotonic() - t0, 3)
        result.trace["generation_time_seconds"] = result.generation_time_seconds
    apply_to_trace(result.trace, step, extra_fallbacks=extra)
    scores = [s.prompt_adherence for s in step.scenes if s.status != "fallback" and s.prompt_adherence is not None]
    if scores:  # the render's prompt adherence: the mean CLIP score of its generated scenes
        result.quality_metrics["prompt_adherence_score"] = round(sum(scores) / len(scores), 4)
    return result


def _stills_render(step: GenerationStep, workdir: Path, reporter, run_pipeline: Callable):
    """The storyboard-only engine run, then one stills MP4 per format (the last fallback)."""
    from videogen.engine.render.formats import get_format
    from videogen.engine.render.stills import stills_video

    out = workdir / "stills"
    shutil.rmtree(out, ignore_errors=True)
    sb = run_pipeline(step.brief, out_dir=out, formats=list(step.brief.aspect_ratios), storyboard_only=True,
                      should_cancel=reporter.should_cancel, plan=step.plan)
    outputs: dict[str, Path] = {}
    for ratio, stills in sb.storyboard.items():
        spec = get_format(ratio)
        outputs[ratio] = stills_video(sb.plan, spec, stills, out / f"{spec.stem}.mp4", should_cancel=reporter.should_cancel)
        reporter("encode", 60 + 35 * len(outputs) / max(1, len(sb.storyboard)))
    sb.outputs = outputs
    sb.trace["outputs"] = {**(sb.trace.get("outputs") or {}),
                           **{r: {"path": p.name, "bytes": p.stat().st_size} for r, p in outputs.items()}}
    sb.trace["made_from"] = "storyboard_stills"
    sb.quality_metrics, sb.quality = {}, {}
    return sb


def job_generate_all(*, job: VideoJob, user, expected_version: int | None = None) -> VideoJob:
    """"Generated scenes: the whole ad": every scene but the end card becomes a generated clip (one
    edit, undoable), each prompt from the scene's text; the end card stays a template scene so the
    offer and call to action read cleanly."""
    from .services import _edit

    def mutate(snapshot):
        count = 0
        for s in snapshot:
            if s.get("role") == "end_card" or s.get("visual_source") == "generated_clip":
                continue
            layout = dict(s.get("layout") or {})
            gen = dict(layout.get("generation") or {})
            gen.setdefault("seed", secrets.randbelow(2**31))
            gen.setdefault("prompt", " ".join(p for p in (s.get("on_screen_text"), s.get("subtext"), s.get("voiceover")) if p)[:600])
            layout["generation"] = Generation.model_validate(gen).model_dump()
            layout["generation_was"] = s.get("visual_source", "product_image")
            s["layout"], s["visual_source"] = layout, "generated_clip"
            count += 1
        return f"Generated scenes for the whole ad ({count} scenes)"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.EDIT_SCENE, scene_key="",
                 mutate=mutate)
