"""The one way to start a background job: :func:`enqueue_on_commit`.

A job is first an :class:`~kolony.outbox.models.OutboxMessage` row, written in the caller's
database transaction, so it exists exactly when the change that needs it committed. Right after
the commit it is sent to RQ (:func:`outbox_drain`); if Redis is down then, or the process dies
between the commit and the send, the row stays ``pending`` and the periodic sweep
(:func:`kolony.outbox.sweep.sweep_once`, run by every Kolony RQ worker every few seconds and by
``manage.py outbox_sweep``) sends it once Redis answers again. Each row carries a fixed RQ job id
and is sent with RQ's ``unique`` enqueue under a row lock, so however many processes drain at once
and however often, a row becomes at most one RQ job.
"""

from __future__ import annotations

import json
import logging
import secrets

from django.db import transaction
from django.utils import timezone

from kolony.core.rediscache import REDIS_DOWN_ERRORS

from .models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

#: Seconds the "this row was sent" marker stays in Redis (longer than any job's result).
SENT_MARKER_TTL_S = 8 * 24 * 3600


def _marker_key(rq_job_id: str) -> str:
    return f"kolony:outbox:sent:{rq_job_id}"


def enqueue_on_commit(queue: str, func: str, *args, kwargs: dict | None = None, job_id: str | None = None,
                      job_timeout: int | None = None, retry: int = 0, retry_intervals: list[int] | None = None,
                      on_failure: str | None = None, on_success: str | None = None, result_ttl: int | None = None,
                      failure_ttl: int | None = None, description: str | None = None) -> OutboxMessage:
    """Queues ``func`` (a dotted path, e.g. ``"videogen.tasks.render_video_job"``) with JSON-able
    ``args``/``kwargs`` on the RQ queue ``queue`` once the current transaction commits (at once
    outside one), surviving a Redis outage and a crash after the commit.

    Options as RQ's: ``job_timeout``/``result_ttl``/``failure_ttl`` in seconds, ``retry`` retries
    (``retry_intervals`` seconds between them), ``on_failure``/``on_success`` dotted callback paths.
    ``job_id`` is the RQ job id (default ``outbox-<random>``); it must be new.

    Returns the saved row (status ``pending`` until sent). Raises ``ValueError`` for an unknown
    queue, ``TypeError`` for arguments that are not JSON-able; never a Redis error.
    """
    from django.conf import settings

    if queue not in settings.RQ_QUEUES:
        raise ValueError(f"Unknown RQ queue {queue!r}; configured: {', '.join(settings.RQ_QUEUES)}.")
    options = {"job_timeout": job_timeout, "retry": retry or None, "retry_intervals": retry_intervals,
               "on_failure": on_failure, "on_success": on_success, "result_ttl": result_ttl, "failure_ttl": failure_ttl,
               "description": description}
    row = OutboxMessage(queue=queue, func=func, args=list(args), kwargs=dict(kwargs or {}),
                        options={k: v for k, v in options.items() if v is not None},
                        rq_job_id=job_id or f"outbox-{secrets.token_hex(8)}")
    json.dumps([row.args, row.kwargs])  # TypeError now, not in the worker
    with transaction.atomic():
        row.save()
        transaction.on_commit(lambda: drain_quietly(ids=[row.pk]))
    return row


def drain_quietly(*, ids: list[int] | None = None) -> int:
    """:func:`outbox_drain` that never raises (for on-commit hooks and sweeps); returns rows sent."""
    try:
        return outbox_drain(ids=ids)
    except Exception:  # noqa: BLE001 - the sweep retries whatever this left pending
        log.exception("outbox drain failed; the sweep will retry")
        return 0


def outbox_drain(*, ids: list[int] | None = None, limit: int = 200) -> int:
    """Sends pending rows (those in ``ids``, else all, oldest first, ``limit`` per batch) to RQ and
    marks them sent. Rows another process is sending right now are skipped. Stops at the first
    Redis connection error, recording it on the row (``attempts``, ``last_error``); the rows stay
    pending. Returns the number of rows sent. Database errors propagate."""
    sent = 0
    while True:
        with transaction.atomic():
            rows = OutboxMessage.objects.select_for_update(skip_locked=True).filter(status=OutboxStatus.PENDING)
            if ids is not None:
                rows = rows.filter(pk__in=ids)
            batch = list(rows.order_by("id")[:limit])
            for row in batch:
                try:
                    _send(row)
                except REDIS_DOWN_ERRORS as exc:
                    row.attempts += 1
                    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    row.save(update_fields=["attempts", "last_error"])
                    log.warning("outbox: Redis unreachable, %s stays pending: %s", row.rq_job_id, exc)
                    return sent
                row.status, row.sent_at, row.last_error = OutboxStatus.SENT, timezone.now(), ""
                row.save(update_fields=["status", "sent_at", "last_error"])
                sent += 1
        if ids is not None or len(batch) < limit:
            return sent


def _send(row: OutboxMessage) -> None:
    """Creates the row's RQ job unless it exists (or existed: the sent marker)."""
    import django_rq
    from rq import Retry
    from rq.exceptions import DuplicateJobError
    from rq.job import Callback

    conn = django_rq.get_connection(row.queue)
    marker = _marker_key(row.rq_job_id)
    if conn.exists(marker):
        return
    opts = row.options or {}
    retry = Retry(max=opts["retry"], interval=opts.get("retry_intervals") or 0) if opts.get("retry") else None
    queue = django_rq.get_queue(row.queue, commit_mode="auto")
    try:
        queue.enqueue_call(
            func=row.func, args=tuple(row.args), kwargs=row.kwargs, job_id=row.rq_job_id, unique=True,
            timeout=opts.get("job_timeout"), result_ttl=opts.get("result_ttl"), failure_ttl=opts.get("failure_ttl"),
            description=opts.get("description"), retry=retry,
            on_failure=Callback(opts["on_failure"]) if opts.get("on_failure") else None,
            on_success=Callback(opts["on_success"]) if opts.get("on_success") else None,
        )
    except DuplicateJobError:
        log.info("outbox: %s was already sent", row.rq_job_id)
    conn.set(marker, row.pk, ex=SENT_MARKER_TTL_S)


def outbox_cancel(*, rq_job_ids: list[str]) -> int:
    """Marks the still-pending rows of ``rq_job_ids`` cancelled (they will never be sent); returns
    how many. Call it inside the transaction that cancels what they were for."""
    return OutboxMessage.objects.filter(rq_job_id__in=rq_job_ids, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.CANCELLED)


def outbox_pending(*, rq_job_ids: list[str]) -> bool:
    """Whether any of ``rq_job_ids`` is still waiting in the outbox (not yet in Redis)."""
    return OutboxMessage.objects.filter(rq_job_id__in=rq_job_ids, status=OutboxStatus.PENDING).exists()


def outbox_purge(*, older_than_days: int = 7) -> int:
    """Deletes sent and cancelled rows created more than ``older_than_days`` days ago (pending rows
    are kept whatever their age); returns how many were deleted."""
    from datetime import timedelta

    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = OutboxMessage.objects.filter(status__in=[OutboxStatus.SENT, OutboxStatus.CANCELLED],
                                              created_at__lt=cutoff).delete()
    return deleted
