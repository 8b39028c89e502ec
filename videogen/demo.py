"""Demo data for the Video Studio: the coffee brief from ``examples/`` as a job in the demo
organization, with a finished render.

``make run`` renders ``examples/coffee_brief.json`` with ``manage.py render_ad`` into
``var/sample-ad/`` first; when those MP4s are there (``KOLONY_SAMPLE_AD_DIR``) they become the
job's version 1 as they are. Otherwise the render is queued for the worker.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from PIL import Image

from videogen.engine.render.formats import get_format

from . import services
from .footage import extract_frame
from .models import Asset, AssetKind, JobStatus, Render, VideoJob
from .plan_store import plan_snapshot
from .rendering import render_performance
from .uploads import _sha256, asset_create_from_file

EXAMPLES = Path(settings.BASE_DIR) / "examples"
SAMPLE_TITLE = "Aurora Cold Brew — sample ad"


def _asset_for(organization, user, path: Path, kind: str) -> Asset:
    existing = Asset.objects.filter(organization=organization, kind=kind, checksum=_sha256(path)).first()
    if existing is not None:
        return existing
    with Image.open(path) as im:
        width, height = im.size
    return asset_create_from_file(organization=organization, user=user, path=path, kind=kind, name=path.name,
                                  width=width, height=height, content_type="image/png" if path.suffix == ".png" else "image/jpeg")


def sample_dir() -> Path:
    return Path(os.environ.get("KOLONY_SAMPLE_AD_DIR") or Path(settings.BASE_DIR) / "var" / "sample-ad")


def seed(*, organization, user, stdout) -> VideoJob:
    """The sample ad (below), then the review demo: a reviewer and the ad waiting for review."""
    from .review.demo import seed_review

    job = _seed_sample_ad(organization=organization, user=user, stdout=stdout)
    seed_review(organization=organization, user=user, job=job, stdout=stdout)
    return job


def _seed_sample_ad(*, organization, user, stdout) -> VideoJob:
    job = VideoJob.objects.filter(organization=organization, title=SAMPLE_TITLE).first()
    if job is not None and (job.renders.exists() or job.in_progress):
        stdout.write(f"Video Studio: sample ad already there (job {job.pk}).")
        return job
    brief = json.loads((EXAMPLES / "coffee_brief.json").read_text())
    photo = _asset_for(organization, user, EXAMPLES / "coffee.png", AssetKind.IMAGE)
    logo = _asset_for(organization, user, EXAMPLES / brief["brand"]["logo"], AssetKind.LOGO)
    brief["images"] = [photo.pk]
    brief["brand"]["logo"] = logo.pk
    if job is None:
        job = services.video_job_create(organization=organization, user=user, brief_data=brief, title=SAMPLE_TITLE)
    folder = sample_dir()
    if all((folder / f"{get_format(r).stem}.mp4").exists() for r in brief["aspect_ratios"]) and (folder / "trace.json").exists():
        _import_cli_render(job, folder, brief["aspect_ratios"])
        stdout.write(f"Video Studio: sample ad imported from {folder} (job {job.pk}).")
    else:
        services.video_job_enqueue_render(job=job, user=user)
        stdout.write(f"Video Studio: sample ad queued for the render worker (job {job.pk}).")
    return job


@transaction.atomic
def _import_cli_render(job: VideoJob, folder: Path, ratios: list[str]) -> Render:
    trace = json.loads((folder / "trace.json").read_text())
    org, user = job.organization, job.created_by
    outputs, posters = {}, {}
    for ratio in ratios:
        spec = get_format(ratio)
        poster_png = folder / f"poster-{spec.stem}.png"  # each format's own poster frame
        if not poster_png.exists():
            extract_frame(folder / f"{spec.stem}.mp4", 1.0, poster_png)
        posters[ratio] = asset_create_from_file(organization=org, user=user, path=poster_png, kind=AssetKind.INTERMEDIATE,
                                                name=f"aurora-poster-{spec.stem}.png", content_type="image/png",
                                                width=spec.width, height=spec.height, metadata={"poster_of": job.pk, "ratio": ratio})
        asset = asset_create_from_file(organization=org, user=user, path=folder / f"{spec.stem}.mp4", kind=AssetKind.RENDER,
                                       name=f"aurora-cold-brew-{spec.stem}.mp4", width=spec.width, height=spec.height,
                                       content_type="video/mp4", metadata={"ratio": ratio, "job": job.pk, "source": "render_ad",
                                                                           "poster": posters[ratio].pk})
        outputs[ratio] = asset.pk
    poster = posters[ratios[0]]
    seconds = float(trace.get("generation_time_seconds") or 0)
    render = Render.objects.create(
        job=job, number=1, outputs=outputs, poster=poster, created_by=user, plan_snapshot=plan_snapshot(job),
        quality_metrics=trace.get("quality_metrics") or {},
        performance=render_performance(trace, seconds),
    )
    VideoJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED, progress=100, phase="done", trace=trace)
    return render
