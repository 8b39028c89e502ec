"""The periodic sweep that makes background jobs survive Redis outages and dead workers.

:func:`sweep_once` (every :data:`SWEEP_INTERVAL_S` seconds, run by each Kolony RQ worker between
jobs — :class:`kolony.outbox.worker.KolonyWorker` — and by ``manage.py outbox_sweep``):

1. sends the outbox's pending rows to RQ (:func:`kolony.outbox.services.outbox_drain`) and, about
   hourly, deletes rows sent more than a week ago;
2. reaps jobs whose worker died: Kolony workers renew a started job's entry in RQ's
   ``StartedJobRegistry`` every :data:`~kolony.outbox.worker.JOB_MONITORING_INTERVAL_S` seconds
   with a :data:`~kolony.outbox.worker.HEARTBEAT_TTL_S`-second lease; an entry whose lease ran
   out belongs to a worker that was killed together with its work horse. RQ's
   ``StartedJobRegistry.cleanup()`` then runs the job's ``on_failure`` callback (with
   ``AbandonedJobError``) and re-queues it while it has retries left, else moves it to the
   failed registry. One process reaps at a time (a short Redis lock).

A dead worker's job is thus noticed within ``HEARTBEAT_TTL_S + SWEEP_INTERVAL_S`` seconds (plus
the worker's wake-up interval) — under a minute — as long as some Kolony worker or sweeper runs.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from kolony.core.rediscache import REDIS_DOWN_ERRORS

from .services import drain_quietly, outbox_purge

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 10
PURGE_EVERY_S = 3600  # sent rows older than a week are deleted about hourly (per sweeping process)
_purged_at = [0.0]
GRACE_SWEEP_EVERY_S = 300  # accounts whose payment grace period ended are downgraded within ~5 min
_grace_swept_at = [0.0]
INSIGHTS_SCHEDULE_EVERY_S = 300  # each connection's hourly insights sync is queued within ~5 min of the hour
_insights_scheduled_at = [0.0]
_REAP_LOCK = "kolony:sweep:reap-lock"


def reap_dead_jobs(connection=None) -> int:
    """Runs RQ's abandoned-job handling on every configured queue's started registry, at most once
    at a time across processes. Returns how many queues were checked (0 when another process
    holds the lock). Raises redis errors."""
    import django_rq
    from rq.registry import StartedJobRegistry

    conn = connection or django_rq.get_connection("default")
    if not conn.set(_REAP_LOCK, 1, nx=True, ex=max(SWEEP_INTERVAL_S - 1, 1)):
        return 0
    checked = 0
    try:
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name, commit_mode="auto")
            StartedJobRegistry(queue=queue).cleanup()
            checked += 1
    finally:
        conn.delete(_REAP_LOCK)
    return checked


def _billing_grace_sweep_quietly() -> None:
    """Billing's timed duty (downgrade after an unpaid grace period) rides on the sweep every
    worker and ``outbox_sweep --loop`` already run; a failure is logged, never fatal."""
    from billing.services.grace import billing_grace_sweep

    try:
        billing_grace_sweep()
    except Exception:  # the sweep must keep sweeping the outbox whatever billing does
        log.exception("sweep: billing grace sweep failed")


def _insights_schedule_quietly() -> None:
    """The hourly insights sync of every active platform connection rides on the sweep too
    (:func:`campaigns.platforms.insights.insights_schedule_due`, idempotent per hour); a failure
    is logged, never fatal."""
    from campaigns.platforms.insights import insights_schedule_due

    try:
        insights_schedule_due()
    except Exception:  # the sweep must keep sweeping the outbox whatever the schedule does
        log.exception("sweep: insights schedule failed")


def sweep_once(connection=None) -> dict:
    """One sweep: ``{"sent": outbox rows sent, "queues_checked": n, "redis": "ok"|error text}``.
    Never raises for a Redis outage (the next sweep tries again)."""
    from django.db import close_old_connections

    close_old_connections()
    sent = drain_quietly()
    if time.monotonic() - _purged_at[0] >= PURGE_EVERY_S:
        _purged_at[0] = time.monotonic()
        outbox_purge()
    if time.monotonic() - _grace_swept_at[0] >= GRACE_SWEEP_EVERY_S:
        _grace_swept_at[0] = time.monotonic()
        _billing_grace_sweep_quietly()
    if time.monotonic() - _insights_scheduled_at[0] >= INSIGHTS_SCHEDULE_EVERY_S:
        _insights_scheduled_at[0] = time.monotonic()
        _insights_schedule_quietly()
    try:
        checked = reap_dead_jobs(connection)
    except REDIS_DOWN_ERRORS as exc:
        log.warning("sweep: Redis unreachable: %s", exc)
        return {"sent": sent, "queues_checked": 0, "redis": f"{type(exc).__name__}: {exc}"}
    return {"sent": sent, "queues_checked": checked, "redis": "ok"}
