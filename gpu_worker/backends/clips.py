"""Generated clips with diffusers: LTX-Video (LTXPipeline / LTXImageToVideoPipeline / LTXConditionPipeline) and
Wan 2.1/2.2 (WanPipeline / WanImageToVideoPipeline), frames → MP4 (H.264, yuv420p) through ffmpeg.

Phases are timed exactly: ``encode_prompt`` and ``vae.decode`` are wrapped on the pipeline instance for the
call, and ``callback_on_step_end`` reports each denoise step. Cancel and timeout are checked on every step:
the callback sets ``pipe._interrupt`` (diffusers' loop then skips the remaining steps) and the wrapped
``vae.decode`` raises ``Interrupted`` so no frames are decoded for a stopped task.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..contract import GenerateClipSpec
from ..models import LoadedPipeline
from ..progress import TaskProgress


class Interrupted(Exception):
    """The task was stopped: ``kind`` is "cancelled" or "timeout"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class RunControl:
    """Deadline (time.monotonic) and a cancel check (called at most every ``cancel_every_s``)."""

    deadline: float
    should_cancel: Callable[[], bool] = lambda: False
    cancel_every_s: float = 0.25
    timeout_s: float = 0.0
    _checked_at: float = field(default=0.0, init=False)
    _cancelled: bool = field(default=False, init=False)

    def reason(self) -> tuple[str, str] | None:
        now = time.monotonic()
        if now >= self.deadline:
            return "timeout", f"the task ran past its {self.timeout_s:g} s limit"
        if not self._cancelled and now - self._checked_at >= self.cancel_every_s:
            self._checked_at = now
            self._cancelled = bool(self.should_cancel())
        if self._cancelled:
            return "cancelled", "cancelled by the Studio"
        return None

    def check(self) -> None:
        why = self.reason()
        if why:
            raise Interrupted(*why)


def fit_image(img: Image.Image, width: int, height: int) -> Image.Image:
    """Cover-crop and resize to width x height (the model's input frame), RGB."""
    img = img.convert("RGB")
    scale = max(width / img.width, height / img.height)
    w, h = max(width, round(img.width * scale)), max(height, round(img.height * scale))
    img = img.resize((w, h), Image.Resampling.LANCZOS)
    left, top = (w - width) // 2, (h - height) // 2
    return img.crop((left, top, left + width, top + height))


def generate_frames(lp: LoadedPipeline, spec: GenerateClipSpec, *, num_frames: int, seed: int,
                    first: Image.Image | None, last: Image.Image | None, progress: TaskProgress, control: RunControl,
                    phases: dict[str, float], max_sequence_length: int = 0) -> np.ndarray:
    """Runs the pipeline; returns frames as uint8 (num_frames, height, width, 3). Raises Interrupted."""
    import torch

    pipe = lp.pipe
    family, variant = lp.entry.family, lp.variant
    steps = spec.steps
    marks: dict[str, float] = {}
    original_encode = pipe.encode_prompt
    vae = pipe.vae
    original_decode = vae.decode

    def encode_prompt(*args: Any, **kwargs: Any) -> Any:
        control.check()
        progress.phase("text_encode")
        t0 = time.perf_counter()
        try:
            return original_encode(*args, **kwargs)
        finally:
            phases["text_encode"] = phases.get("text_encode", 0.0) + time.perf_counter() - t0
            marks["denoise_start"] = time.perf_counter()
            progress.phase("denoise", 0, steps)

    def decode(*args: Any, **kwargs: Any) -> Any:
        if getattr(pipe, "_interrupt", False):
            why = control.reason() or ("cancelled", "interrupted")
            raise Interrupted(*why)
        if "denoise_start" in marks:
            phases["denoise"] = phases.get("denoise", 0.0) + time.perf_counter() - marks.pop("denoise_start")
        progress.phase("vae_decode")
        t0 = time.perf_counter()
        try:
            return original_decode(*args, **kwargs)
        finally:
            phases["vae_decode"] = phases.get("vae_decode", 0.0) + time.perf_counter() - t0

    def on_step_end(p: Any, i: int, t: Any, kw: dict[str, Any]) -> dict[str, Any]:
        progress.phase("denoise", i + 1, steps)
        if control.reason():
            p._interrupt = True
        return kw

    kwargs: dict[str, Any] = {
        "prompt": spec.prompt, "negative_prompt": spec.negative_prompt or None,
        "height": spec.height, "width": spec.width, "num_frames": num_frames,
        "num_inference_steps": steps, "guidance_scale": spec.guidance,
        "generator": torch.Generator(device="cpu").manual_seed(seed), "output_type": "np",
        "callback_on_step_end": on_step_end, "callback_on_step_end_tensor_inputs": ["latents"],
    }
    if max_sequence_length:
        kwargs["max_sequence_length"] = max_sequence_length
    if family == "ltx":
        kwargs["frame_rate"] = spec.fps
        if variant == "i2v":
            kwargs["image"] = first
        elif variant == "condition":
            from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

            kwargs["conditions"] = [LTXVideoCondition(image=first, frame_index=0),
                                    LTXVideoCondition(image=last, frame_index=num_frames - 1)]
    elif variant in ("i2v", "condition"):
        kwargs["image"] = first
        if variant == "condition":
            kwargs["last_image"] = last
    if family == "wan" and not spec.negative_prompt:
        kwargs["negative_prompt"] = ""
    pipe.encode_prompt = encode_prompt
    vae.decode = decode
    try:
        with torch.inference_mode():
            out = pipe(**kwargs)
    finally:
        del pipe.encode_prompt  # back to the class method
        del vae.decode
    if getattr(pipe, "_interrupt", False):
        why = control.reason() or ("cancelled", "interrupted")
        raise Interrupted(*why)
    frames = np.asarray(out.frames[0])
    if frames.dtype != np.uint8:
        frames = (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return frames


def ffmpeg_exe() -> str:
    import shutil

    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def encode_mp4(frames: np.ndarray, fps: int, path: Path) -> Path:
    """uint8 (F, H, W, 3) → H.264 MP4 (yuv420p, +faststart) at ``fps``. Raises RuntimeError with ffmpeg's stderr."""
    f, h, w, _ = frames.shape
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", str(fps), "-i", "-", "-an", "-c:v", "libx264", "-preset", "medium", "-crf", "18",
           "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)]
    proc = subprocess.run(cmd, input=np.ascontiguousarray(frames).tobytes(), capture_output=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not encode the clip: {proc.stderr.decode(errors='replace')[-400:]}")
    return path


def sample_frames(frames: np.ndarray, n: int) -> list[Image.Image]:
    idx = np.linspace(0, len(frames) - 1, num=min(n, len(frames))).round().astype(int)
    return [Image.fromarray(frames[i]) for i in sorted(set(idx.tolist()))]
