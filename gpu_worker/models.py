"""The model manager: loads pipelines and models from KOLONY_MODELS_DIR only (``local_files_only=True``: the
hub is never contacted; HF_HUB_OFFLINE is set too), keeps them resident between jobs, and stays in the VRAM
budget: one heavy (video) pipeline at a time — loading another evicts the least recently used — and up to
``light_capacity`` light models (Whisper, CLIP). Placement (offload, VAE tiling, FP8) comes from
gpu_worker.memory.plan_memory on the free memory read just before loading; ``memory_reader`` is injectable
so the decisions are tested with fake readings.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .catalog import CATALOG, CatalogEntry, present
from .contract import ModelInfo
from .memory import MemoryPlan, MemoryReading, plan_memory, read_memory
from .settings import WorkerSettings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

#: pipeline class per (family, variant). "t2v": text only; "i2v": first frame; "condition": first + last frame.
PIPELINES: dict[tuple[str, str], str] = {
    ("ltx", "t2v"): "LTXPipeline",
    ("ltx", "i2v"): "LTXImageToVideoPipeline",
    ("ltx", "condition"): "LTXConditionPipeline",
    ("wan", "t2v"): "WanPipeline",
    ("wan", "i2v"): "WanImageToVideoPipeline",
    ("wan", "condition"): "WanImageToVideoPipeline",  # last_image
}


class MissingModel(Exception):
    """A model's weights are not where the worker looks. The message names the directory and the download."""

    def __init__(self, entry_id: str, directory: Path, detail: str = ""):
        hf = CATALOG[entry_id].hf_id if entry_id in CATALOG else "?"
        super().__init__(f"model {entry_id!r} is not installed: expected its weights in {directory} "
                         f"(download {hf} there: huggingface-cli download {hf} --local-dir {directory})"
                         + (f"; {detail}" if detail else ""))
        self.entry_id = entry_id
        self.directory = directory


def weights_version(directory: Path) -> str:
    """The weights' revision (the commit huggingface-cli recorded for a --local-dir download) and diffusers
    version from model_index.json, e.g. "rev 3b1c2d4 · diffusers 0.33.0"; "" when unknown."""
    parts = []
    meta = directory / ".cache" / "huggingface" / "download"
    for name in ("model_index.json.metadata", "config.json.metadata"):
        if (meta / name).is_file():
            first = (meta / name).read_text().splitlines()[:1]
            if first and first[0].strip():
                parts.append(f"rev {first[0].strip()[:12]}")
                break
    for name in ("model_index.json", "config.json"):
        f = directory / name
        if f.is_file():
            try:
                cfg = json.loads(f.read_text())
            except ValueError:
                continue
            for k in ("_diffusers_version", "transformers_version"):
                if cfg.get(k):
                    parts.append(f"{k.strip('_').split('_')[0]} {cfg[k]}")
            break
    return " · ".join(parts)


@dataclass
class LoadedPipeline:
    entry: CatalogEntry
    variant: str
    pipe: Any
    plan: MemoryPlan
    tuned: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    version: str = ""
    load_seconds: float = 0.0
    last_used: float = 0.0

    @property
    def pipeline_name(self) -> str:
        return type(self.pipe).__name__


