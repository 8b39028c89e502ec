"""RQ tasks of publishing and of the insights sync (thin: the work is in the services).

Enqueued only through :func:`kolony.outbox.services.enqueue_on_commit`."""

from __future__ import annotations


def sync_connection_insights(connection_id: int, trigger: str = "schedule", run_id: int | None = None) -> dict:
    """One insights sync of a platform connection (:func:`campaigns.platforms.insights.insights_sync_job`);
    raises after a failed sync so RQ's ``Retry`` runs it again."""
    from .insights import insights_sync_job

    return insights_sync_job(connection_id=connection_id, trigger=trigger, run_id=run_id)
