"""Stages 4–5, compose (caption files, caption boxes) and encode (one FFmpeg run per format, the
picture checks' samples tapped from the same run)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from videogen.engine.render.captions import write_ass
from videogen.engine.render.compositor import render_format
from videogen.engine.render.fonts import font_path
from videogen.engine.render.quality import VideoTap
from videogen.engine.stages.job import RenderJob

CAPTION_FONT_ROLES = ("sans-bold", "sans", "cjk-bold", "cjk")


def fonts_dir(work: Path) -> Path:
    """A folder of links to the caption fonts for libass (``fontsdir``)."""
    d = work / "fonts"
    d.mkdir(exist_ok=True)
    for role in CAPTION_FONT_ROLES:
        src = font_path(role)
        dst = d / src.name
        if not dst.exists():
            os.symlink(src, dst)
    return d


def compose_stage(job: RenderJob) -> None:
    """An ASS caption file per format (None without voiceover cues) and each captioned scene's
    caption box in ``job.text_boxes`` (libass lays each word group bottom-centred in the box;
    word-by-word, ``render/captions.py``)."""
    cues = job.voice.cues if job.voice is not None else []
    with job.trace.stage("compose", backend="ffmpeg-filtergraph") as st:
        job.fonts_dir = fonts_dir(job.work)
        for spec in job.specs:
            job.ass_paths[spec.ratio] = write_ass(
                job.work / f"{spec.stem}.ass", cues, spec, job.look, lang=job.brief.language,
                protect=(job.brief.product_name, job.brief.call_to_action)) if cues else None
        st["captions"] = len(cues)
        for spec in job.specs:
            cap = spec.captions
            for sid in dict.fromkeys(c.scene_id for c in cues):
                job.text_boxes.setdefault(spec.ratio, []).append(
                    {"scene_key": sid, "kind": "captions", "box": [cap.left, cap.top, cap.right, cap.bottom]})
    job.progress.update("compose", 1)


def encode_stage(job: RenderJob) -> None:
    """``stage_dir/ad_9x16.mp4`` … (``job.outputs``); per-format seconds and real-time factor in the
    trace. The soundtrack's AAC is stream-copied into each MP4."""
    plan = job.the_plan
    n = len(job.specs)
    if job.soundtrack_aac is None:
        raise RuntimeError("the soundtrack stage has not run")
    soundtrack = job.soundtrack_aac

    def on_progress(fi: int) -> Callable[[float], None]:
        return lambda f: job.progress.update("encode", (fi + f) / n)

    with job.trace.stage("encode", backend="ffmpeg-libx264") as st:
        st["formats"] = {}
        for fi, spec in enumerate(job.specs):
            job.check_cancel()
            out = job.stage_dir / f"{spec.stem}.mp4"
            t0 = time.monotonic()
            lg = job.logos.get(spec.ratio)
            # the picture checks analyse the encoded frames inside this same run (no re-decode)
            tap = job.taps[spec.ratio] = VideoTap(job.work / f"qa_{spec.stem}_samples.gray", job.work / f"qa_{spec.stem}_lumas.gray")
            render_format(
                plan, spec, job.layers[spec.ratio], logo_png=lg[0] if lg else None, logo_xy=lg[1] if lg else (0, 0),
                ass_path=job.ass_paths.get(spec.ratio), fonts_dir=job.fonts_dir, audio_wav=soundtrack, audio_copy=True,
                out_path=out, on_progress=on_progress(fi),
                should_cancel=job.should_cancel, tap=tap,
            )
            out.with_suffix(".filtergraph.txt").unlink(missing_ok=True)
            secs = round(time.monotonic() - t0, 3)
            st["formats"][spec.ratio] = {"seconds": secs, "realtime_factor": round(plan.total_duration / secs, 2)}
            job.outputs[spec.ratio] = out
            job.progress.update("encode", (fi + 1) / n)
