"""The tuned path: switches applied to a loaded video pipeline, each behind a setting (gpu_worker/settings.py)
so bench/gpu_pipeline.py can time them one by one and together. Every switch returns a label for the result's
``model.tuned`` or a warning saying why it was skipped; none raises for a missing optional library.

* attention backend — ``transformer.set_attention_backend(name)`` (diffusers' attention dispatcher):
  ``auto`` picks flash-attn 3 (``_flash_3``), flash-attn 2 (``flash``), SageAttention (``sage``) by which is
  importable, else PyTorch SDPA (``native``);
* regional compile — ``transformer.compile_repeated_blocks(fullgraph=True)``: compiles the one repeated
  transformer block class once instead of the whole model (diffusers' recommended torch.compile use; cold
  start seconds instead of minutes);
* FP8 — ``transformer.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=bf16)``
  (when the memory plan or KOLONY_GPU_FP8=on asks for it);
* step cache — ``transformer.enable_cache(FirstBlockCacheConfig(threshold))`` (First Block Cache: skip the
  remaining blocks when the first block's residual barely changed) or ``MagCacheConfig(mag_ratios=…)``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from .memory import MemoryPlan
from .settings import WorkerSettings


def pick_attention_backend(setting: str, device: str) -> str | None:
    """The diffusers attention backend name to set, or None to leave the default."""
    if setting == "off" or not device.startswith("cuda"):
        return None
    if setting != "auto":
        return setting
    if importlib.util.find_spec("flash_attn_interface") is not None:
        return "_flash_3"
    if importlib.util.find_spec("flash_attn") is not None:
        return "flash"
    if importlib.util.find_spec("sageattention") is not None:
        return "sage"
    return "native"


def apply_tuning(pipe: Any, plan: MemoryPlan, settings: WorkerSettings) -> tuple[list[str], list[str]]:
    """Applies the switches to ``pipe.transformer``; returns (labels, warnings). Call before moving to the device
    (FP8 casting) — ``gpu_worker.models`` does."""
    import torch

    labels: list[str] = []
    warnings: list[str] = []
    tr = getattr(pipe, "transformer", None)
    if tr is None:
        return labels, warnings
    if plan.fp8:
        try:
            compute = tr.dtype if tr.dtype in (torch.bfloat16, torch.float16, torch.float32) else torch.bfloat16
            tr.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=compute)
            labels.append("fp8:layerwise")
        except Exception as exc:  # noqa: BLE001 - an op without float8 support on this build: run without
            warnings.append(f"FP8 layerwise casting not applied: {exc}")
    backend = pick_attention_backend(settings.attention, plan.device)
    if backend:
        try:
            tr.set_attention_backend(backend)
            labels.append(f"attention:{backend}")
        except Exception as exc:  # noqa: BLE001 - an optional speed-up never fails the job
            warnings.append(f"attention backend {backend!r} not available ({exc}); kept PyTorch SDPA")
    if settings.cache != "off":
        try:
            import diffusers

            if settings.cache == "fbc":
                tr.enable_cache(diffusers.FirstBlockCacheConfig(threshold=settings.cache_threshold or 0.05))
                labels.append(f"cache:fbc({settings.cache_threshold or 0.05:g})")
            elif not settings.mag_ratios:
                warnings.append("KOLONY_GPU_CACHE=magcache needs KOLONY_GPU_MAG_RATIOS (calibrated for the model); no cache")
            else:
                tr.enable_cache(diffusers.MagCacheConfig(threshold=settings.cache_threshold or 0.06,
                                                         mag_ratios=settings.mag_ratios))
                labels.append("cache:magcache")
        except Exception as exc:  # noqa: BLE001 - an optional speed-up never fails the job
            warnings.append(f"step cache {settings.cache!r} not applied: {exc}")
    if settings.compile:
        try:
            # FP8 layerwise casting and the step cache run hooks around the blocks that Dynamo cannot trace
            # whole (a Parameter re-cast inside forward): compile with graph breaks then.
            fullgraph = not plan.fp8 and settings.cache == "off"
            if hasattr(tr, "compile_repeated_blocks") and getattr(tr, "_repeated_blocks", None):
                tr.compile_repeated_blocks(fullgraph=fullgraph)
                labels.append("compile:regional" + ("" if fullgraph else "(graph breaks)"))
            else:
                pipe.transformer = torch.compile(tr)
                labels.append("compile:full")
        except Exception as exc:  # noqa: BLE001 - an optional speed-up never fails the job
            warnings.append(f"torch.compile not applied: {exc}")
    return labels, warnings
