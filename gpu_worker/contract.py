"""The GPU job contract: what the Studio sends the GPU worker and what it gets back (schema version 1).

Everything here is plain pydantic + Redis names: no Django, no torch. The Studio imports this module to
build and validate specs; the worker (``python -m gpu_worker``) imports it to read them.

Flow::

    spec = GenerateClipSpec(prompt=..., seed=7, output_key="gpu/job-12/scene-3.mp4",
                            progress=ProgressTarget(group="video-job-12", job_id=12, start_percent=20, end_percent=60),
                            reply=ReplyTo(queue="render", func="videogen.gpu_jobs.collect"))
    enqueue_on_commit(GPU_QUEUE, RUN_TASK_FUNC, spec.model_dump(mode="json"), job_timeout=spec.limits.rq_timeout())
    # the worker runs it and then
    #   * stores the GpuResult JSON under result_redis_key(task_id) (RESULT_TTL_S) and, when spec.result_key is
    #     set, in object storage at that key,
    #   * returns the same dict from the RQ job (job.return_value()),
    #   * when spec.reply is set, enqueues ``reply.func(result_dict, *reply.args)`` on ``reply.queue``.

Locations are *storage keys*, never filesystem paths: the worker may run on a machine that shares only
Redis and object storage with the web app. A key is the name the app's default storage uses (Django's
``FileSystemStorage`` under KOLONY_MEDIA_ROOT, or django-storages' S3 bucket KOLONY_S3_BUCKET), so
``default_storage.open(key)`` in the Studio reads what the worker wrote (see ``gpu_worker.storage``).

Redis names (all on REDIS_URL, the app's Redis):

* RQ queue ``gpu`` (GPU_QUEUE); job function ``gpu_worker.jobs.run_task`` (RUN_TASK_FUNC).
* Heartbeat: ``kolony:gpu:worker:<name>`` holds a WorkerAnnouncement JSON (expires after
  HEARTBEAT_TTL_S; refreshed every HEARTBEAT_EVERY_S), and the sorted set ``kolony:gpu:workers``
  has every worker name scored by its last-seen Unix time. ``live_workers(redis)`` reads them.
* Cancel flag: ``kolony:gpu:cancel:<task_id>`` (``request_cancel(redis, task_id)``); the worker checks it
  on every denoise step and interrupts the pipeline (``pipe._interrupt``).
* Result: ``kolony:gpu:result:<task_id>`` (``read_result(redis, task_id)``).
* Progress: Channels groups on the same channels_redis layer as the Studio (prefix
  KOLONY_CHANNEL_PREFIX, default ``kolony``). The worker sends ``{"type": "job.progress", "message": m}``
  to ``spec.progress.group`` (the job page's ``video-job-<id>``, see videogen/progress.py) with
  ``m = {"type": "progress", "job": job_id, "progress": 0-100 (mapped into [start_percent, end_percent]),
  "phase": "<phase_label>: denoise step 3/30", "status": "running", "active": True, "error": "",
  "sent_at": unix_time, "gpu": {"task_id", "kind", "phase", "step", "steps", "fraction"}}``
  and the same message to ``task_group(task_id)`` (``gpu-task-<task_id>``) for anyone following one task.
  Phases: ``load``, ``text_encode``, ``denoise`` (per step), ``vae_decode``, ``mp4_encode``, ``score``,
  ``upload`` (clips); ``load``, ``synthesize``/``transcribe``/``score``, ``upload`` for the others.
"""

from __future__ import annotations

import json
import time
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

SCHEMA_VERSION: Literal[1] = 1

GPU_QUEUE = "gpu"
RUN_TASK_FUNC = "gpu_worker.jobs.run_task"

KEY_PREFIX = "kolony:gpu"
WORKERS_ZSET = f"{KEY_PREFIX}:workers"
HEARTBEAT_EVERY_S = 5.0
HEARTBEAT_TTL_S = 30
CANCEL_TTL_S = 24 * 3600
RESULT_TTL_S = 7 * 24 * 3600

#: Clip models the worker knows (directory names under KOLONY_MODELS_DIR; gpu_worker.catalog has the
#: Hugging Face ids to download into them). "auto" lets the router choose by priority.
CLIP_MODELS = ("ltx-video", "wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p", "wan2.2-ti2v-5b")
ModelPreference = Literal["auto", "ltx-video", "wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p", "wan2.2-ti2v-5b"]
Priority = Literal["speed", "balanced", "quality"]

#: CLIP score (cosine similarity of image and text embeddings, x1 not x100) under which a generated clip is
#: regenerated with a new seed. 0.25 is the issue's default; see the report for the measurement.
DEFAULT_MIN_CLIP_SCORE = 0.25
MAX_REGENERATIONS = 2


def worker_key(name: str) -> str:
    return f"{KEY_PREFIX}:worker:{name}"


