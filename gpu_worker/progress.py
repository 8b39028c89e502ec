"""Live progress to the Studio's channel layer, written in channels_redis' own Redis format (channels_redis
4.x ``RedisChannelLayer.group_send``) with a plain synchronous redis-py client — channels' layer classes import
Django settings, and the GPU worker never imports Django.

What ``group_send(group, message)`` does there, and so here (single Redis host, no encryption — the Studio's
CHANNEL_LAYERS in kolony/settings.py):

1. the group's channels are the members of the sorted set ``{prefix}:group:{group}`` (scored by join time;
   members older than group_expiry = 86400 s are dropped);
2. for each channel the message dict gets ``__asgi_channel__: [channel]``, is msgpack-packed behind a 12-byte
   random prefix (``random_prefix_length=12``) and ZADDed (score = now) to the key ``{prefix}{channel}``
   (for a process-local name ``a.b!c`` the key is ``{prefix}a.b!``), which then expires after 60 s; a channel
   already holding ``capacity`` (100) messages is skipped.

The Studio's consumer (``OrgSocket`` group member) receives ``{"type": "job.progress", "message": {...}}``
exactly as from videogen/progress.py. A test checks the round trip with channels_redis' own receive.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import msgpack  # type: ignore[import-untyped]

from .contract import ProgressTarget, task_group

log = logging.getLogger(__name__)

GROUP_EXPIRY_S = 86400
MESSAGE_EXPIRY_S = 60
CAPACITY = 100
RANDOM_PREFIX_LENGTH = 12
SEND_EVERY_S = 0.1


class ChannelLayerPublisher:
    """``group_send`` into a channels_redis layer (see the module docstring). Redis errors are logged, never
    raised: live progress is best-effort, the result document is what counts."""

    def __init__(self, redis: Any, prefix: str = "asgi"):
        self.redis = redis
        self.prefix = prefix

    def group_send(self, group: str, message: dict[str, Any]) -> int:
        """Sends to every channel in ``group``; returns how many channels got it."""
        try:
            key = f"{self.prefix}:group:{group}"
            now = time.time()
            self.redis.zremrangebyscore(key, 0, int(now) - GROUP_EXPIRY_S)
            channels = [c.decode() if isinstance(c, bytes) else c for c in self.redis.zrange(key, 0, -1)]
            by_key: dict[str, list[str]] = {}
            for ch in channels:
                non_local = ch[: ch.find("!") + 1] if "!" in ch else ch
                by_key.setdefault(self.prefix + non_local, []).append(ch)
            sent = 0
            pipe = self.redis.pipeline()
            for ckey in by_key:
                pipe.zremrangebyscore(ckey, 0, int(now) - MESSAGE_EXPIRY_S)
                pipe.zcount(ckey, "-inf", "+inf")
            counts = pipe.execute()[1::2]
            pipe = self.redis.pipeline()
            for (ckey, names), count in zip(by_key.items(), counts, strict=True):
                if count >= CAPACITY:
                    continue
                body = msgpack.packb({**message, "__asgi_channel__": names})
                pipe.zadd(ckey, {os.urandom(RANDOM_PREFIX_LENGTH) + body: now})
                pipe.expire(ckey, MESSAGE_EXPIRY_S)
                sent += len(names)
            pipe.execute()
            return sent
        except Exception as exc:  # noqa: BLE001 - progress is best-effort (Redis down, bad group)
            log.warning("GPU progress not sent to %s: %s", group, exc)
            return 0


# Share of a clip task's bar per phase (the denoise share is spread over the steps of every attempt).
CLIP_PHASE_SPAN = {"load": (0.0, 0.05), "text_encode": (0.05, 0.10), "denoise": (0.10, 0.85),
                   "vae_decode": (0.85, 0.93), "mp4_encode": (0.93, 0.96), "score": (0.96, 0.98), "upload": (0.98, 1.0)}
OTHER_PHASE_SPAN = {"load": (0.0, 0.2), "synthesize": (0.2, 0.9), "transcribe": (0.2, 0.9), "score": (0.2, 0.9),
                    "upload": (0.9, 1.0)}

PHASE_TEXT = {"load": "loading the model", "text_encode": "reading the prompt", "denoise": "denoise step",
              "vae_decode": "decoding frames", "mp4_encode": "encoding MP4", "score": "CLIP check",
              "upload": "saving", "synthesize": "speaking", "transcribe": "transcribing"}


class TaskProgress:
    """Progress of one task: ``phase(name, step=None, steps=None)`` maps it to the job's bar (never backwards)
    and sends at most every SEND_EVERY_S (always on a phase change) to the spec's group and task_group."""

    def __init__(self, publisher: ChannelLayerPublisher | None, task_id: str, kind: str, target: ProgressTarget | None,
                 attempts: int = 1):
        self.publisher = publisher
        self.task_id = task_id
        self.kind = kind
        self.target = target
        self.attempts = max(1, attempts)
        self.attempt = 0
        self.fraction = 0.0
        self.current = ""
        self._sent_at = 0.0
        self.sent: list[dict[str, Any]] = []  # kept for tests and the trace (last 200)

    def phase(self, name: str, step: int | None = None, steps: int | None = None) -> None:
        spans = CLIP_PHASE_SPAN if self.kind == "generate_clip" else OTHER_PHASE_SPAN
        lo, hi = spans.get(name, (self.fraction, self.fraction))
        if name == "denoise" and steps:
            width = (hi - lo) / self.attempts
            lo = lo + width * self.attempt
            frac = lo + width * ((step or 0) / steps)
        else:
            frac = lo
        changed = name != self.current
        self.current = name
        self.fraction = max(self.fraction, min(1.0, frac))
        now = time.monotonic()
        if not changed and now - self._sent_at < SEND_EVERY_S and not (steps and step == steps):
            return
        self._sent_at = now
        self._send(name, step, steps)

    def _send(self, name: str, step: int | None, steps: int | None) -> None:
        label = PHASE_TEXT.get(name, name)
        if name == "denoise" and steps:
            label = f"{label} {step}/{steps}" + (f" (attempt {self.attempt + 1})" if self.attempt else "")
        t = self.target
        percent = self.fraction * 100 if t is None else t.start_percent + (t.end_percent - t.start_percent) * self.fraction
        message = {"type": "progress", "job": t.job_id if t else None, "progress": int(percent),
                   "phase": f"{t.phase_label}: {label}" if t else label, "status": "running", "active": True,
                   "error": "", "sent_at": time.time(),
                   "gpu": {"task_id": self.task_id, "kind": self.kind, "phase": name, "step": step, "steps": steps,
                           "fraction": round(self.fraction, 4)}}
        self.sent = [*self.sent[-199:], message]
        if self.publisher is None:
            return
        event = {"type": "job.progress", "message": message}
        if t is not None:
            self.publisher.group_send(t.group, event)
        self.publisher.group_send(task_group(self.task_id), event)
