"""An in-process stand-in for the GPU worker (tests only): speaks the real contract
(:mod:`gpu_worker.contract`) — a heartbeat in Redis, ``generate_clip`` specs taken from the RQ queue
``gpu``, the clip written to object storage at ``spec.output_key``, the result document in Redis —
but paints a solid-colour clip with FFmpeg instead of running a diffusion model, and can be told to
fail the way a real worker does (``oom``, ``failed``, ``missing_model``, or ``silent``: never
answers, so the render times out).

Use it by replacing ``videogen.generation._sleep`` with :meth:`FakeGpuWorker.serve` so each wait of
the render worker lets the fake work the queue (the render and the "GPU" share one thread)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from gpu_worker.contract import (
    GPU_QUEUE,
    HEARTBEAT_TTL_S,
    WORKERS_ZSET,
    ClipOutput,
    ErrorKind,
    GpuResult,
    ModelInfo,
    ModelUsed,
    WorkerAnnouncement,
    parse_task,
    result_redis_key,
    worker_key,
)
from videogen.engine.render.ffmpeg import ffmpeg_exe

#: The clip's colour (RGB): pure magenta, which no template scene of the engine paints.
CLIP_RGB = (255, 0, 255)
GPU_SECONDS = 12.5


def announce(redis, name: str = "fake-gpu", models: tuple[str, ...] = ("ltx-video",), *, age_s: float = 0.0) -> None:
    """Writes a worker heartbeat ``age_s`` seconds old (older than HEARTBEAT_TTL_S: a dead worker)."""
    now = time.time() - age_s
    ann = WorkerAnnouncement(name=name, host="test-host", pid=os.getpid(), device="cpu",
                             models=[ModelInfo(id=m, kind="clip", path=f"/models/{m}") for m in models],
                             started_at=now, last_seen=now)
    redis.set(worker_key(name), ann.model_dump_json(), ex=HEARTBEAT_TTL_S * 4)
    redis.zadd(WORKERS_ZSET, {name: now})


class FakeGpuWorker:
    """``behaviour``: "ok" | "oom" | "failed" | "missing_model" | "silent". ``specs`` collects every
    spec served, in order."""

    def __init__(self, redis, behaviour: str = "ok"):
        self.redis = redis
        self.behaviour = behaviour
        self.specs: list = []

    def serve(self, _seconds: float = 0.0) -> None:
        """Sends what the outbox holds to RQ (a test's transaction never commits) and runs every
        queued ``gpu`` job."""
        import django_rq

        from kolony.outbox.services import outbox_drain

        outbox_drain()
        queue = django_rq.get_queue(GPU_QUEUE)
        for job in queue.get_jobs():
            queue.remove(job)
            spec = parse_task(job.args[0])
            self.specs.append(spec)
            self._run(spec)

    def _run(self, spec) -> None:
        if self.behaviour == "silent":
            return
        base = {"task_id": spec.task_id, "kind": spec.kind, "labels": spec.labels, "worker": "fake-gpu", "device": "cpu"}
        if self.behaviour != "ok":
            messages = {"oom": "CUDA out of memory. Tried to allocate 2.00 GiB",
                        "failed": "RuntimeError: the denoiser produced NaNs",
                        "missing_model": "model 'ltx-video' not found: expected its weights in /models/ltx-video"}
            result = GpuResult(**base, ok=False, error_kind=ErrorKind(self.behaviour), error=messages[self.behaviour], gpu_seconds=1.0)
        else:
            seconds = spec.num_frames / spec.fps
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "clip.mp4"
                color = "0x{:02X}{:02X}{:02X}".format(*CLIP_RGB)
                subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",  # noqa: S603 - fixed argument list
                                f"color=c={color}:s={spec.width}x{spec.height}:r={spec.fps}:d={seconds:.3f}",
                                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-frames:v", str(spec.num_frames), str(path)],
                               check=True)
                with open(path, "rb") as fh:
                    key = default_storage.save(spec.output_key, File(fh))
            result = GpuResult(**base, ok=True, gpu_seconds=GPU_SECONDS, seconds=GPU_SECONDS + 1,
                               model=ModelUsed(id="ltx-video", pipeline="LTXImageToVideoPipeline" if spec.first_frame_key
                                               else "LTXPipeline"),
                               clip=ClipOutput(video_key=key, width=spec.width, height=spec.height, num_frames=spec.num_frames,
                                               fps=spec.fps, seed=spec.seed, prompt_adherence=0.31))
        self.redis.set(result_redis_key(spec.task_id), result.model_dump_json(), ex=3600)
