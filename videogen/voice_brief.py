"""Voice briefs (issue 15): a marketer records (or uploads) the brief's message in the wizard and the
GPU worker's Whisper turns it into text that fills the brief's "Message" field.

Flow::

    asset = voice_brief_start(organization=org, user=user, upload=request.FILES["audio"])
    #  1. refuses with a ServiceConflict (→ 409) when no GPU worker that can transcribe is alive
    #     (a heartbeat listing a model of kind "stt" in the last HEARTBEAT_TTL_S s, see gpu_worker.contract);
    #  2. checks the file (:func:`videogen.uploads.check_audio_file`: extension, size ≤ KOLONY_MAX_UPLOAD_MB, ffprobe finds
    #     an audio stream in the container the name says, at most AUDIO_MAX_SECONDS = 300 s long) — ValidationError naming it;
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

import logging
import re
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

from .models import Asset, AssetKind
from .uploads import AUDIO_CONTAINERS, check_audio_file

log = logging.getLogger(__name__)

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
