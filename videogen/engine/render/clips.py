"""Uploaded video clips as scene pictures: probing, clean-up filters, keyframes.

A brief lists its clips in ``Brief.clips`` (:class:`videogen.engine.brief.ClipSource`: path, start
seconds, clean-up names); a scene shows one with ``Visual(source="uploaded_clip",
clip_index=i)``. The compositor (:mod:`videogen.engine.render.compositor`) decodes the clip from
``start`` inside the same FFmpeg run that encodes the ad, scales it to cover the frame and
centre-crops it per aspect ratio, applies the clean-up filters, and holds the last frame
(``tpad``) if the clip ends before the scene does.

The clean-up filters (:data:`CLEANUP_FILTERS`) live here, the one source: the Studio's footage
tools and its form validation import them from this module.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from videogen.engine.render.ffmpeg import FFmpegError, ffmpeg_exe, ffprobe

# Optional clean-up, each an FFmpeg filter: hqdn3d (3-D denoiser), eq (contrast/saturation lift
# as a mild colour correction) and fps (frame-rate conversion to the output's 30 fps).
CLEANUP_FILTERS = {
    "denoise": "hqdn3d=4:3:6:4.5",
    "color": "eq=contrast=1.06:saturation=1.12:gamma=1.02",
    "fps": "fps=30",
}
CLEANUP_NAMES = tuple(CLEANUP_FILTERS)
KEYFRAME_OFFSET = 0.5  # s after the clip's start: the storyboard keyframe (past any fade-in)
# ffprobe format names of still-image demuxers: a photo renamed .mp4 is not a clip
_STILL_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe", "tiff_pipe")


class ClipError(ValueError):
    """A clip cannot be used; the message is one line without the field name."""


@dataclass(frozen=True)
class ClipInfo:
    """What ffprobe says about a clip: ``duration`` seconds (> 0), frame size in pixels as
    displayed (rotation applied), and the codec name."""

    duration: float
    width: int
    height: int
    codec: str


def cleanup_filters() -> dict[str, str]:
    """Clean-up name → FFmpeg filter, a copy of :data:`CLEANUP_FILTERS`
    (denoise: ``hqdn3d``; color: ``eq`` contrast/saturation; fps: ``fps=30``)."""
    return dict(CLEANUP_FILTERS)


def probe_clip(path: Path) -> ClipInfo:
    """Probe ``path`` with ffprobe. Raises :class:`ClipError` when it is missing, unreadable,
    has no video stream, is a still image, or has no positive duration."""
    path = Path(path)
    if not path.exists():
        raise ClipError(f"file not found: {path}")
    if not path.is_file():
        raise ClipError(f"not a file: {path}")
    try:
        probe = ffprobe(path)
    except FFmpegError:
        raise ClipError(f"not a readable video file: {path.name}") from None
    except PermissionError:
        raise ClipError(f"permission denied reading {path}") from None
    fmt = probe.get("format", {})
    v = next((s for s in probe.get("streams", []) if s.get("codec_type") == "video"), None)
    if v is None:
        raise ClipError(f"no video stream in {path.name}")
    if fmt.get("format_name", "") in _STILL_FORMATS or (v.get("disposition") or {}).get("attached_pic"):
        raise ClipError(f"{path.name} is a still image, not a video clip")
    try:
        duration = float(fmt.get("duration") or v.get("duration") or 0)
    except ValueError:
        duration = 0.0
    if duration <= 0:
        raise ClipError(f"{path.name} has no measurable duration")
    w, h = int(v.get("width") or 0), int(v.get("height") or 0)
    if w <= 0 or h <= 0:
        raise ClipError(f"{path.name} has no picture size")
    rot = 0
    for sd in v.get("side_data_list") or []:
        if "rotation" in sd:
            rot = abs(int(float(sd["rotation"]))) % 180
    if rot == 90:
        w, h = h, w
    return ClipInfo(duration=round(duration, 3), width=w, height=h, codec=v.get("codec_name", "?"))


def keyframe_time(start: float, duration: float) -> float:
    """When the storyboard keyframe is taken: ``start + KEYFRAME_OFFSET`` s, pulled back to
    stay inside a clip that is shorter than that."""
    return max(0.0, min(start + KEYFRAME_OFFSET, duration - 0.05))


def cleanup_chain(cleanup: tuple[str, ...] | list[str]) -> list[str]:
    """The picture clean-up filters for ``cleanup`` names, in a fixed order (denoise, then
    colour); ``fps`` is not among them: frame-rate conversion is always applied separately."""
    filters = cleanup_filters()
    return [filters[c] for c in ("denoise", "color") if c in cleanup]


def extract_keyframe(
    path: Path, at: float, target: Path, *, cleanup: tuple[str, ...] | list[str] = (), max_side: int = 1920,
) -> Image.Image:
    """The frame at ``at`` seconds of the clip, long side at most ``max_side`` px, with the
    clean-up filters applied, as RGB (also written to ``target`` as PNG). Raises
    :class:`ClipError` when FFmpeg yields no frame."""
    vf = cleanup_chain(cleanup) + [f"scale='min({max_side},iw)':'min({max_side},ih)':force_original_aspect_ratio=decrease"]
    res = subprocess.run(  # noqa: S603 - argument list (no shell), program resolved by path
        [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1", "-an",
         "-vf", ",".join(vf), str(target)],
        capture_output=True, text=True, timeout=60,
    )
    if res.returncode != 0 or not target.exists():
        raise ClipError(f"could not read a frame at {at:.2f} s of {path.name}: {res.stderr.strip()[-200:]}")
    with Image.open(target) as im:
        return im.convert("RGB")
