"""GPU pipeline speed (issue 15): LTX-Video 2B and Wan 2.1 1.3B at their published sizes with random weights —
the compute of a denoise step does not depend on the weights' values — generating a 5 s 480p clip, timed as
the plain diffusers call and as Kolony's tuned path (gpu_worker.tuning.apply_tuning, the worker's own code),
each switch alone and all together. Printed as figures; never asserted in tests.

Per run: seconds per denoise step (median of the timed steps; CUDA-synchronised in callback_on_step_end),
text-encode / denoise / VAE-decode / total seconds, peak VRAM (torch.cuda.max_memory_allocated), and the
speed-up of the denoise loop against the plain call. A compiled run is warmed up first (2 steps) and the
warm-up time is printed on its own.

Sizes (model cards / diffusers configs):
* LTX-Video 2B (0.9.x): LTXVideoTransformer3DModel() defaults (28 layers, 32 heads x 64, caption 4096) and the
  AutoencoderKLLTXVideo() defaults (128 latent channels, 32x spatial, 8x temporal); 832x480, 121 frames at 24 fps.
* Wan 2.1 T2V 1.3B: WanTransformer3DModel(30 layers, 12 heads x 128, ffn 8960, text_dim 4096) and the
  AutoencoderKLWan() defaults; 832x480, 81 frames at 16 fps.
The text encoders (T5-XXL / UMT5-XXL) are replaced by a one-layer T5 encoder with the same 4096-wide output:
prompt encoding is done once per clip and is not what the tuned path changes; its share is printed anyway.
Caveat: the step cache (First Block Cache) decides from how much the first block's output changes between
steps, which random weights do not reproduce — its figure here shows its overhead/upper bound, not its
real skip rate; measure it with real weights (KOLONY_MODELS_DIR) via `--weights`.

Usage:  .venv/bin/python bench/gpu_pipeline.py [--models ltx,wan] [--steps 30] [--variants plain,attention,...]
        [--json out.json] [--tiny]      (--tiny: small configs, runs on the CPU too — a smoke test of this script)
Exit status: 0 after measuring, 2 when no CUDA device is present (nothing measured, said plainly).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "attention": {"attention": "auto"},
    "compile": {"compile": True},
    "fp8": {"fp8": "on"},
    "cache": {"cache": "fbc"},
    "all": {"attention": "auto", "compile": True, "cache": "fbc"},
    "all+fp8": {"attention": "auto", "compile": True, "cache": "fbc", "fp8": "on"},
}

SIZES = {
    "ltx": {"width": 832, "height": 480, "num_frames": 121, "fps": 24},
    "wan": {"width": 832, "height": 480, "num_frames": 81, "fps": 16},
}
TINY_SIZES = {
    "ltx": {"width": 64, "height": 64, "num_frames": 9, "fps": 8},
    "wan": {"width": 64, "height": 64, "num_frames": 9, "fps": 8},
}


def _tokenizer() -> Any:
    from transformers import T5Tokenizer

    corpus = ["a cup of coffee on a wooden table in the morning light", "product shot, slow zoom, studio light"] * 20
    return T5Tokenizer(extra_ids=0).train_new_from_iterator(corpus, vocab_size=200)


def _encoder(width: int, vocab: int) -> Any:
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(T5Config(vocab_size=vocab, d_model=width, d_kv=64, d_ff=256, num_layers=1,
                                   num_heads=max(1, width // 64)))


def build(family: str, tiny: bool) -> Any:
    """A pipeline of the published size (or a tiny one) with random weights, float32 on the CPU."""
    import diffusers
    import torch

    torch.manual_seed(0)
    tok = _tokenizer()
    if family == "ltx":
        if tiny:
            vae = diffusers.AutoencoderKLLTXVideo(
                latent_channels=8, block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
                layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1, 1),
                spatio_temporal_scaling=(True, True, False, False), decoder_spatio_temporal_scaling=(True, True, False, False),
                decoder_inject_noise=(False,) * 5, upsample_residual=(False,) * 4, upsample_factor=(1,) * 4,
                timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False)
            tr = diffusers.LTXVideoTransformer3DModel(in_channels=8, out_channels=8, num_attention_heads=4,
                                                      attention_head_dim=8, cross_attention_dim=32, num_layers=2,
                                                      caption_channels=32)
            width = 32
        else:
            vae, tr, width = diffusers.AutoencoderKLLTXVideo(), diffusers.LTXVideoTransformer3DModel(), 4096
        return diffusers.LTXPipeline(tokenizer=tok, text_encoder=_encoder(width, len(tok) + 8), vae=vae, transformer=tr,
                                     scheduler=diffusers.FlowMatchEulerDiscreteScheduler())
    if tiny:
        vae = diffusers.AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                                         temperal_downsample=[False, True, True])
        tr = diffusers.WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
                                             in_channels=16, out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32,
                                             num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                             rope_max_seq_len=32)
        width = 32
    else:
        vae = diffusers.AutoencoderKLWan()
        tr = diffusers.WanTransformer3DModel(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128,
                                             in_channels=16, out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960,
                                             num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                                             eps=1e-6, rope_max_seq_len=1024)
        width = 4096
    return diffusers.WanPipeline(tokenizer=tok, text_encoder=_encoder(width, len(tok) + 8), vae=vae, transformer=tr,
                                 scheduler=diffusers.FlowMatchEulerDiscreteScheduler(shift=3.0))


def run_once(pipe: Any, family: str, size: dict[str, int], steps: int, device: str) -> dict[str, Any]:
    import torch

    cuda = device.startswith("cuda")
    marks: dict[str, float] = {}
    step_times: list[float] = []

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    original_encode, original_decode = pipe.encode_prompt, pipe.vae.decode

    def encode(*a: Any, **k: Any) -> Any:
        sync()
        marks["encode0"] = time.perf_counter()
        out = original_encode(*a, **k)
        sync()
        marks["encode1"] = marks["last"] = time.perf_counter()
        return out

    def decode(*a: Any, **k: Any) -> Any:
        sync()
        marks["decode0"] = time.perf_counter()
        out = original_decode(*a, **k)
        sync()
        marks["decode1"] = time.perf_counter()
        return out

    def on_step(p: Any, i: int, t: Any, kw: dict[str, Any]) -> dict[str, Any]:
        sync()
        now = time.perf_counter()
        step_times.append(now - marks["last"])
        marks["last"] = now
        return kw

    pipe.encode_prompt, pipe.vae.decode = encode, decode
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    kwargs: dict[str, Any] = {"prompt": "a cup of coffee on a wooden table, morning light, slow push-in",
                              "negative_prompt": "", "width": size["width"], "height": size["height"],
                              "num_frames": size["num_frames"], "num_inference_steps": steps, "guidance_scale": 5.0,
                              "generator": torch.Generator("cpu").manual_seed(0), "output_type": "np",
                              "callback_on_step_end": on_step, "max_sequence_length": 128}
    if family == "ltx":
        kwargs["frame_rate"] = size["fps"]
    t0 = time.perf_counter()
    try:
        with torch.inference_mode():
            out = pipe(**kwargs)
    finally:
        del pipe.encode_prompt, pipe.vae.decode
    sync()
    total = time.perf_counter() - t0
    timed = step_times[1:] if len(step_times) > 2 else step_times
    return {
        "frames": list(out.frames[0].shape),
        "s_per_step": statistics.median(timed) if timed else 0.0,
        "text_encode_s": marks["encode1"] - marks["encode0"],
        "denoise_s": sum(step_times),
        "vae_decode_s": marks.get("decode1", 0.0) - marks.get("decode0", 0.0),
        "total_s": total,
        "peak_vram_gb": torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0,
    }


def bench_variant(family: str, variant: str, args: argparse.Namespace, device: str) -> dict[str, Any]:
    import torch

    from gpu_worker.memory import MemoryPlan
    from gpu_worker.settings import WorkerSettings
    from gpu_worker.tuning import apply_tuning

    size = (TINY_SIZES if args.tiny else SIZES)[family]
    pipe = build(family, args.tiny)
    pipe.set_progress_bar_config(disable=True)
    cuda = device.startswith("cuda")
    dtype = torch.bfloat16 if cuda else torch.float32
    settings = WorkerSettings(device=device, **VARIANTS[variant])
    plan = MemoryPlan(device=device, dtype="bfloat16" if cuda else "float32", fp8=settings.fp8 == "on")
    pipe.to(dtype=dtype)
    labels, warnings = apply_tuning(pipe, plan, settings)
    pipe.to(device)
    warm = 0.0
    if settings.compile:
        t0 = time.perf_counter()
        run_once(pipe, family, size, 2, device)
        warm = time.perf_counter() - t0
    row = run_once(pipe, family, size, args.steps, device)
    row.update({"model": family, "variant": variant, "switches": labels, "warnings": warnings, "compile_warmup_s": warm})
    del pipe
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="ltx,wan")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tiny", action="store_true", help="small configs (runs on the CPU too)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("gpu_pipeline: torch is not installed (pip install -r requirements.txt -r requirements-gpu.txt)")
        return 2
    if not torch.cuda.is_available() and not args.tiny:
        print("gpu_pipeline: no CUDA device here — nothing measured. Run this on a GPU machine "
              "(the same command); --tiny runs the script's small smoke configuration on the CPU.")
        return 2
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    print(f"device: {name}; torch {torch.__version__}; steps {args.steps}; {'TINY configs' if args.tiny else 'published sizes'}")
    rows = []
    for family in args.models.split(","):
        plain = None
        for variant in args.variants.split(","):
            row = bench_variant(family, variant, args, device)
            if variant == "plain":
                plain = row
            row["denoise_speedup"] = (plain["s_per_step"] / row["s_per_step"]) if plain and row["s_per_step"] else None
            rows.append(row)
            sp = f"{row['denoise_speedup']:.2f}x" if row["denoise_speedup"] else "-"
            print(f"{family:4} {variant:10} {row['s_per_step']:8.3f} s/step  total {row['total_s']:8.2f} s "
                  f"(encode {row['text_encode_s']:.2f}, denoise {row['denoise_s']:.2f}, decode {row['vae_decode_s']:.2f}"
                  f"{', warm-up ' + format(row['compile_warmup_s'], '.1f') if row['compile_warmup_s'] else ''}) "
                  f"peak {row['peak_vram_gb']:6.2f} GB  vs plain {sp}  {' '.join(row['switches'])}"
                  f"{'  ! ' + '; '.join(row['warnings']) if row['warnings'] else ''}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"device": name, "steps": args.steps, "tiny": args.tiny, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
