"""GPU memory: what the card has free (``read_memory``) and how a pipeline is placed to fit (``plan_memory``).

The plan is a pure function of a ``MemoryReading`` so it is tested with fake readings. Estimates (GB, bf16):

* weights: ``CatalogEntry.weights_gb`` (whole pipeline) and ``transformer_gb`` (parameter counts x 2 bytes);
* denoise activations: ``pixel_frames x 6e-8`` (≈ 1.9 GB for 832x480x81);
* VAE decode: ``pixel_frames x 3e-7`` untiled (≈ 9.7 GB for 832x480x81), a tenth of that tiled.

Those factors are rough (from the published VRAM figures of LTX-Video and Wan 2.1 at 480p) and are what
bench/gpu_pipeline.py checks on a real card; ``headroom_gb`` (KOLONY_GPU_VRAM_HEADROOM_GB) is kept free on top.

Decisions, in order (first that fits the budget = min(free, limits.max_vram_gb) − headroom):
1. everything on the GPU, VAE untiled;
2. everything on the GPU, VAE tiling;
3. ``enable_model_cpu_offload`` (one component on the GPU at a time) + VAE tiling;
4. 3 + FP8 layerwise casting of the transformer (weights stored in float8_e4m3fn, computed in bf16: half the
   transformer's memory) unless KOLONY_GPU_FP8=off;
5. ``enable_sequential_cpu_offload`` (+ FP8 unless off) — slow, but fits almost anything.
KOLONY_GPU_FP8=on adds FP8 to whichever plan is chosen. No CUDA: the CPU in float32, no offload.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalog import CatalogEntry

ACTIVATION_GB_PER_PIXEL_FRAME = 6e-8
DECODE_GB_PER_PIXEL_FRAME = 3e-7
TILED_DECODE_FRACTION = 0.1


@dataclass(frozen=True)
class MemoryReading:
    device: str                 # "cuda:0" or "cpu"
    total_gb: float = 0.0
    free_gb: float = 0.0
    name: str = ""
    compute_capability: tuple[int, int] = (0, 0)

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")

    @property
    def fp8_compute(self) -> bool:
        """FP8 tensor cores (Ada sm_89, Hopper sm_90 and later)."""
        return self.compute_capability >= (8, 9)


def read_memory(device: str = "auto") -> MemoryReading:
    """The device to use and its free/total memory (torch.cuda.mem_get_info). ``device``: auto | cpu | cuda[:N]."""
    import torch

    if device == "cpu" or (device == "auto" and not torch.cuda.is_available()):
        return MemoryReading("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError(f"KOLONY_GPU_DEVICE={device} but torch sees no CUDA device")
    dev = torch.device("cuda" if device == "auto" else device)
    index = dev.index if dev.index is not None else torch.cuda.current_device()
    free, total = torch.cuda.mem_get_info(index)
    props = torch.cuda.get_device_properties(index)
    return MemoryReading(f"cuda:{index}", total / 2**30, free / 2**30, props.name, (props.major, props.minor))


@dataclass
class MemoryPlan:
    device: str
    dtype: str                          # "float32" on the CPU, "bfloat16" on CUDA
    offload: str = "none"               # "none" | "model" | "sequential"
    vae_tiling: bool = False
    fp8: bool = False
    budget_gb: float = 0.0
    need_gb: float = 0.0
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    def labels(self) -> list[str]:
        out = [self.device, self.dtype]
        if self.offload != "none":
            out.append(f"{self.offload}_cpu_offload")
        if self.vae_tiling:
            out.append("vae_tiling")
        if self.fp8:
            out.append("fp8_layerwise")
        return out


def plan_memory(entry: CatalogEntry, reading: MemoryReading, *, width: int, height: int, num_frames: int,
                max_vram_gb: float | None = None, fp8_setting: str = "auto", headroom_gb: float = 2.0) -> MemoryPlan:
    """The placement for ``entry`` generating width x height x num_frames on ``reading`` (see the module doc)."""
    if not reading.is_cuda:
        return MemoryPlan("cpu", "float32", reason="no CUDA device: the CPU in float32")
    pixel_frames = width * height * num_frames
    act = pixel_frames * ACTIVATION_GB_PER_PIXEL_FRAME
    decode = pixel_frames * DECODE_GB_PER_PIXEL_FRAME
    decode_tiled = decode * TILED_DECODE_FRACTION
    available = reading.free_gb if max_vram_gb is None else min(reading.free_gb, max_vram_gb)
    budget = available - headroom_gb
    w, t = entry.weights_gb, entry.transformer_gb
    others = max(w - t, 0.0)                     # text encoder(s) + VAE (+ image encoder)
    plan = MemoryPlan(reading.device, "bfloat16", budget_gb=round(budget, 2))
    allow_fp8 = fp8_setting != "off"

    def offload_peak(transformer_gb: float) -> float:
        # one component resident at a time: the largest of (encoders), (transformer + activations), (VAE decode)
        return max(others, transformer_gb + act, 0.5 + decode_tiled)

    source = "limit" if max_vram_gb is not None and max_vram_gb < reading.free_gb else "free"
    where = f"budget {budget:.1f} GB ({available:.1f} GB {source} − {headroom_gb:g} headroom)"
    if w + act + decode <= budget:
        plan.need_gb, plan.reason = w + act + decode, f"all on the GPU: needs {w + act + decode:.1f} GB ≤ {where}"
    elif w + act + decode_tiled <= budget:
        plan.need_gb, plan.vae_tiling = w + act + decode_tiled, True
        plan.reason = f"all on the GPU with VAE tiling: {w + act + decode_tiled:.1f} GB ≤ {where} (untiled {w + act + decode:.1f})"
    elif offload_peak(t) <= budget:
        plan.need_gb, plan.offload, plan.vae_tiling = offload_peak(t), "model", True
        plan.reason = f"model CPU offload: peak {offload_peak(t):.1f} GB ≤ {where}; whole pipeline {w:.1f} GB does not fit"
    elif allow_fp8 and offload_peak(t / 2) <= budget:
        plan.need_gb, plan.offload, plan.vae_tiling, plan.fp8 = offload_peak(t / 2), "model", True, True
        plan.reason = f"model CPU offload + FP8 transformer: peak {offload_peak(t / 2):.1f} GB ≤ {where} (bf16 {offload_peak(t):.1f})"
    else:
        plan.offload, plan.vae_tiling, plan.fp8 = "sequential", True, allow_fp8
        plan.need_gb = 0.5 + act
        plan.reason = f"sequential CPU offload{' + FP8' if allow_fp8 else ''}: even one component does not fit the {where}"
    if fp8_setting == "on" and not plan.fp8:
        plan.fp8 = True
        plan.notes.append("FP8 layerwise casting forced by KOLONY_GPU_FP8=on")
    if plan.fp8 and not reading.fp8_compute:
        plan.notes.append(f"{reading.name or reading.device} has no FP8 tensor cores: FP8 saves memory only (bf16 compute)")
    return plan
