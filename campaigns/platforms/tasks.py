"""RQ jobs of the ``publish`` queue (thin: the work is in :mod:`campaigns.platforms.publishing`)."""

from __future__ import annotations


def run_publication(publication_id: int) -> str:
    """Runs or resumes one publication; see :func:`campaigns.platforms.publishing.run_publication`."""
    from .publishing import run_publication as run

    return run(int(publication_id))


def publication_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ ``on_failure`` callback: called on every failed run; once no RQ retry is left, the
    publication fails with the error (a throttle that never cleared, a crash)."""
    if int(getattr(job, "retries_left", 0) or 0) > 0:
        return  # RQ runs it again
    from .publishing import fail_interrupted

    reason = str(exc_value) or getattr(exc_type, "__name__", "error")
    fail_interrupted(int(job.args[0]), f"The publish job stopped: {reason}"[:1000])


def sync_connection_insights(connection_id: int, trigger: str = "schedule", run_id: int | None = None) -> dict:
    """One insights sync of a platform connection (queue ``default``; see
    :func:`campaigns.platforms.insights.insights_sync_job`); raises after a failed sync so RQ's
    ``Retry`` runs it again on the same run row."""
    from .insights import insights_sync_job

    return insights_sync_job(connection_id=connection_id, trigger=trigger, run_id=run_id)
