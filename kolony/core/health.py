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
    except Exception as exc:  # any driver error means "down"
        connection.close_if_unusable_or_obsolete()
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:300]}


def _redis_and_queues() -> tuple[dict, dict, int | None]:
    import django_rq
    from rq import Worker

    try:
        conn = django_rq.get_connection("default")
        conn.ping()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}, {}, None
    queues = {name: django_rq.get_queue(name).count for name in settings.RQ_QUEUES}
    workers = len(Worker.all(connection=conn))
    return {"ok": True}, queues, workers


def health_report() -> tuple[bool, dict]:
    """Returns (healthy, report). ``report`` = {"status", "database", "redis", "queues": {name: depth},
    "workers": live RQ worker count, "failing": [names of failing parts]}."""
    database = _database()
    redis, queues, workers = _redis_and_queues()
    failing = [name for name, part in (("database", database), ("redis", redis)) if not part["ok"]]
    report = {
        "status": "ok" if not failing else "unavailable",
        "database": database,
        "redis": redis,
        "queues": queues,
        "workers": workers,
        "failing": failing,
    }
    return not failing, report
