"""RQ entry points (thin: they call services)."""

from __future__ import annotations

import logging
import shutil

logger = logging.getLogger(__name__)

#: The job's phase (shown on the page, in the API and over the WebSocket) while RQ re-queues a
#: render whose worker died (SIGKILL, out of memory) — noticed by the sweep within a minute.
RETRY_AFTER_WORKER_STOPPED = "retrying after worker stopped"
RETRY_AFTER_ERROR = "retrying after an error"


def render_video_job(job_id: int) -> int | None:
    """Render queue task: renders a VideoJob; returns the new Render's version number."""
    from .rendering import video_job_render

    render = video_job_render(job_id)
    return render.number if render else None


def render_video_job_failed(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ ``on_failure`` callback, also run when RQ finds the job abandoned (its worker was killed:
    :mod:`kolony.outbox.sweep` notices that within a minute).

    The partial files of the attempt are removed. With a retry left, RQ re-queues the job and the
    job shows :data:`RETRY_AFTER_WORKER_STOPPED` until the next attempt starts; otherwise the
    VideoJob is marked failed with the reason.
    """
    from rq.exceptions import AbandonedJobError

    from . import credits
    from .models import VideoJob
    from .progress import publish_state
    from .services import work_dir

    job_id = rq_job.args[0] if rq_job.args else None
    if job_id is None:
        return
    shutil.rmtree(work_dir(job_id), ignore_errors=True)
    job = VideoJob.objects.filter(pk=job_id).first()
    if job is None or not job.is_active:
        return
    abandoned = exc_type is AbandonedJobError or isinstance(exc_value, AbandonedJobError)
    if rq_job.retries_left:
        job.phase = RETRY_AFTER_WORKER_STOPPED if abandoned else RETRY_AFTER_ERROR
        VideoJob.objects.filter(pk=job_id).update(phase=job.phase)
    else:
        reason = ("The render worker stopped unexpectedly (killed or out of memory) and the retry did not finish."
                  if abandoned else f"Render failed: {exc_value or (exc_type.__name__ if exc_type else 'unknown error')}")
        job.fail(reason)
        job.save()
        credits.render_failed(job=job, reason="Render failed: reserved credits returned")
    publish_state(job)


def footage_analyse_task(asset_id: int) -> int:
    """Default queue task: shot detection and keyframes for an uploaded clip; returns the shot count."""
    from .footage import footage_analyse

    return len(footage_analyse(asset_id=asset_id).metadata.get("shots", []))
