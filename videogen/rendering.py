"""The render worker's side of a job: run the engine on the job's current plan, store the MP4s as
a new :class:`~videogen.models.Render` version, report progress, honour cancel, clean up."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from kolony.accounts.services import audit_log
from videogen.engine.pipeline import RenderCancelled, cost_estimate, run_pipeline
from videogen.engine.render.formats import get_format

from . import credits
from .footage import extract_frame
from .generation import render_with_fallbacks
from .models import AssetKind, JobStatus, Render, VideoJob
from .plan_store import clip_sources, images_for_snapshot, plan_from_snapshot, plan_snapshot
from .progress import ProgressReporter, publish_state
from .services import brief_for_engine, brief_image_ids, work_dir
from .uploads import asset_create_from_file

logger = logging.getLogger(__name__)



def render_performance(trace: dict, seconds: float | None = None) -> dict:
    """``Render.performance`` of a finished render: ``{"generation_time_seconds", "model_used",
    "cost_usd", "cpu_seconds", "gpu_seconds"}`` (``model_used``: the CPU engine plus each clip model
    a generated scene used, e.g. ``"cpu-template/kolony-cpu-1.0 + ltx-video"``), the cost being the
    trace's own ``cost_estimate`` (one rate table: :func:`videogen.engine.cost.cost_estimate`), so
    the job's ``trace.json`` and the render agree.
    ``seconds`` defaults to the trace's ``generation_time_seconds``."""
    seconds = float(trace.get("generation_time_seconds") or 0) if seconds is None else float(seconds)
    estimate = trace.get("cost_estimate") or cost_estimate(seconds)
    models = sorted({str(s.get("model")) for st in trace.get("stages") or [] if isinstance(st, dict) and st.get("name") == "generate"
                     for s in st.get("scenes") or [] if isinstance(s, dict) and s.get("model") and s.get("status") != "fallback"})
    return {"generation_time_seconds": round(seconds, 2),
            "model_used": " + ".join(["cpu-template/" + str(trace.get("job", {}).get("engine_version", "")), *models]),
            "cost_usd": estimate["usd"],
            "cpu_seconds": round(float(estimate.get("cpu_seconds", seconds)), 2),
            "gpu_seconds": round(float(estimate.get("gpu_seconds") or 0), 2)}


def scene_cache_dir() -> Path:
    """The content-addressed scene cache shared by all renders (keys include the image bytes)."""
    return Path(settings.MEDIA_ROOT) / "cache" / "scenes"


def video_job_render(job_id: int) -> Render | None:
    """Renders job ``job_id`` now (called by the RQ task). Returns the new Render, or None when the
    job was cancelled or failed (the job records why). Never leaves files in the work folder."""
    job = VideoJob.objects.select_related("organization").get(pk=job_id)
    if job.status == JobStatus.CANCELLED or job.cancel_requested:
        return None
    with transaction.atomic():
        job = VideoJob.objects.select_for_update().get(pk=job_id)
        if job.status not in (JobStatus.PENDING, JobStatus.PLANNING, JobStatus.RENDERING):
            return None
        job.start()
        job.phase = "starting"
        job.save()
    publish_state(job)
    work = work_dir(job.pk)
    shutil.rmtree(work, ignore_errors=True)  # leftovers of a killed attempt
    work.mkdir(parents=True)
    reporter = ProgressReporter(job)
    try:
        snapshot = plan_snapshot(job)
        image_ids = images_for_snapshot(brief_image_ids(job.brief), snapshot)
        brief = brief_for_engine(organization=job.organization, data=job.brief, workdir=work, image_asset_ids=image_ids,
                                 clips=clip_sources(snapshot))
        plan = plan_from_snapshot(snapshot, seed=brief.seed, planner=job.planner, image_asset_ids=image_ids)
        # generated scenes on the GPU worker, then the engine; each failure falls back (videogen/generation.py)
        result = render_with_fallbacks(job=job, brief=brief, plan=plan, workdir=work, image_asset_ids=image_ids,
                                       reporter=reporter, cache_dir=scene_cache_dir(), run_pipeline=run_pipeline)
        render = _store_render(job, result, snapshot)
    except RenderCancelled:
        job.refresh_from_db()
        publish_state(job)
        return None
    except Exception as exc:  # a failed render must say why on the job, never stay "rendering"
        logger.exception("render of video job %s failed", job_id)
        message = "; ".join(sum(exc.message_dict.values(), [])) if hasattr(exc, "message_dict") else str(exc)
        _fail(job_id, f"Render failed: {message or type(exc).__name__}")
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return render


def _fail(job_id: int, message: str) -> None:
    with transaction.atomic():
        job = VideoJob.objects.select_for_update().get(pk=job_id)
        if job.is_active:
            job.fail(message)
            job.save()
            credits.render_failed(job=job, reason="Render failed: reserved credits returned")
    publish_state(job)


def _store_render(job: VideoJob, result, snapshot) -> Render:
    org, user = job.organization, job.created_by
    assets, posters = {}, {}
    for ratio, path in result.outputs.items():
        spec = get_format(ratio)
        # each format's own poster frame (its MP4 asset's metadata["poster"]), so a player never shows another shape
        poster_path = extract_frame(path, min(1.0, result.plan.total_duration / 3),
                                    Path(result.trace_path).parent / f"poster-{spec.stem}.png")
        posters[ratio] = asset_create_from_file(organization=org, user=user, path=poster_path, kind=AssetKind.INTERMEDIATE,
                                                name=f"{job.title[:60]}-poster-{spec.stem}.png",
                                                width=spec.width, height=spec.height, metadata={"poster_of": job.pk, "ratio": ratio})
        assets[ratio] = asset_create_from_file(
            organization=org, user=user, path=path, kind=AssetKind.RENDER, name=f"{job.title[:60]}-{spec.stem}.mp4",
            width=spec.width, height=spec.height, duration_seconds=round(result.plan.total_duration, 3),
            metadata={"ratio": ratio, "job": job.pk, "quality": result.quality.get(ratio, {}), "poster": posters[ratio].pk},
        )
    first_ratio = next((r for r in job.brief.get("aspect_ratios") or [] if r in posters), next(iter(result.outputs)))
    poster = posters[first_ratio]
    seconds = round(result.generation_time_seconds, 2)
    with transaction.atomic():
        locked = VideoJob.objects.select_for_update().get(pk=job.pk)
        number = (locked.renders.aggregate(n=Max("number"))["n"] or 0) + 1
        render = Render.objects.create(
            job=locked, number=number, outputs={r: a.pk for r, a in assets.items()}, poster=poster,
            quality_metrics=result.quality_metrics, plan_snapshot=snapshot, brief_snapshot=job.brief or {}, created_by=user,
            performance=render_performance(result.trace, seconds),
        )
        # what the Studio recorded before the render (variant labels, learnings applied) stays in the trace
        locked.trace = {**{k: v for k, v in (locked.trace or {}).items() if k in ("variant", "learnings")}, **result.trace}
        from .variants.services import label_variant_render

        label_variant_render(render)  # issue 17: variant_of / variant_factor / variant_level of a variant job's version
        credits.render_delivered(job=locked, render=render, seconds=result.plan.total_duration, formats=len(assets))
        if locked.status == JobStatus.RENDERING:
            locked.complete()
        locked.save()
        audit_log(organization=org, actor=user, action="video_job.rendered", target=locked, metadata={"version": number})
    publish_state(locked)
    return render