def cancel_key(task_id: str) -> str:
    return f"{KEY_PREFIX}:cancel:{task_id}"


def result_redis_key(task_id: str) -> str:
    return f"{KEY_PREFIX}:result:{task_id}"


def task_group(task_id: str) -> str:
    """Channels group carrying the progress of one GPU task (valid group name: ASCII, < 100 chars)."""
    return f"gpu-task-{task_id}"


def new_task_id() -> str:
    return uuid.uuid4().hex


# --- specs -------------------------------------------------------------------------------------------------

class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Limits(_Doc):
    """timeout_s: wall-clock seconds for the whole task (load + run + upload); past it the worker interrupts
    the pipeline and answers error_kind "timeout". max_vram_gb: the most GPU memory the task may plan for
    (None: whatever the card has); the model manager picks offload / tiling / FP8 to stay under it."""

    timeout_s: float = Field(default=900.0, gt=0, le=3 * 3600)
    max_vram_gb: float | None = Field(default=None, gt=0)

    def rq_timeout(self) -> int:
        """RQ job_timeout (seconds): the task's own timeout plus a margin to write the result."""
        return int(self.timeout_s) + 60


class ProgressTarget(_Doc):
    """Where live progress goes: ``group`` on the Studio's channel layer (e.g. ``video-job-12``), with the
    task's 0..1 progress mapped into [start_percent, end_percent] of the job's bar."""

    group: str = Field(min_length=1, max_length=99, pattern=r"^[a-zA-Z0-9_.\-]+$")
    job_id: int | None = None
    start_percent: float = Field(default=0.0, ge=0, le=100)
    end_percent: float = Field(default=100.0, ge=0, le=100)
    phase_label: str = Field(default="Generating", max_length=80)

    @model_validator(mode="after")
    def _ordered(self) -> ProgressTarget:
        if self.end_percent < self.start_percent:
            raise ValueError("progress.end_percent must be >= progress.start_percent")
        return self


