"""Job progress: pushed to the browser through the Channels layer (group per job) on every update,
persisted on the job at most every ``PERSIST_EVERY_S`` seconds (and on each phase change).

Message shape (the WebSocket sends it as-is):
``{"type": "progress", "job": id, "progress": 0–100, "phase": str, "status": str, "error": str}``.
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from kolony.core.rediscache import REDIS_DOWN_ERRORS

from .models import VideoJob

log = logging.getLogger(__name__)

PERSIST_EVERY_S = 0.5
CANCEL_CHECK_EVERY_S = 0.5
SEND_EVERY_S = 0.1


def group_name(job_id: int) -> str:
    return f"video-job-{job_id}"


def state_message(job: VideoJob) -> dict:
    return {"type": "progress", "job": job.pk, "progress": int(job.progress), "phase": job.phase,
            "status": job.status, "active": job.in_progress, "error": job.error_message, "sent_at": time.time()}


def publish(job_id: int, message: dict) -> None:
    """Sends ``message`` to the job's watchers. Live progress needs Redis: while it is unreachable
    the message is dropped (the page and the API read the state stored on the job)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(job_id), {"type": "job.progress", "message": message})
    except (OSError, *REDIS_DOWN_ERRORS) as exc:
        log.warning("live progress of job %s not sent (Redis unreachable): %s", job_id, exc)


def publish_state(job: VideoJob) -> None:
    """Sends the job's stored state to everyone watching it."""
    publish(job.pk, state_message(job))


class ProgressReporter:
    """Callable handed to the pipeline as ``progress(phase, percent)``; also its ``should_cancel``.

    Progress never goes backwards (a retried attempt keeps the bar where it was until it passes it).
    """

    def __init__(self, job: VideoJob):
        self.job = job
        self.progress = float(job.progress or 0)
        self.phase = job.phase
        self._persisted_at = 0.0
        self._sent_at = 0.0
        self._cancel_checked_at = 0.0
        self._cancelled = False

    def __call__(self, phase: str, percent: float) -> None:
        percent = max(self.progress, min(99.0, float(percent)))  # 100 only once outputs are saved
        changed_phase = phase != self.phase
        self.progress, self.phase = percent, phase
        now = time.monotonic()
        if changed_phase or now - self._persisted_at >= PERSIST_EVERY_S:
            VideoJob.objects.filter(pk=self.job.pk).update(progress=int(percent), phase=phase)
            self._persisted_at = now
        if changed_phase or now - self._sent_at >= SEND_EVERY_S:
            self._sent_at = now
            publish(self.job.pk, {"type": "progress", "job": self.job.pk, "progress": int(percent), "phase": phase,
                                  "status": self.job.status, "active": True, "error": "", "sent_at": time.time()})

    def should_cancel(self) -> bool:
        now = time.monotonic()
        if not self._cancelled and now - self._cancel_checked_at >= CANCEL_CHECK_EVERY_S:
            self._cancel_checked_at = now
            self._cancelled = VideoJob.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
        return self._cancelled