class ModelManager:
    def __init__(self, root: Path | str, settings: WorkerSettings | None = None,
                 memory_reader: Callable[[str], MemoryReading] = read_memory, light_capacity: int = 3):
        self.root = Path(root)
        self.settings = settings or WorkerSettings()
        self.memory_reader = memory_reader
        self.light_capacity = light_capacity
        self._heavy: OrderedDict[str, dict[str, LoadedPipeline]] = OrderedDict()
        self._light: OrderedDict[str, tuple[Any, float, str]] = OrderedDict()
        self._lock = threading.RLock()
        self.evictions: list[str] = []

    # --- what is there ------------------------------------------------------------------------------------
    def directory(self, entry_id: str) -> Path:
        return CATALOG[entry_id].directory(self.root)

    def installed(self, kind: str | None = None) -> list[str]:
        return [e.id for e in CATALOG.values() if (kind is None or e.kind == kind) and present(e, self.root)]

    def describe(self) -> list[ModelInfo]:
        with self._lock:
            loaded = set(self._heavy) | set(self._light)
        return [ModelInfo(id=i, kind=CATALOG[i].kind, path=str(self.directory(i)), loaded=i in loaded) for i in self.installed()]

    def loaded(self) -> list[dict[str, Any]]:
        """What is resident now: [{"id", "variants", "plan", "tuned"} for heavy] + [{"id", "device"} for light]."""
        with self._lock:
            out: list[dict[str, Any]] = [
                {"id": mid, "variants": sorted(v), "plan": next(iter(v.values())).plan.labels(),
                 "tuned": next(iter(v.values())).tuned} for mid, v in self._heavy.items()]
            out += [{"id": mid, "device": dev} for mid, (_m, _t, dev) in self._light.items()]
        return out

    def require(self, entry_id: str) -> CatalogEntry:
        if entry_id not in CATALOG:
            raise MissingModel(entry_id, self.root / entry_id, "not a model this worker knows")
        entry = CATALOG[entry_id]
        if not present(entry, self.root):
            raise MissingModel(entry_id, entry.directory(self.root))
        return entry

    # --- heavy video pipelines ----------------------------------------------------------------------------
    def video_pipeline(self, entry_id: str, variant: str, *, width: int, height: int, num_frames: int,
                       max_vram_gb: float | None = None) -> LoadedPipeline:
        """The pipeline for ``variant`` of ``entry_id`` placed for this size (loads it, evicting any other heavy
        pipeline first; derives i2v/condition variants from the resident one with ``from_pipe``)."""
        entry = self.require(entry_id)
        reading = self.memory_reader(self.settings.device)
        with self._lock:
            resident = self._heavy.get(entry_id)
            if resident and reading.is_cuda:
                base = next(iter(resident.values()))
                if base.plan.offload == "none":  # what the resident pipeline holds is free for its own re-plan
                    reading = replace(reading, free_gb=reading.free_gb + base.plan.need_gb)
            plan = plan_memory(entry, reading, width=width, height=height, num_frames=num_frames, max_vram_gb=max_vram_gb,
                               fp8_setting=self.settings.fp8, headroom_gb=self.settings.vram_headroom_gb)
            if resident:
                base = next(iter(resident.values()))
                if (base.plan.offload, base.plan.fp8) != (plan.offload, plan.fp8):
                    self._evict_heavy(entry_id, f"re-placed: {plan.reason}")
                    resident = None
            if resident is None:
                for other in list(self._heavy):
                    self._evict_heavy(other, f"one heavy pipeline resident: making room for {entry_id}")
                resident = {variant: self._load_video(entry, variant, plan)}
                self._heavy[entry_id] = resident
            elif variant not in resident:
                resident[variant] = self._derive(next(iter(resident.values())), variant)
            self._heavy.move_to_end(entry_id)
            lp = resident[variant]
            self._set_tiling(lp.pipe, plan.vae_tiling)
            lp.plan = replace(lp.plan, vae_tiling=plan.vae_tiling, reason=plan.reason, budget_gb=plan.budget_gb,
                              need_gb=plan.need_gb)
            lp.last_used = time.time()
            return lp

    def _pipeline_class(self, family: str, variant: str) -> Any:
        import diffusers

        return getattr(diffusers, PIPELINES[(family, variant)])

    def _load_video(self, entry: CatalogEntry, variant: str, plan: MemoryPlan) -> LoadedPipeline:
        import torch

        directory = entry.directory(self.root)
        cls = self._pipeline_class(entry.family, variant)
        dtype = torch.bfloat16 if plan.dtype == "bfloat16" else torch.float32
        t0 = time.perf_counter()
        try:
            pipe = cls.from_pretrained(str(directory), dtype=dtype, local_files_only=True)
        except (OSError, EnvironmentError) as exc:
            raise MissingModel(entry.id, directory, f"loading failed: {exc}") from exc
        if hasattr(pipe, "set_progress_bar_config"):
            pipe.set_progress_bar_config(disable=True)
        tuned, warnings = self._place(pipe, plan)
        return LoadedPipeline(entry, variant, pipe, plan, tuned, warnings + plan.notes, weights_version(directory),
                              time.perf_counter() - t0, time.time())

    def _place(self, pipe: Any, plan: MemoryPlan) -> tuple[list[str], list[str]]:
        from .tuning import apply_tuning

        tuned, warnings = apply_tuning(pipe, plan, self.settings)
        if plan.offload == "model":
            pipe.enable_model_cpu_offload(device=plan.device)
        elif plan.offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=plan.device)
        else:
            pipe.to(plan.device)
        self._set_tiling(pipe, plan.vae_tiling)
        return tuned, warnings

    @staticmethod
    def _set_tiling(pipe: Any, on: bool) -> None:
        vae = getattr(pipe, "vae", None)
        if vae is None:
            return
        if on and hasattr(vae, "enable_tiling"):
            vae.enable_tiling()
        elif not on and hasattr(vae, "disable_tiling"):
            vae.disable_tiling()

    def _derive(self, base: LoadedPipeline, variant: str) -> LoadedPipeline:
        cls = self._pipeline_class(base.entry.family, variant)
        if type(base.pipe) is cls:
            pipe = base.pipe
        else:
            pipe = cls.from_pipe(base.pipe)
            if hasattr(pipe, "set_progress_bar_config"):
                pipe.set_progress_bar_config(disable=True)
        return LoadedPipeline(base.entry, variant, pipe, base.plan, base.tuned, base.warnings, base.version, 0.0, time.time())

    def _evict_heavy(self, entry_id: str, why: str) -> None:
        self._heavy.pop(entry_id, None)
        self.evictions.append(f"{entry_id}: {why}")
        self._free()

    # --- light models (Whisper, CLIP) ---------------------------------------------------------------------
    def light_model(self, entry_id: str, loader: Callable[[Path, str], Any]) -> Any:
        """``loader(directory, device)`` once, then the resident object (LRU beyond light_capacity)."""
        entry = self.require(entry_id)
        with self._lock:
            if entry_id in self._light:
                self._light.move_to_end(entry_id)
                return self._light[entry_id][0]
            reading = self.memory_reader(self.settings.device)
            try:
                obj = loader(entry.directory(self.root), reading.device)
            except (OSError, EnvironmentError) as exc:
                raise MissingModel(entry_id, entry.directory(self.root), f"loading failed: {exc}") from exc
            self._light[entry_id] = (obj, time.time(), reading.device)
            while len(self._light) > self.light_capacity:
                old, _ = self._light.popitem(last=False)
                self.evictions.append(f"{old}: light-model LRU")
            return obj

    def evict_all(self, why: str = "evicted") -> None:
        with self._lock:
            for mid in list(self._heavy):
                self._evict_heavy(mid, why)
            self._light.clear()
            self._free()

    @staticmethod
    def _free() -> None:
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
