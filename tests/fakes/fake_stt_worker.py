"""A stand-in for the GPU worker's speech-to-text (tests only), in the manner of
:mod:`tests.fakes.fake_gpu_worker`: a heartbeat listing a Whisper model (kind "stt"), ``transcribe``
specs taken from the RQ queue ``gpu``, the recording read back from object storage at
``spec.audio_key`` (so a test proves the Studio stored it where the worker looks), and a result
document in Redis with a fixed transcript — or a failure the way the real worker answers
(``failed``, ``missing_model``, ``oom``, ``bad_input``), ``empty`` (no speech heard) or ``silent``
(never answers)."""

from __future__ import annotations

import os
import time

from django.core.files.storage import default_storage

from gpu_worker.contract import (
    HEARTBEAT_TTL_S,
    WORKERS_ZSET,
    ErrorKind,
    GpuResult,
    ModelInfo,
    ModelUsed,
    TranscriptOutput,
    Word,
    WorkerAnnouncement,
    result_redis_key,
    worker_key,
)

from .fake_gpu_worker import FakeGpuWorker

TRANSCRIPT = "Cold brew that wakes you up gently. Order today and get free delivery."
MESSAGES = {"failed": "RuntimeError: the decoder produced NaNs",
            "missing_model": "model 'whisper' not found: expected its weights in /models/whisper",
            "oom": "CUDA out of memory. Tried to allocate 1.00 GiB",
            "bad_input": "'uploads/x.webm': the audio could not be decoded"}


def announce_stt(redis, name: str = "fake-stt", *, kinds: tuple[str, ...] = ("stt",), age_s: float = 0.0) -> None:
    """A heartbeat ``age_s`` seconds old of a worker holding one model per kind in ``kinds``
    ("stt" → Whisper, "clip" → LTX-Video)."""
    now = time.time() - age_s
    ids = {"stt": "whisper", "clip": "ltx-video", "tts": "kokoro-82m", "score": "clip"}
    ann = WorkerAnnouncement(name=name, host="test-host", pid=os.getpid(), device="cpu",
                             models=[ModelInfo(id=ids[k], kind=k, path=f"/models/{ids[k]}") for k in kinds],
                             started_at=now, last_seen=now)
    redis.set(worker_key(name), ann.model_dump_json(), ex=HEARTBEAT_TTL_S * 4)
    redis.zadd(WORKERS_ZSET, {name: now})


class FakeSttWorker(FakeGpuWorker):
    """``behaviour``: "ok" | "empty" | "failed" | "missing_model" | "oom" | "bad_input" | "silent".
    ``audio`` collects the bytes of every recording it read, ``specs`` every spec."""

    def __init__(self, redis, behaviour: str = "ok", text: str = TRANSCRIPT):
        super().__init__(redis, behaviour)
        self.text = text
        self.audio: list[bytes] = []

    def _run(self, spec) -> None:
        assert spec.kind == "transcribe", spec
        if self.behaviour == "silent":
            return
        with default_storage.open(spec.audio_key, "rb") as fh:
            self.audio.append(fh.read())
        base = {"task_id": spec.task_id, "kind": spec.kind, "labels": spec.labels, "worker": "fake-stt", "device": "cpu"}
        if self.behaviour in MESSAGES:
            result = GpuResult(**base, ok=False, error_kind=ErrorKind(self.behaviour), error=MESSAGES[self.behaviour])
        else:
            text = "" if self.behaviour == "empty" else self.text
            words = [Word(word=w, start=i * 0.4, end=i * 0.4 + 0.3) for i, w in enumerate(text.split())]
            result = GpuResult(**base, ok=True, seconds=1.2, gpu_seconds=0.8,
                               model=ModelUsed(id="whisper", pipeline="AutomaticSpeechRecognitionPipeline"),
                               transcript=TranscriptOutput(text=f" {text} ", language=spec.language or "en", words=words))
        self.redis.set(result_redis_key(spec.task_id), result.model_dump_json(), ex=3600)