class ReplyTo(_Doc):
    """After the task the worker enqueues ``func(result_dict, *args)`` on RQ queue ``queue`` (by dotted path;
    the GPU worker never imports it). That is how a Django-side worker collects the result."""

    queue: str = Field(min_length=1)
    func: str = Field(min_length=3, pattern=r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*$")
    args: list[Any] = Field(default_factory=list)


class _TaskBase(_Doc):
    schema_version: Literal[1] = SCHEMA_VERSION
    task_id: str = Field(default_factory=new_task_id, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    limits: Limits = Field(default_factory=Limits)
    progress: ProgressTarget | None = None
    reply: ReplyTo | None = None
    #: Where the worker also writes the GpuResult JSON in object storage (optional).
    result_key: str | None = None
    #: Free-form labels for the trace (org id, job id, scene index); the worker copies them to the result.
    labels: dict[str, str | int] = Field(default_factory=dict)

    @field_validator("result_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return None if v is None else check_key(v)


def check_key(key: str) -> str:
    """A storage key: relative, '/'-separated, no '..', no backslash, no NUL. Raises ValueError naming it."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key or any(p in ("", "..", ".") for p in key.split("/")):
        raise ValueError(f"storage key {key!r} must be a relative path like 'gpu/job-1/clip.mp4' (no '..', no leading '/')")
    return key


StorageKey = Annotated[str, Field(min_length=1, max_length=1024)]


class GenerateClipSpec(_TaskBase):
    """A generated clip (text-to-video, or image-to-video from first_frame_key [+ last_frame_key]).

    Sizes follow the models: width/height multiples of 32 (LTX-Video needs 32, Wan 16); num_frames of the
    form 8k+1 (LTX) — the worker rounds to the chosen model's rule (4k+1 for Wan) and says so in warnings.
    steps = num_inference_steps; guidance = classifier-free guidance scale.
    """

    kind: Literal["generate_clip"] = "generate_clip"
    prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str = Field(default="", max_length=2000)
    first_frame_key: StorageKey | None = None
    last_frame_key: StorageKey | None = None
    width: int = Field(default=768, ge=32, le=1920)
    height: int = Field(default=512, ge=32, le=1920)
    num_frames: int = Field(default=121, ge=1, le=257)
    fps: int = Field(default=24, ge=1, le=60)
    steps: int = Field(default=30, ge=1, le=200)
    guidance: float = Field(default=3.0, ge=0, le=30)
    seed: int = Field(default=0, ge=0, lt=2**32)
    model: ModelPreference = "auto"
    priority: Priority = "balanced"
    #: CLIP prompt-adherence gate: regenerate with seed+1… while under it (None: no gate).
    min_clip_score: float | None = Field(default=DEFAULT_MIN_CLIP_SCORE, ge=0, le=1)
    max_regenerations: int = Field(default=MAX_REGENERATIONS, ge=0, le=MAX_REGENERATIONS)
    output_key: StorageKey

    @field_validator("first_frame_key", "last_frame_key", "output_key")
    @classmethod
    def _keys(cls, v: str | None) -> str | None:
        return None if v is None else check_key(v)

    @model_validator(mode="after")
    def _frames(self) -> GenerateClipSpec:
        if self.width % 32 or self.height % 32:
            raise ValueError(f"width and height must be multiples of 32 (got {self.width}x{self.height})")
        if self.last_frame_key and not self.first_frame_key:
            raise ValueError("last_frame_key needs first_frame_key")
        return self

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps


class SynthesizeSpeechSpec(_TaskBase):
    """Neural speech (Kokoro-82M) for ``text`` with ``voice`` (a Kokoro voice id such as "af_heart"), written as
    a 24 kHz mono 16-bit WAV at output_key. speed: 0.5–2.0 (1 = the voice's natural rate)."""

    kind: Literal["synthesize_speech"] = "synthesize_speech"
    text: str = Field(min_length=1, max_length=5000)
    voice: str = Field(default="af_heart", min_length=1, max_length=64)
    language: str = Field(default="en-us", max_length=16)
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    output_key: StorageKey
    #: Also return word timestamps (Whisper run on the speech) for caption alignment.
    word_timestamps: bool = False

    @field_validator("output_key")
    @classmethod
    def _keys(cls, v: str) -> str:
        return check_key(v)


class TranscribeSpec(_TaskBase):
    """Speech to text (Whisper) of the audio at audio_key (any format ffmpeg reads: webm/opus from the browser's
    MediaRecorder, wav, mp3). language None = detect. Word timestamps in seconds from the start."""

    kind: Literal["transcribe"] = "transcribe"
    audio_key: StorageKey
    language: str | None = Field(default=None, max_length=16)
    word_timestamps: bool = True

    @field_validator("audio_key")
    @classmethod
    def _keys(cls, v: str) -> str:
        return check_key(v)


class ScoreFramesSpec(_TaskBase):
    """CLIP scores of images (frame_keys) or of ``sample_frames`` frames spread over the video at video_key:
    prompt adherence (mean cosine similarity image↔prompt, 0–1) and frame coherence (mean cosine similarity
    of consecutive frames' image embeddings, 0–1)."""

    kind: Literal["score_frames"] = "score_frames"
    prompt: str = Field(min_length=1, max_length=2000)
    frame_keys: list[StorageKey] = Field(default_factory=list, max_length=64)
    video_key: StorageKey | None = None
    sample_frames: int = Field(default=8, ge=1, le=64)

    @model_validator(mode="after")
    def _source(self) -> ScoreFramesSpec:
        if not self.frame_keys and not self.video_key:
            raise ValueError("score_frames needs frame_keys or video_key")
        for k in [*self.frame_keys, *([self.video_key] if self.video_key else [])]:
            check_key(k)
        return self


GpuTask = Annotated[GenerateClipSpec | SynthesizeSpeechSpec | TranscribeSpec | ScoreFramesSpec,
                    Field(discriminator="kind")]
TASK_ADAPTER: TypeAdapter[GenerateClipSpec | SynthesizeSpeechSpec | TranscribeSpec | ScoreFramesSpec] = \
    TypeAdapter(GpuTask)


def parse_task(data: dict[str, Any] | str | bytes) -> GenerateClipSpec | SynthesizeSpeechSpec | TranscribeSpec | ScoreFramesSpec:
    """A spec from its JSON (text or dict). Raises pydantic.ValidationError naming each bad field, or
    ValueError for an unknown schema_version."""
    if isinstance(data, (str, bytes)):
        data = json.loads(data)
    if not isinstance(data, dict):
        raise ValueError("a GPU task spec must be a JSON object")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ValueError(f"GPU task schema_version {version!r} is not supported (this worker speaks {SCHEMA_VERSION})")
    return TASK_ADAPTER.validate_python(data)


# --- results -----------------------------------------------------------------------------------------------

class ErrorKind(StrEnum):
    oom = "oom"                      # out of GPU (or host) memory
    timeout = "timeout"              # limits.timeout_s passed
    cancelled = "cancelled"          # cancel flag set
    failed = "failed"                # anything else raised
    missing_model = "missing_model"  # weights not under KOLONY_MODELS_DIR (message names the directory)
    bad_input = "bad_input"          # spec invalid or an input key missing in storage
    not_available = "not_available"  # the backend's library is not installed on this worker


class ModelUsed(_Doc):
    id: str                   # catalogue name, e.g. "ltx-video"
    pipeline: str = ""        # e.g. "LTXImageToVideoPipeline"
    version: str = ""         # from the weights (model_index.json _diffusers_version / config) or library version
    path: str = ""            # directory it was loaded from (on the worker)
    dtype: str = ""
    device: str = ""
    memory_plan: list[str] = Field(default_factory=list)  # e.g. ["model_cpu_offload", "vae_tiling"]
    tuned: list[str] = Field(default_factory=list)        # e.g. ["attention:flash", "compile:regional", "cache:fbc"]


class Route(_Doc):
    model: str
    reason: str


class ClipAttempt(_Doc):
    seed: int
    clip_score: float | None = None
    seconds: float = 0.0


class ClipOutput(_Doc):
    video_key: str
    width: int
    height: int
    num_frames: int
    fps: int
    seed: int                            # the seed of the kept attempt
    prompt_adherence: float | None = None  # CLIP score of the kept attempt (None: no CLIP model)
    frame_coherence: float | None = None
    attempts: list[ClipAttempt] = Field(default_factory=list)


class Word(_Doc):
    word: str
    start: float
    end: float


class SpeechOutput(_Doc):
    audio_key: str
    sample_rate: int
    duration_s: float
    voice: str
    words: list[Word] = Field(default_factory=list)


class TranscriptOutput(_Doc):
    text: str
    language: str | None = None
    words: list[Word] = Field(default_factory=list)


class ScoreOutput(_Doc):
    prompt_adherence: float
    frame_coherence: float | None = None
    per_frame: list[float] = Field(default_factory=list)


class GpuResult(_Doc):
    """What the worker answers for every task, success or not. ``phases`` are wall seconds per phase;
    ``gpu_seconds`` the seconds the task held the GPU (0 on a CPU-only worker: ``device`` says "cpu")."""

    schema_version: Literal[1] = SCHEMA_VERSION
    task_id: str
    kind: str
    ok: bool
    error_kind: ErrorKind | None = None
    error: str = ""
    clip: ClipOutput | None = None
    speech: SpeechOutput | None = None
    transcript: TranscriptOutput | None = None
    scores: ScoreOutput | None = None
    phases: dict[str, float] = Field(default_factory=dict)
    seconds: float = 0.0
    gpu_seconds: float = 0.0
    device: str = ""
    model: ModelUsed | None = None
    route: Route | None = None
    warnings: list[str] = Field(default_factory=list)
    worker: str = ""
    labels: dict[str, str | int] = Field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0



def parse_result(data: dict[str, Any] | str | bytes) -> GpuResult:
    if isinstance(data, (str, bytes)):
        return GpuResult.model_validate_json(data)
    return GpuResult.model_validate(data)


# --- heartbeat ---------------------------------------------------------------------------------------------

class ModelInfo(_Doc):
    id: str          # catalogue name ("ltx-video", "kokoro-82m", "whisper", "clip", …)
    kind: str        # "clip" | "tts" | "stt" | "score"
    path: str        # directory on the worker
    loaded: bool = False


class WorkerAnnouncement(_Doc):
    schema_version: Literal[1] = SCHEMA_VERSION
    name: str
    host: str
    pid: int
    device: str                    # "cuda:0 NVIDIA H200" or "cpu"
    vram_total_gb: float = 0.0
    vram_free_gb: float = 0.0
    models: list[ModelInfo] = Field(default_factory=list)
    voices: list[str] = Field(default_factory=list)  # Kokoro voices whose weights are present
    busy_task: str | None = None
    queue: str = GPU_QUEUE
    started_at: float = 0.0
    last_seen: float = 0.0

    def can_generate_clips(self) -> bool:
        return any(m.kind == "clip" for m in self.models)


def live_workers(redis: Any, max_age_s: float = HEARTBEAT_TTL_S, now: float | None = None) -> list[WorkerAnnouncement]:
    """Every GPU worker seen within max_age_s seconds (newest first). ``redis`` is a redis-py client."""
    now = time.time() if now is None else now
    names = [n.decode() if isinstance(n, bytes) else n for n in redis.zrangebyscore(WORKERS_ZSET, now - max_age_s, "+inf")]
    if not names:
        return []
    out = []
    for raw in redis.mget([worker_key(n) for n in names]):
        if raw:
            try:
                ann = WorkerAnnouncement.model_validate_json(raw)
            except ValueError:
                continue
            if now - ann.last_seen <= max_age_s:
                out.append(ann)
    return sorted(out, key=lambda a: -a.last_seen)


def request_cancel(redis: Any, task_id: str) -> None:
    """Asks the worker running task_id to stop (it answers error_kind "cancelled" within one denoise step)."""
    redis.set(cancel_key(task_id), "1", ex=CANCEL_TTL_S)


def cancel_requested(redis: Any, task_id: str) -> bool:
    return bool(redis.exists(cancel_key(task_id)))


def read_result(redis: Any, task_id: str) -> GpuResult | None:
    raw = redis.get(result_redis_key(task_id))
    return parse_result(raw) if raw else None
