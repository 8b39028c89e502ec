"""Liveness of the pieces Kolony depends on, for ``GET /healthz``."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any driver error means "down"
        connection.close_if_unusable_or_obsolete()
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:300]}


def _redis_and_queues() -> tuple[dict, dict, int | None]:
    import django_rq
    from rq import Worker

    try:
        conn = django_rq.get_connection("default")
        conn.ping()
    except Exception as exc:  # noqa: BLE001 - any error reaching Redis means "down"
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}, {}, None
    queues = {name: django_rq.get_queue(name).count for name in settings.RQ_QUEUES}
    workers = len(Worker.all(connection=conn))
    return {"ok": True}, queues, workers


def _outbox(database_ok: bool) -> dict | None:
    """Jobs saved but not yet in Redis: {"pending": n, "oldest_seconds": age of the oldest} (None
    without a database)."""
    if not database_ok:
        return None
    from django.db import DatabaseError
    from django.db.models import Count, Min
    from django.utils import timezone

    from kolony.outbox.models import OutboxMessage, OutboxStatus

    try:
        stats = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).aggregate(oldest=Min("created_at"), pending=Count("id"))
    except DatabaseError:
        return None
    pending, oldest = stats["pending"], stats["oldest"]
    return {"pending": pending, "oldest_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else None}


def health_report() -> tuple[bool, dict]:
    """Returns (healthy, report). ``report`` = {"status", "database", "redis", "queues": {name: depth},
    "workers": live RQ worker count, "outbox": {"pending", "oldest_seconds"} (jobs waiting for
    Redis; None without a database), "failing": [names of failing parts]}."""
    database = _database()
    redis, queues, workers = _redis_and_queues()
    failing = [name for name, part in (("database", database), ("redis", redis)) if not part["ok"]]
    report = {
        "status": "ok" if not failing else "unavailable",
        "database": database,
        "redis": redis,
        "queues": queues,
        "workers": workers,
        "outbox": _outbox(database["ok"]),
        "failing": failing,
    }
    return not failing, report
