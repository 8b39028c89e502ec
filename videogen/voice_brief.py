"""Voice briefs (issue 15): a marketer records (or uploads) the brief's message in the wizard and the
GPU worker's Whisper turns it into text that fills the brief's "Message" field.

Flow::

    asset = voice_brief_start(organization=org, user=user, upload=request.FILES["audio"])
    #  1. refuses with a ServiceConflict (→ 409) when no GPU worker that can transcribe is alive
    #     (a heartbeat listing a model of kind "stt" in the last HEARTBEAT_TTL_S s, see gpu_worker.contract);
    #  2. checks the file (:func:`check_audio_file`: extension, size ≤ KOLONY_MAX_UPLOAD_MB, ffprobe finds
    #     an audio stream in the container the name says, ≤ MAX_SECONDS long) — ValidationError naming it;
    #  3. stores it as an AUDIO Asset of the organization (its storage key is the spec's audio_key: the GPU
    #     worker shares only Redis and object storage with us) with ``metadata["voice_brief"]`` =
    #     {"task_id", "requested_at" (Unix s), "status": "pending"};
    #  4. enqueues a ``transcribe`` spec (gpu_worker.contract.TranscribeSpec) on RQ queue ``gpu`` through
    #     kolony.outbox.enqueue_on_commit.
    voice_brief_status(asset=asset)
    #  → {"id", "status": "pending" | "done" | "failed", "text", "language", "message", "note", "words"}
    #    read from the worker's result document in Redis (gpu_worker.contract.read_result); a result, a
    #    failure or a timeout (KOLONY_VOICE_BRIEF_TIMEOUT_S, default 180 s) is written back to the asset's
    #    metadata so later polls answer the same without Redis.

The wizard (templates/videogen/job_new.html + static/videogen/voice_brief.js) shows the control only while
:func:`transcription_available` is true and polls the status URL until the text is back.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from gpu_worker.contract import (
    GPU_QUEUE,
    HEARTBEAT_TTL_S,
    RUN_TASK_FUNC,
    GpuResult,
    Limits,
    TranscribeSpec,
    WorkerAnnouncement,
    live_workers,
    new_task_id,
    read_result,
    request_cancel,
)
from kolony.core.rediscache import REDIS_DOWN_ERRORS
from kolony.core.service_errors import ServiceConflict
from videogen.engine.render.ffmpeg import ffprobe_exe

from .models import Asset, AssetKind

log = logging.getLogger(__name__)

#: Containers ffprobe must find for each accepted extension (``format_name`` is a comma list). The browsers'
#: MediaRecorder writes audio/webm (Chrome, Edge, Firefox ≥ 125), audio/ogg (Firefox) or audio/mp4 (Safari).
AUDIO_CONTAINERS: dict[str, set[str]] = {
    ".webm": {"matroska", "webm"}, ".weba": {"matroska", "webm"},
    ".ogg": {"ogg"}, ".oga": {"ogg"}, ".opus": {"ogg"},
    ".m4a": {"mov", "mp4", "m4a", "3gp"}, ".mp4": {"mov", "mp4", "m4a", "3gp"},
    ".wav": {"wav"}, ".mp3": {"mp3"}, ".flac": {"flac"}, ".aac": {"aac"},
}
CONTENT_TYPES = {".webm": "audio/webm", ".weba": "audio/webm", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
                 ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac",
                 ".aac": "audio/aac"}
#: Longest voice brief accepted (seconds). The brief's message holds at most 500 characters, about 40 s of
#: speech at the usual 150 words a minute; 5 minutes leaves room for pauses and false starts.
MAX_SECONDS = 300
#: Default wait (seconds) for the transcript before the wizard says it timed out
#: (settings.KOLONY_VOICE_BRIEF_TIMEOUT_S overrides it).
DEFAULT_TIMEOUT_S = 180
#: Error kinds of the contract → what the wizard says.
ERROR_WORDS = {
    "oom": "the GPU worker ran out of memory",
    "timeout": "the transcription took too long",
    "cancelled": "the transcription was cancelled",
    "failed": "the transcription failed on the GPU worker",
    "missing_model": "speech recognition (Whisper) is not installed on the GPU worker",
    "bad_input": "the GPU worker could not read the recording",
    "not_available": "the GPU worker cannot transcribe speech",
}
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


def _redis():
    from .generation import _redis as gpu_redis

    return gpu_redis()


def timeout_s() -> float:
    """Seconds the wizard waits for a transcript (``KOLONY_VOICE_BRIEF_TIMEOUT_S``, default 180)."""
    return float(getattr(settings, "KOLONY_VOICE_BRIEF_TIMEOUT_S", DEFAULT_TIMEOUT_S))


def transcribing_workers() -> list[WorkerAnnouncement]:
    """GPU workers alive (heartbeat within ``HEARTBEAT_TTL_S`` s) with a speech-to-text model (kind "stt"),
    newest first; ``[]`` when none or when Redis is unreachable."""
    try:
        return [w for w in live_workers(_redis()) if any(m.kind == "stt" for m in w.models)]
    except (OSError, *REDIS_DOWN_ERRORS) as exc:
        log.warning("GPU worker heartbeat not readable (Redis unreachable): %s", exc)
        return []


def transcription_available() -> bool:
    """True when a GPU worker that can transcribe is alive: the wizard offers "Record a voice brief" only then."""
    return bool(transcribing_workers())


# ------------------------------------------------------------------------------------------ the file check

def _clean(text: str, path: Path, name: str) -> str:
    from .uploads import _clean_tool_message

    return _clean_tool_message(text, path, name)


def _ffprobe(args: list[str], path: Path, name: str) -> subprocess.CompletedProcess:
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
    :data:`MAX_SECONDS` seconds. A browser's MediaRecorder WebM carries no duration in its header, so the
    length is taken from the last audio packet. Returns {duration_seconds, content_type, metadata:
    {codec, container, sample_rate, channels}}. Raises ValidationError whose message names ``name`` (never a
    server path)."""
    ext = ext.lower()
    if ext not in AUDIO_CONTAINERS:
        raise ValidationError(f"{name}: a voice brief must be a WebM, Ogg, M4A, WAV, MP3 or FLAC recording "
                              f"(got '{ext or 'no extension'}').")
    out = _ffprobe(["-print_format", "json", "-show_format", "-show_streams"], path, name)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ValidationError(f"{name} is not a readable audio recording ({_clean(last, path, name)}).")
    info = json.loads(out.stdout or "{}")
    fmt = info.get("format") or {}
    containers = set((fmt.get("format_name") or "").split(","))
    if not containers & AUDIO_CONTAINERS[ext]:
        raise ValidationError(f"{name} is named {ext} but its contents are {fmt.get('format_name') or 'not audio'}.")
    audio = next((s for s in info.get("streams", []) if s.get("codec_type") == "audio"), None)
    if audio is None:
        raise ValidationError(f"{name} has no sound (no audio stream); record again and check the microphone.")
    packets = _ffprobe(["-select_streams", "a:0", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0"], path, name)
    if packets.returncode != 0:
        last = (packets.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ValidationError(f"{name} is damaged or incomplete ({_clean(last, path, name)}). Record or export it again.")
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
    if duration > MAX_SECONDS:
        raise ValidationError(f"{name} is {duration:.0f} s long; a voice brief may be at most {MAX_SECONDS // 60} minutes. "
                              "Say just the ad's message.")
    return {"duration_seconds": round(duration, 3), "content_type": CONTENT_TYPES[ext],
            "metadata": {"codec": audio.get("codec_name"), "container": fmt.get("format_name"),
                         "sample_rate": int(audio.get("sample_rate") or 0), "channels": int(audio.get("channels") or 0)}}


# ------------------------------------------------------------------------------------------ start and poll

def voice_brief_start(*, organization, user, upload, language: str | None = None) -> Asset:
    """Checks and stores an uploaded recording (Django ``UploadedFile``) and asks the GPU worker to
    transcribe it (see the module docstring). ``language``: an ISO 639-1 code such as "en", or None
    to let Whisper detect it. Returns the AUDIO Asset (its id is what the wizard polls).

    Raises ServiceConflict when no GPU worker that can transcribe is alive, ValidationError (one message
    naming the file) for a wrong type, empty, oversized, unreadable, silent-stream or too long file, or
    a bad ``language``. Nothing is stored or enqueued on refusal."""
    from .uploads import _uploaded_path, display_name, max_upload_bytes

    if not transcribing_workers():
        raise ServiceConflict("Voice briefs need a GPU worker that can transcribe speech, and none is running right now. "
                              "Type the brief instead.", current_state="no_worker")
    language = (language or "").strip().lower() or None
    if language is not None and not _LANGUAGE_RE.match(language):
        raise ValidationError(f"Language {language[:20]!r} is not a language code such as 'en' or 'de'.")
    name = display_name(getattr(upload, "name", "") or "voice-brief")
    ext = Path(name).suffix.lower()
    if ext not in AUDIO_CONTAINERS:
        raise ValidationError(f"{name}: a voice brief must be a WebM, Ogg, M4A, WAV, MP3 or FLAC recording "
                              f"(got '{ext or 'no extension'}').")
    size = upload.size or 0
    if size == 0:
        raise ValidationError(f"{name} is empty (0 bytes).")
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationError(f"{name} is {size / 1048576:.2f} MB; a voice brief may be at most {limit / 1048576:g} MB.")
    wait = timeout_s()
    task_id = new_task_id()
    with tempfile.TemporaryDirectory(prefix="kolony-voice-") as tmp:
        path = _uploaded_path(upload, Path(tmp))
        facts = check_audio_file(path, name=name, ext=ext)
        from .uploads import asset_create_from_file

        with transaction.atomic():  # the asset and its GPU task (outbox row) together
            asset = asset_create_from_file(
                organization=organization, user=user, path=path, kind=AssetKind.AUDIO, name=name, extension=ext,
                duration_seconds=facts["duration_seconds"], content_type=facts["content_type"],
                metadata={**facts["metadata"], "voice_brief": {"task_id": task_id, "requested_at": time.time(),
                                                               "status": "pending", "language": language}})
            spec = TranscribeSpec(task_id=task_id, audio_key=str(asset.file.name), language=language, word_timestamps=True,
                                  limits=Limits(timeout_s=max(1.0, wait)),
                                  labels={"organization": organization.pk, "asset": asset.pk, "purpose": "voice_brief"})
            from kolony.outbox.services import enqueue_on_commit

            enqueue_on_commit(GPU_QUEUE, RUN_TASK_FUNC, spec.model_dump(mode="json"), job_id=f"gpu-{task_id}",
                              job_timeout=spec.limits.rq_timeout(), description=f"transcribe voice brief {asset.pk}")
    return asset


def voice_brief_get(*, organization, asset_id: int) -> Asset:
    """The organization's voice-brief recording ``asset_id``. Raises Asset.DoesNotExist otherwise
    (another organization's, or an asset that is no voice brief)."""
    from kolony.tenancy import org_queryset

    return org_queryset(Asset, organization).get(pk=asset_id, kind=AssetKind.AUDIO, metadata__has_key="voice_brief")


def _message_limit() -> int:
    from .forms import BriefForm

    return int(getattr(BriefForm.base_fields["text_prompt"], "max_length", 500) or 500)


def _document(asset: Asset, state: dict) -> dict:
    return {"id": asset.pk, "status": state.get("status", "pending"), "text": state.get("text", ""),
            "language": state.get("language") or "", "message": state.get("message", ""), "note": state.get("note", ""),
            "words": state.get("words", 0), "seconds": state.get("seconds", 0.0)}


def _save(asset: Asset, state: dict) -> None:
    asset.metadata = {**(asset.metadata or {}), "voice_brief": state}
    asset.save(update_fields=["metadata"])


def _from_result(result: GpuResult, state: dict) -> dict:
    state = {**state, "seconds": round(float(result.seconds or 0), 3), "gpu_seconds": round(float(result.gpu_seconds or 0), 3)}
    if not result.ok or result.transcript is None:
        kind = str(result.error_kind or "failed")
        words = ERROR_WORDS.get(kind, ERROR_WORDS["failed"])
        return {**state, "status": "failed", "error_kind": kind, "error": (result.error or "")[:500],
                "message": f"The voice brief could not be transcribed: {words}. Try again, or type the brief."}
    text = " ".join(result.transcript.text.split())
    if not text:
        return {**state, "status": "failed", "error_kind": "no_speech",
                "message": "No speech was heard in the recording. Record again closer to the microphone, or type the brief."}
    limit = _message_limit()
    note = (f"The transcript is {len(text)} characters; the message holds at most {limit}. Shorten it before planning."
            if len(text) > limit else "")
    return {**state, "status": "done", "text": text, "language": result.transcript.language or state.get("language") or "",
            "words": len(result.transcript.words), "note": note}


def voice_brief_status(*, asset: Asset, now: float | None = None) -> dict:
    """Where the transcription of voice brief ``asset`` stands: {"id", "status": "pending" | "done" |
    "failed", "text" (the transcript, whitespace collapsed), "language", "message" (why it failed, for
    the marketer), "note" (e.g. the transcript is longer than the message field holds), "words" (count of
    word timestamps), "seconds" (the worker's wall seconds)}. Past :func:`timeout_s` seconds without a
    result the task is cancelled and the answer is "failed" with a timeout message. A Redis outage
    answers "pending" (the wizard keeps polling until its own deadline)."""
    state = dict((asset.metadata or {}).get("voice_brief") or {})
    if state.get("status") in ("done", "failed"):
        return _document(asset, state)
    task_id = str(state.get("task_id") or "")
    try:
        result = read_result(_redis(), task_id) if task_id else None
    except (OSError, ValueError, *REDIS_DOWN_ERRORS) as exc:
        log.warning("transcript of voice brief %s unreadable: %s", asset.pk, exc)
        return _document(asset, state)
    if result is not None:
        state = _from_result(result, state)
        _save(asset, state)
        return _document(asset, state)
    now = time.time() if now is None else now
    wait = timeout_s()
    if now - float(state.get("requested_at") or now) > wait:
        try:
            request_cancel(_redis(), task_id)
        except (OSError, *REDIS_DOWN_ERRORS) as exc:
            log.warning("could not ask GPU task %s to stop: %s", task_id, exc)
        alive = transcription_available()
        why = ("the GPU worker is busy" if alive
               else f"no GPU worker that can transcribe has been seen in the last {HEARTBEAT_TTL_S} s")
        state = {**state, "status": "failed", "error_kind": "timeout",
                 "message": f"The voice brief was not transcribed within {wait:g} s ({why}). Try again, or type the brief."}
        _save(asset, state)
    return _document(asset, state)


def voice_brief_summary(asset: Asset) -> dict[str, Any]:
    """The JSON answer to an upload: {"id", "status": "pending", "status_url"}."""
    from django.urls import reverse

    return {"id": asset.pk, "status": "pending", "name": asset.original_name,
            "duration_seconds": asset.duration_seconds,
            "status_url": reverse("videogen:voice_brief_status", args=[asset.pk])}
