"""Storyboard keyframes of a job's current plan, made by the engine on first request and kept per
plan version under ``MEDIA_ROOT/storyboards/job-<id>-<secret>/v<plan version>/<ratio>/NN.png``
(``secret``: an HMAC of the job id with ``SECRET_KEY``, so the folder can't be guessed from the
job id). They are served only through :mod:`kolony.core.media`.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import Http404

from videogen.engine.pipeline import run_pipeline
from videogen.engine.render.formats import FORMATS

from . import services
from .models import VideoJob
from .plan_store import clip_sources, images_for_snapshot, plan_from_snapshot, plan_snapshot


def job_storyboard_dir(job_id: int) -> Path:
    """The job's storyboard folder (all plan versions and ratios)."""
    secret = hmac.new(settings.SECRET_KEY.encode(), f"storyboard:{job_id}".encode(), hashlib.sha256).hexdigest()[:24]
    return Path(settings.MEDIA_ROOT) / "storyboards" / f"job-{job_id}-{secret}"


def keyframe_path(job: VideoJob, ratio_slug: str, number: int) -> Path:
    """The PNG of scene ``number`` (1-based) for ratio ``ratio_slug`` (``9x16``), rendered now if
    the current plan version has none yet. Raises Http404 for an unknown ratio or scene."""
    ratio = ratio_slug.replace("x", ":")
    if ratio not in FORMATS:
        raise Http404("Unknown aspect ratio.")
    folder = job_storyboard_dir(job.pk) / f"v{job.plan_version}" / ratio_slug
    path = folder / f"{number:02d}.png"
    if not path.exists():
        _make_storyboard(job, ratio, folder)
    if not path.exists():
        raise Http404("No such scene.")
    return path


def _make_storyboard(job: VideoJob, ratio: str, folder: Path) -> None:
    """Renders the storyboard of the job's current plan for one ratio into ``folder``. Concurrent
    requests (the page asks for every keyframe at once) wait on a file lock, so it is made once."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if folder.exists():
            return
        snapshot = plan_snapshot(job)
        image_ids = images_for_snapshot(services.brief_image_ids(job.brief), snapshot)
        with tempfile.TemporaryDirectory(prefix="kolony-sb-") as tmp:
            brief = services.brief_for_engine(organization=job.organization, data=job.brief, workdir=Path(tmp),
                                              image_asset_ids=image_ids, clips=clip_sources(snapshot))
            plan = plan_from_snapshot(snapshot, seed=brief.seed, planner=job.planner, image_asset_ids=image_ids)
            result = run_pipeline(brief, out_dir=Path(tmp) / "out", formats=[ratio], storyboard_only=True, plan=plan)
            staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
            for i, png in enumerate(result.storyboard[ratio], start=1):
                shutil.copyfile(png, staging / f"{i:02d}.png")
            staging.rename(folder)
        for old in folder.parent.parent.glob("v*"):  # keyframes of earlier plan versions
            if old.is_dir() and old.name != folder.parent.name:
                shutil.rmtree(old, ignore_errors=True)
