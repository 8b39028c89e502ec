"""Checking and storing uploads (photos, logos, clips) as :class:`~videogen.models.Asset` rows.

An upload is refused — with a message naming the problem — when it is empty, over the size limit
(``settings.KOLONY_MAX_UPLOAD_MB``), not what its extension says (the bytes are sniffed by Pillow or
ffprobe), corrupt, or an image that is a decompression bomb. Nothing is stored on refusal.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import subprocess
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from PIL import Image

from videogen.engine.brief import check_image
from videogen.engine.render.ffmpeg import ffmpeg_exe, ffprobe_exe

from .models import Asset, AssetKind

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
VIDEO_CONTAINERS = {
    ".mp4": {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"},
    ".m4v": {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"},
    ".mov": {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"},
    ".webm": {"matroska", "webm"},
    ".mkv": {"matroska", "webm"},
}


# Seconds one decode-check point may take (each decodes 3 frames after a seek; well under 1 s).
DECODE_CHECK_TIMEOUT = 60
_PATHS_RE = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'\"]+)+/?")


def _clean_tool_message(text: str, path: Path, name: str) -> str:
    """An ffprobe/FFmpeg message fit for a user: the server path replaced by the file's name, any
    other path removed, FFmpeg's ``[h264 @ 0x…]`` prefixes dropped."""
    text = text.replace(str(path), name).replace(str(path.parent), "")
    text = re.sub(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", text)
    text = _PATHS_RE.sub("", text)
    return " ".join(text.split()).strip(" :") or "unknown error"


def probe(path: Path, name: str = "the file") -> dict:
    """ffprobe's JSON (format + streams) for a media file. Raises ValidationError when unreadable;
    its message names ``name``, never a server path."""
    try:
        out = subprocess.run(  # noqa: S603 — fixed arguments, the path is our own temp file
            [ffprobe_exe(), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
            capture_output=True, text=True, timeout=60, check=False,
        )
    except FileNotFoundError as exc:
        raise ValidationError("ffprobe is not installed on the server (Debian package ffmpeg).") from exc
    except subprocess.TimeoutExpired as exc:
        raise ValidationError(f"{name} took too long to read; it may be corrupt.") from exc
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ValidationError(f"{name} is not a readable video ({_clean_tool_message(last, path, name)}).")
    return json.loads(out.stdout or "{}")


def decode_check(path: Path, name: str, duration: float) -> None:
    """Decodes a bounded sample of the first video stream with FFmpeg: a few frames at the start,
    at 25 %, 50 % and 75 % of ``duration`` (s, what the container claims) and 0.5 s before its end —
    ``-v error -ss T -i … -frames:v 3 -f framemd5 -`` per point, each bounded by
    :data:`DECODE_CHECK_TIMEOUT` s — so the cost doesn't grow with the file. A truncated or
    damaged clip (its header claiming more than its data holds) yields no frame at some point.
    Raises ValidationError naming the file, the point and the duration it claims."""
    points = sorted({0.0, *(round(duration * f, 3) for f in (0.25, 0.5, 0.75)), round(max(0.0, duration - 0.5), 3)})
    for at in points:
        try:
            out = subprocess.run(  # noqa: S603 — fixed arguments, the path is our own temp file
                [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-ss", f"{at:.3f}", "-i", str(path), "-map", "0:v:0",
                 "-frames:v", "3", "-f", "framemd5", "-"],
                capture_output=True, text=True, timeout=DECODE_CHECK_TIMEOUT, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ValidationError(f"{name} took too long to decode; it may be corrupt.") from exc
        frames = sum(1 for line in out.stdout.splitlines() if line.strip() and not line.startswith("#"))
        if out.returncode != 0 or frames == 0:
            problems = [line for line in out.stderr.splitlines() if line.strip()]
            detail = _clean_tool_message(problems[-1], path, name) if problems else "no picture there"
            raise ValidationError(
                f"{name} is damaged or incomplete: its header says {duration:g} s, but no video can be decoded at "
                f"{at:g} s ({detail}). Export or download it again and re-upload.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_image(path: Path, ext: str, name: str) -> dict:
    problems = check_image(path, "file")
    if problems:
        raise ValidationError(problems[0].removeprefix("file: ").replace(str(path), name).replace(path.name, name))
    with Image.open(path) as im:
        if im.format != IMAGE_FORMATS[ext]:
            raise ValidationError(f"{name} is named {ext} but is really a {im.format or 'unknown'} file.")
        return {"width": im.size[0], "height": im.size[1], "content_type": Image.MIME.get(im.format, ""),
                "metadata": {"format": im.format, "mode": im.mode, "has_alpha": "A" in im.getbands() or "transparency" in im.info}}


def _check_video(path: Path, ext: str, name: str) -> dict:
    info = probe(path, name)
    containers = set((info.get("format", {}).get("format_name") or "").split(","))
    if not containers & VIDEO_CONTAINERS[ext]:
        raise ValidationError(f"{name} is named {ext} but its contents are {info.get('format', {}).get('format_name') or 'not video'}.")
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None:
        raise ValidationError(f"{name} has no video stream.")
    try:
        duration = float(info["format"].get("duration") or video.get("duration"))
    except (TypeError, ValueError, KeyError):
        raise ValidationError(f"{name} has no readable duration; the file may be truncated.") from None
    if duration <= 0:
        raise ValidationError(f"{name} is empty (0 s).")
    try:  # the video stream's own length (the container's may include longer audio)
        video_seconds = float(video.get("duration") or duration)
    except (TypeError, ValueError):
        video_seconds = duration
    decode_check(path, name, round(min(duration, video_seconds), 3))
    num, _, den = (video.get("avg_frame_rate") or "0/1").partition("/")
    fps = float(num) / float(den) if float(den or 0) else None
    return {
        "width": int(video.get("width") or 0), "height": int(video.get("height") or 0),
        "duration_seconds": round(duration, 3), "content_type": "video/webm" if ext == ".webm" else "video/mp4",
        "metadata": {"codec": video.get("codec_name"), "fps": round(fps, 3) if fps else None,
                     "has_audio": any(s.get("codec_type") == "audio" for s in info.get("streams", [])),
                     "container": info["format"].get("format_name")},
    }


# A photo enlarged by more than this to fit a frame looks soft (blurry edges, visible JPEG blocks).
SOFT_UPSCALE = 1.5


def photo_size_warnings(*, width: int | None, height: int | None, ratios=None) -> list[dict]:
    """Warnings (not refusals) for a photo of ``width``×``height`` px that the renderer would have
    to enlarge by more than :data:`SOFT_UPSCALE` to fit a frame of one of ``ratios`` (default:
    every format). The enlargement is the least any layout needs — the whole photo fitted inside
    the frame, ``min(frame width / width, frame height / height)``; filling the frame needs more.
    Returns ``[{ratio, frame: "1080×1920", upscale: 2.39, min_width, min_height, message}]``,
    e.g. "451×300 is small for 9:16 (1080×1920): it would be enlarged 2.4× and will look soft. Use a
    photo at least 720 px wide or 1280 px tall."; empty when the size is unknown or large enough."""
    import math

    from videogen.engine.render.formats import FORMATS, RATIOS

    if not width or not height:
        return []
    out = []
    for ratio in [r for r in (ratios or RATIOS) if r in FORMATS]:
        spec = FORMATS[ratio]
        upscale = min(spec.width / width, spec.height / height)
        if upscale <= SOFT_UPSCALE:
            continue
        min_w, min_h = math.ceil(spec.width / SOFT_UPSCALE), math.ceil(spec.height / SOFT_UPSCALE)
        out.append({
            "ratio": ratio, "size": f"{width}×{height}", "frame": f"{spec.width}×{spec.height}", "upscale": round(upscale, 2),
            "min_width": min_w, "min_height": min_h,
            "message": f"{width}×{height} is small for {ratio} ({spec.width}×{spec.height}): it would be enlarged "
                       f"{upscale:.1f}× and will look soft. Use a photo at least {min_w} px wide or {min_h} px tall.",
        })
    return out


def photo_size_summary(warnings: list[dict]) -> str:
    """One sentence for a list from :func:`photo_size_warnings` (the storyboard shows one per
    scene, not one per format), to follow "… will look soft:": e.g. "600×400 is small for 9:16, 1:1
    and 16:9: it would be enlarged up to 2.7×. Use a photo at least 1280 px wide." (a width that
    suits every listed format); "" for none."""
    if not warnings:
        return ""
    if len(warnings) == 1:
        w = warnings[0]
        return (f"{w['size']} is small for {w['ratio']} ({w['frame']}): it would be enlarged {w['upscale']:.1f}×. "
                f"Use a photo at least {w['min_width']} px wide or {w['min_height']} px tall.")
    ratios = [w["ratio"] for w in warnings]
    listed = ", ".join(ratios[:-1]) + " and " + ratios[-1]
    upscale = max(w["upscale"] for w in warnings)
    return (f"{warnings[0]['size']} is small for {listed}: it would be enlarged up to {upscale:.1f}×. "
            f"Use a photo at least {max(w['min_width'] for w in warnings)} px wide.")


def asset_warnings(asset: Asset, ratios=None) -> list[dict]:
    """:func:`photo_size_warnings` for a photo asset (kind image); [] for other kinds."""
    if asset.kind != AssetKind.IMAGE:
        return []
    return photo_size_warnings(width=asset.width, height=asset.height, ratios=ratios)


def display_name(filename: str, limit: int = 200) -> str:
    """The upload's name without folders, at most ``limit`` characters: a longer stem is cut
    (ending in "…"), the extension is always kept."""
    name = Path(str(filename).replace("\\", "/")).name or "upload"
    if len(name) <= limit:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""
    return name[: limit - len(suffix) - 1] + "…" + suffix


def max_upload_bytes() -> int:
    """The largest upload accepted, in bytes (``KOLONY_MAX_UPLOAD_MB``)."""
    from kolony.core.upload_limit import max_upload_bytes as limit

    return limit()


def _uploaded_path(upload, workdir: Path) -> Path:
    """A filesystem path holding the upload's bytes (Django keeps big uploads in a temp file)."""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path())
    target = workdir / "upload"
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target


def check_video_file(file, *, name: str, ext: str) -> dict:
    """Probes and decode-checks an uploaded video (Django ``File``/``UploadedFile``) the way Studio
    clips are checked — container matching ``ext``, a video stream, a duration, every packet
    readable — and returns its facts {width, height, duration_seconds, content_type, metadata}.
    The file's position is restored. Raises ValidationError with a message naming ``name``."""
    position = file.tell() if hasattr(file, "tell") else None
    try:
        if hasattr(file, "seek"):
            file.seek(0)
        with tempfile.TemporaryDirectory(prefix="kolony-upload-") as tmp:
            return _check_video(_uploaded_path(file, Path(tmp)), ext.lower(), name)
    finally:
        if position is not None:
            file.seek(position)


def asset_create_from_upload(*, organization, user, upload, kind: str | None = None) -> Asset:
    """Checks an uploaded file and stores it as an Asset.

    ``upload``: a Django ``UploadedFile``. ``kind``: image, logo or video; inferred from the
    extension when None. Raises ValidationError (one message) for an empty, oversized, mislabelled,
    corrupt or bomb file; nothing is stored then.
    """
    name = display_name(upload.name or "upload")
    ext = Path(name).suffix.lower()
    if kind is None:
        kind = AssetKind.IMAGE if ext in IMAGE_FORMATS else AssetKind.VIDEO if ext in VIDEO_CONTAINERS else ""
    if kind in (AssetKind.IMAGE, AssetKind.LOGO) and ext not in IMAGE_FORMATS:
        raise ValidationError(f"{name}: photos and logos must be PNG, JPEG or WebP (got '{ext or 'no extension'}').")
    if kind == AssetKind.VIDEO and ext not in VIDEO_CONTAINERS:
        raise ValidationError(f"{name}: clips must be MP4, MOV, M4V, WebM or MKV (got '{ext or 'no extension'}').")
    if kind not in (AssetKind.IMAGE, AssetKind.LOGO, AssetKind.VIDEO):
        raise ValidationError(f"{name}: unsupported file type '{ext or 'no extension'}'; "
                              "upload a photo (PNG, JPEG, WebP) or a clip (MP4, MOV, WebM).")
    size = upload.size or 0
    if size == 0:
        raise ValidationError(f"{name} is empty (0 bytes).")
    if size > max_upload_bytes():
        raise ValidationError(f"{name} is {size / 1048576:.1f} MB; the limit is {max_upload_bytes() // 1048576} MB.")
    with tempfile.TemporaryDirectory(prefix="kolony-upload-") as tmp:
        path = _uploaded_path(upload, Path(tmp))
        facts = _check_video(path, ext, name) if kind == AssetKind.VIDEO else _check_image(path, ext, name)
        with transaction.atomic():  # the asset and its footage analysis job (outbox row) together
            asset = asset_create_from_file(
                organization=organization, user=user, path=path, kind=kind, name=name, extension=ext,
                width=facts.get("width"), height=facts.get("height"), duration_seconds=facts.get("duration_seconds"),
                content_type=facts.get("content_type", ""), metadata=facts.get("metadata", {}),
            )
            if kind == AssetKind.VIDEO:
                from kolony.outbox.services import enqueue_on_commit

                enqueue_on_commit("default", "videogen.tasks.footage_analyse_task", asset.pk, job_timeout=600,
                                  job_id=f"footage-{asset.pk}-{secrets.token_hex(4)}")
    return asset


def asset_create_from_file(*, organization, user, path: Path, kind: str, name: str | None = None, metadata=None,
                           extension: str | None = None, **facts) -> Asset:
    """Stores a file as an Asset (uploads after their checks; renders and poster frames as made).
    The stored name is content-addressed (checksum + extension); if the row cannot be saved, the
    stored file is removed again. ``facts``: width, height, duration_seconds, content_type."""
    path = Path(path)
    checksum = _sha256(path)
    with open(path, "rb") as fh:
        asset = Asset(
            organization=organization, kind=kind, original_name=name or path.name, size_bytes=path.stat().st_size,
            checksum=checksum, created_by=user, metadata=metadata or {}, **facts,
        )
        asset.file.save(f"{checksum[:16]}{extension or path.suffix.lower()}", File(fh), save=False)
    try:
        asset.save()
    except Exception:
        asset.file.delete(save=False)
        raise
    return asset


def asset_local_path(asset: Asset, workdir: Path) -> Path:
    """A local path to the asset's bytes: the file itself on local storage, else a copy in ``workdir``."""
    try:
        return Path(asset.file.path)
    except NotImplementedError:  # remote storage (S3)
        target = Path(workdir) / f"asset-{asset.pk}{Path(asset.file.name or '').suffix}"
        if not target.exists():
            with asset.file.open("rb") as src, open(target, "wb") as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    dst.write(chunk)
        return target


# --- audio (voice briefs, issue 15) -----------------------------------------------------------------------

#: Containers ffprobe must find for each accepted extension (``format_name`` is a comma list). The browsers'
#: MediaRecorder writes audio/webm (Chrome, Edge, Firefox ≥ 125), audio/ogg (Firefox) or audio/mp4 (Safari).
AUDIO_CONTAINERS: dict[str, set[str]] = {
    ".webm": {"matroska", "webm"}, ".weba": {"matroska", "webm"},
    ".ogg": {"ogg"}, ".oga": {"ogg"}, ".opus": {"ogg"},
    ".m4a": {"mov", "mp4", "m4a", "3gp"}, ".mp4": {"mov", "mp4", "m4a", "3gp"},
    ".wav": {"wav"}, ".mp3": {"mp3"}, ".flac": {"flac"}, ".aac": {"aac"},
}
AUDIO_CONTENT_TYPES = {".webm": "audio/webm", ".weba": "audio/webm", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
                       ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac",
                       ".aac": "audio/aac"}
#: Longest voice brief accepted (seconds). The brief's message holds at most 500 characters, about 40 s of
#: speech at the usual 150 words a minute; 5 minutes leaves room for pauses and false starts.
AUDIO_MAX_SECONDS = 300


def _ffprobe_run(args: list[str], path: Path, name: str) -> subprocess.CompletedProcess:
    """ffprobe ``args`` on ``path``; ValidationError naming ``name`` when ffprobe is missing or hangs."""
    try:
        return subprocess.run([ffprobe_exe(), "-v", "error", *args, str(path)],  # noqa: S603 - fixed arguments, our temp file
                              capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise ValidationError("ffprobe is not installed on the server (Debian package ffmpeg).") from exc
    except subprocess.TimeoutExpired as exc:
        raise ValidationError(f"{name} took too long to read; it may be corrupt.") from exc


def check_audio_file(path: Path, *, name: str, ext: str) -> dict:
    """Checks an audio recording with ffprobe: the container matches ``ext`` (:data:`AUDIO_CONTAINERS`),
    it has an audio stream, every audio packet reads, and it lasts more than 0 and at most
    :data:`AUDIO_MAX_SECONDS` seconds. A browser's MediaRecorder WebM carries no duration in its header, so the
    length is taken from the last audio packet. Returns {duration_seconds, content_type, metadata:
    {codec, container, sample_rate, channels}}. Raises ValidationError whose message names ``name`` (never a
    server path)."""
    ext = ext.lower()
    if ext not in AUDIO_CONTAINERS:
        raise ValidationError(f"{name}: a voice brief must be a WebM, Ogg, M4A, WAV, MP3 or FLAC recording "
                              f"(got '{ext or 'no extension'}').")
    out = _ffprobe_run(["-print_format", "json", "-show_format", "-show_streams"], path, name)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ValidationError(f"{name} is not a readable audio recording ({_clean_tool_message(last, path, name)}).")
    info = json.loads(out.stdout or "{}")
    fmt = info.get("format") or {}
    containers = set((fmt.get("format_name") or "").split(","))
    if not containers & AUDIO_CONTAINERS[ext]:
        raise ValidationError(f"{name} is named {ext} but its contents are {fmt.get('format_name') or 'not audio'}.")
    audio = next((s for s in info.get("streams", []) if s.get("codec_type") == "audio"), None)
    if audio is None:
        raise ValidationError(f"{name} has no sound (no audio stream); record again and check the microphone.")
    packets = _ffprobe_run(["-select_streams", "a:0", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0"], path, name)
    if packets.returncode != 0:
        last = (packets.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ValidationError(f"{name} is damaged or incomplete ({_clean_tool_message(last, path, name)}). Record or export it again.")
    end = 0.0
    for line in packets.stdout.splitlines():
        pts, _, dur = line.strip().partition(",")
        try:
            end = max(end, float(pts) + (float(dur) if dur and dur != "N/A" else 0.0))
        except ValueError:
            continue
    try:
        declared = float(fmt.get("duration") or 0)
    except ValueError:
        declared = 0.0
    duration = end or declared
    if duration <= 0:
        raise ValidationError(f"{name} is empty (0 s of sound).")
    if duration > AUDIO_MAX_SECONDS:
        raise ValidationError(f"{name} is {duration:.0f} s long; a voice brief may be at most {AUDIO_MAX_SECONDS // 60} minutes. "
                              "Say just the ad's message.")
    return {"duration_seconds": round(duration, 3), "content_type": AUDIO_CONTENT_TYPES[ext],
            "metadata": {"codec": audio.get("codec_name"), "container": fmt.get("format_name"),
                         "sample_rate": int(audio.get("sample_rate") or 0), "channels": int(audio.get("channels") or 0)}}
