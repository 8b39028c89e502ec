"""Worker settings, all from environment variables (the worker has no Django settings). No torch import.

| variable | default | what |
| --- | --- | --- |
| REDIS_URL | redis://127.0.0.1:6379/0 | the app's Redis (RQ queue ``gpu``, heartbeat, cancel, results, channel layer) |
| KOLONY_CHANNEL_PREFIX | kolony | the channels_redis prefix the Studio uses |
| KOLONY_MODELS_DIR | var/models | weights (see gpu_worker/catalog.py); never downloaded |
| KOLONY_GPU_WORKER_NAME | gpu-<host>-<pid> | the name announced in the heartbeat |
| KOLONY_GPU_DEVICE | auto | ``auto`` (cuda if available, else cpu), ``cuda``, ``cuda:1``, ``cpu`` |
| KOLONY_GPU_ATTENTION | auto | diffusers attention backend: ``auto`` (flash-attn 3 → flash-attn 2 → sage → |
|   |   | native SDPA, by what is installed), a name from diffusers' AttentionBackendName, or ``off`` |
| KOLONY_GPU_COMPILE | 0 | 1: regional ``torch.compile`` of the transformer's repeated blocks (``compile_repeated_blocks``) |
| KOLONY_GPU_FP8 | auto | FP8 layerwise casting of the transformer weights: ``auto`` (only when the memory plan needs it), ``on``, ``off`` |
| KOLONY_GPU_CACHE | off | step cache hook: ``off``, ``fbc`` (First Block Cache), ``magcache`` (needs KOLONY_GPU_MAG_RATIOS) |
| KOLONY_GPU_CACHE_THRESHOLD | 0.05 (fbc) / 0.06 (magcache) | the cache's threshold |
| KOLONY_GPU_MAG_RATIOS | (none) | comma-separated MagCache ratios calibrated for the model |
| KOLONY_GPU_VRAM_HEADROOM_GB | 2.0 | memory the planner keeps free for activations beyond its estimate |
| KOLONY_GPU_MAX_SEQUENCE_LENGTH | 0 | text-encoder tokens (0: each pipeline's default: LTX 128, Wan 512) |
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class WorkerSettings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    channel_prefix: str = "kolony"
    worker_name: str = field(default_factory=lambda: f"gpu-{socket.gethostname()}-{os.getpid()}")
    device: str = "auto"
    attention: str = "auto"
    compile: bool = False
    fp8: str = "auto"
    cache: str = "off"
    cache_threshold: float | None = None
    mag_ratios: list[float] | None = None
    vram_headroom_gb: float = 2.0
    max_sequence_length: int = 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WorkerSettings:
        """Reads the table above; raises ValueError naming the variable for a bad value."""
        env = os.environ if environ is None else environ
        s = cls()
        s.redis_url = env.get("REDIS_URL", s.redis_url)
        s.channel_prefix = env.get("KOLONY_CHANNEL_PREFIX", s.channel_prefix)
        s.worker_name = env.get("KOLONY_GPU_WORKER_NAME") or s.worker_name
        s.device = env.get("KOLONY_GPU_DEVICE", s.device).strip().lower() or "auto"
        s.attention = env.get("KOLONY_GPU_ATTENTION", s.attention).strip() or "auto"
        s.compile = _flag(env.get("KOLONY_GPU_COMPILE", "0"))
        s.fp8 = env.get("KOLONY_GPU_FP8", s.fp8).strip().lower()
        if s.fp8 not in ("auto", "on", "off"):
            raise ValueError(f"KOLONY_GPU_FP8 must be auto, on or off (got {s.fp8!r})")
        s.cache = env.get("KOLONY_GPU_CACHE", s.cache).strip().lower()
        if s.cache not in ("off", "fbc", "magcache"):
            raise ValueError(f"KOLONY_GPU_CACHE must be off, fbc or magcache (got {s.cache!r})")
        try:
            if env.get("KOLONY_GPU_CACHE_THRESHOLD"):
                s.cache_threshold = float(env["KOLONY_GPU_CACHE_THRESHOLD"])
            if env.get("KOLONY_GPU_MAG_RATIOS"):
                s.mag_ratios = [float(x) for x in env["KOLONY_GPU_MAG_RATIOS"].split(",") if x.strip()]
            s.vram_headroom_gb = float(env.get("KOLONY_GPU_VRAM_HEADROOM_GB", s.vram_headroom_gb))
            s.max_sequence_length = int(env.get("KOLONY_GPU_MAX_SEQUENCE_LENGTH", "0"))
        except ValueError as exc:
            raise ValueError(f"a KOLONY_GPU_* number is not a number: {exc}") from exc
        return s
