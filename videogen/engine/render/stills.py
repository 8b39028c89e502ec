"""The last fallback of a render (issue 15): the video made from the storyboard stills.

When the animated render fails as a whole (FFmpeg, a broken layer, …), the Studio still delivers
an ad: each scene's storyboard keyframe (:func:`videogen.engine.render.storyboard.render_storyboard`,
which has the scene's text, logo and picture on it) held for the scene's duration, cut hard, with a
silent stereo AAC track so every player and platform accepts the file. H.264 (``libx264``, the
engine's preset and CRF), yuv420p, 30 fps, ``+faststart`` — the same container rules as a normal
render (:mod:`videogen.engine.render.formats`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render.ffmpeg import run_ffmpeg
from videogen.engine.render.formats import X264_CRF, X264_PRESET, FormatSpec

FPS = 30


def stills_video(plan: ScenePlan, spec: FormatSpec, stills: list[Path], out_path: Path, *,
                 should_cancel: Callable[[], bool] | None = None) -> Path:
    """Writes ``out_path``: ``stills[i]`` (a PNG of ``spec``'s size, scene ``i``'s keyframe) shown for
    ``plan.scenes[i].duration`` seconds, in order; the MP4 lasts ``plan.total_duration`` s. Raises
    ValueError when the number of stills and scenes differ, FFmpegError when FFmpeg fails,
    RenderCancelled when ``should_cancel`` says so."""
    if len(stills) != len(plan.scenes):
        raise ValueError(f"{len(stills)} storyboard stills for {len(plan.scenes)} scenes")
    args: list[str] = []
    for path, scene in zip(stills, plan.scenes, strict=True):
        args += ["-loop", "1", "-framerate", str(FPS), "-t", f"{scene.duration:.3f}", "-i", str(path)]
    total = plan.total_duration
    args += ["-f", "lavfi", "-t", f"{total:.3f}", "-i", "anullsrc=channel_layout=stereo:sample_rate=48000"]
    n = len(stills)
    chains = [f"[{i}:v]scale={spec.width}:{spec.height}:force_original_aspect_ratio=decrease,"
              f"pad={spec.width}:{spec.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={FPS},format=yuv420p[v{i}]" for i in range(n)]
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    args += ["-filter_complex", graph, "-map", "[v]", "-map", f"{n}:a", "-c:v", "libx264", "-preset", X264_PRESET,
             "-crf", str(X264_CRF), "-pix_fmt", "yuv420p", "-r", str(FPS), "-c:a", "aac", "-b:a", "128k", "-ar", "48000",
             "-t", f"{total:.3f}", "-movflags", "+faststart", str(out_path)]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(args, should_cancel=should_cancel)
    return out_path
