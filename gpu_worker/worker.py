"""``python -m gpu_worker``: an RQ worker on the queue ``gpu`` that keeps its models resident.

Why ``SimpleWorker``: RQ's default ``Worker`` forks a fresh work-horse process for every job, so whatever a
job loads dies with it — a 10–40 GB video pipeline would be read from disk and moved to the GPU again for
every scene (tens of seconds to minutes), and a forked child cannot safely reuse the parent's CUDA context
anyway. ``SimpleWorker`` runs each job in the worker process itself, so the ModelManager's pipelines stay
loaded between jobs. The price — a crash in a job takes the worker down — is what a process supervisor
(systemd ``Restart=always``) is for; RQ's job timeout (spec.limits.rq_timeout()) still applies, and the task's
own timeout stops it cleanly at a step boundary before that.

A heartbeat thread announces the worker (contract.WorkerAnnouncement: models present, voices, VRAM, busy
task) every HEARTBEAT_EVERY_S seconds under ``kolony:gpu:worker:<name>`` (TTL HEARTBEAT_TTL_S) and removes it
on a clean exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

from . import contract as c
from .jobs import Runtime, configure

log = logging.getLogger("gpu_worker")


def announcement(rt: Runtime) -> c.WorkerAnnouncement:
    reading = rt.manager.memory_reader(rt.settings.device)
    voices: list[str] = []
    if "kokoro-82m" in rt.manager.installed():
        from .backends.speech import kokoro_available, kokoro_voices

        if kokoro_available() is None:
            voices = kokoro_voices(rt.manager.directory("kokoro-82m"))
    models = rt.manager.describe()
    if voices == [] and any(m.kind == "tts" for m in models):
        models = [m for m in models if m.kind != "tts"]  # weights without the package: not usable
    return c.WorkerAnnouncement(
        name=rt.settings.worker_name, host=socket.gethostname(), pid=os.getpid(),
        device=f"{reading.device} {reading.name}".strip(), vram_total_gb=round(reading.total_gb, 2),
        vram_free_gb=round(reading.free_gb, 2), models=models, voices=voices, busy_task=rt.busy_task,
        started_at=rt.started_at, last_seen=time.time())


def announce(rt: Runtime, redis: Any) -> c.WorkerAnnouncement:
    ann = announcement(rt)
    pipe = redis.pipeline()
    pipe.set(c.worker_key(ann.name), ann.model_dump_json(), ex=c.HEARTBEAT_TTL_S)
    pipe.zadd(c.WORKERS_ZSET, {ann.name: ann.last_seen})
    pipe.zremrangebyscore(c.WORKERS_ZSET, 0, ann.last_seen - 24 * 3600)
    pipe.execute()
    return ann


def withdraw(rt: Runtime, redis: Any) -> None:
    redis.delete(c.worker_key(rt.settings.worker_name))
    redis.zrem(c.WORKERS_ZSET, rt.settings.worker_name)


class Heartbeat(threading.Thread):
    def __init__(self, rt: Runtime, redis: Any, every_s: float = c.HEARTBEAT_EVERY_S):
        super().__init__(name="gpu-heartbeat", daemon=True)
        self.rt, self.redis, self.every_s = rt, redis, every_s
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                announce(self.rt, self.redis)
            except Exception as exc:  # noqa: BLE001 - Redis down: try again next beat
                log.warning("heartbeat not sent: %s", exc)
            self.stop_event.wait(self.every_s)

    def stop(self) -> None:
        self.stop_event.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gpu_worker", description="Kolony GPU worker (RQ queue 'gpu').")
    parser.add_argument("--burst", action="store_true", help="run the jobs waiting now, then exit")
    parser.add_argument("--check", action="store_true", help="print the announcement (models, device) and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("KOLONY_GPU_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from rq import SimpleWorker

    try:
        rt = Runtime.from_env()
    except ValueError as exc:
        print(f"gpu_worker: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(announcement(rt).model_dump_json(indent=1))
        return 0
    redis = rt.redis
    configure(rt)
    ann = announce(rt, redis)
    log.info("GPU worker %s on %s: models %s; storage %s", ann.name, ann.device, [m.id for m in ann.models] or "none",
             rt.storage.describe())
    beat = Heartbeat(rt, redis)
    beat.start()
    worker = SimpleWorker([c.GPU_QUEUE], connection=redis, name=rt.settings.worker_name)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        worker.work(burst=args.burst, with_scheduler=False, logging_level=os.environ.get("KOLONY_GPU_LOG_LEVEL", "INFO"))
    finally:
        beat.stop()
        signal.signal(signal.SIGTERM, previous)
        try:
            withdraw(rt, redis)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not withdraw the announcement: %s", exc)
    return 0
