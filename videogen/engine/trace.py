"""The job trace: one JSON document per render saying what ran, when, with which backend,
what was retried or fell back and why, what came out, and what it cost."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timezone


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Trace:
    """Collects stages (``with trace.stage("voice", backend="espeak-ng") as st: st["notes"].append(...)``),
    fallbacks and outputs; :meth:`to_dict` is JSON-ready."""

    def __init__(self, **job):
        self.job = job
        self.stages: list[dict] = []
        self.fallbacks: list[dict] = []
        self.outputs: dict = {}
        self.started = time.monotonic()
        self.started_at = _now()
        self.extra: dict = {}

    @contextmanager
    def stage(self, name: str, **info):
        st = {"name": name, "started_at": _now(), "ended_at": None, "seconds": None, "status": "running",
              "backend": None, "retries": 0, "notes": [], **info}
        self.stages.append(st)
        t0 = time.monotonic()
        try:
            yield st
            st["status"] = "ok"
        except BaseException as exc:
            st["status"] = "cancelled" if exc.__class__.__name__ == "RenderCancelled" else "failed"
            st["error"] = f"{exc.__class__.__name__}: {exc}"[:500]
            raise
        finally:
            st["ended_at"] = _now()
            st["seconds"] = round(time.monotonic() - t0, 3)

    def fallback(self, stage: str, from_: str, to: str, reason: str) -> None:
        self.fallbacks.append({"stage": stage, "from": from_, "to": to, "reason": reason})

    @property
    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def to_dict(self) -> dict:
        return {"job": self.job, "started_at": self.started_at, "stages": self.stages, "fallbacks": self.fallbacks,
                "outputs": self.outputs, **self.extra, "generation_time_seconds": self.elapsed}
