"""Kolony's RQ worker class (``settings.RQ["WORKER_CLASS"]``, so ``manage.py rqworker`` uses it).

Differences from ``rq.Worker``, all for noticing dead workers within a minute:

- a started job's lease in ``StartedJobRegistry`` is renewed every
  :data:`JOB_MONITORING_INTERVAL_S` seconds for :data:`HEARTBEAT_TTL_S` seconds (RQ: every 30 s
  for 90 s), so a job whose worker and work horse were both SIGKILLed expires quickly;
- while idle it wakes every :data:`IDLE_WAKE_S` seconds (RQ: 405 s) and runs
  :func:`kolony.outbox.sweep.sweep_once` every :data:`~kolony.outbox.sweep.SWEEP_INTERVAL_S`
  seconds: sends the outbox's pending jobs and reaps jobs of dead workers — once at startup too.
"""

from __future__ import annotations

import logging

from rq import Worker

from .sweep import SWEEP_INTERVAL_S, sweep_once

log = logging.getLogger(__name__)

JOB_MONITORING_INTERVAL_S = 5
HEARTBEAT_TTL_S = 30
IDLE_WAKE_S = 5


class KolonyWorker(Worker):
    """``rq.Worker`` with short job leases and the outbox/dead-job sweep in its maintenance."""

    def __init__(self, *args, **kwargs):
        kwargs["worker_ttl"] = min(kwargs.get("worker_ttl") or 420, IDLE_WAKE_S + 15)  # dequeue_timeout = ttl - 15
        kwargs.setdefault("maintenance_interval", SWEEP_INTERVAL_S)
        kwargs.setdefault("job_monitoring_interval", JOB_MONITORING_INTERVAL_S)
        super().__init__(*args, **kwargs)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return min(super().get_heartbeat_ttl(job, working_time), HEARTBEAT_TTL_S)

    def run_maintenance_tasks(self):
        try:
            result = sweep_once(self.connection)
            if result["sent"]:
                log.info("outbox: sent %s pending job(s)", result["sent"])
        except Exception:  # noqa: BLE001 - a failed sweep must not stop the worker
            log.exception("sweep failed")
        super().run_maintenance_tasks()
