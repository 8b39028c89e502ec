"""The RQ job function ``gpu_worker.jobs.run_task(spec_dict) -> result_dict`` and what it runs.

The worker process configures one ``Runtime`` (settings, model manager, storage, Redis, progress publisher)
with ``configure()``; a job in a process that has none (a test calling run_task directly) builds one from the
environment. Every task answers a GpuResult — errors too (error_kind + message), never an exception, so
the Studio always gets a document it can act on (its fallback chain).
"""

from __future__ import annotations

import json
import logging
import socket
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import contract as c
from .backends import clips as clipmod
from .catalog import models_dir
from .models import MissingModel, ModelManager
from .progress import ChannelLayerPublisher, TaskProgress
from .routing import NoModelForTask, choose_model, fit_frames
from .settings import WorkerSettings
from .storage import Storage, StorageError, storage_from_env

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: WorkerSettings
    manager: ModelManager
    storage: Storage
    redis: Any = None
    publisher: ChannelLayerPublisher | None = None
    busy_task: str | None = None
    started_at: float = field(default_factory=time.time)
    tasks_done: int = 0
    cancel_every_s: float = 0.25  # how often the cancel flag is read during denoising

    @classmethod
    def from_env(cls, redis: Any = None) -> Runtime:
        settings = WorkerSettings.from_env()
        if redis is None:
            import redis as redis_lib

            redis = redis_lib.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
        return cls(settings, ModelManager(models_dir(), settings), storage_from_env(), redis,
                   ChannelLayerPublisher(redis, settings.channel_prefix))

    def queue_depth(self) -> int:
        if self.redis is None:
            return 0
        try:
            return int(self.redis.llen(f"rq:queue:{c.GPU_QUEUE}"))
        except Exception:  # noqa: BLE001 - routing works without the figure
            return 0

    def cancel_check(self, task_id: str) -> bool:
        if self.redis is None:
            return False
        try:
            return c.cancel_requested(self.redis, task_id)
        except Exception:  # noqa: BLE001 - Redis blip: keep going
            return False


_runtime: Runtime | None = None


def configure(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_env()
    return _runtime


def run_task(spec_data: dict[str, Any] | str) -> dict[str, Any]:
    """RQ entry point: validates, runs, delivers (Redis result key, storage result_key, reply job); returns the
    GpuResult as a JSON-ready dict."""
    rt = get_runtime()
    result, spec = execute(spec_data, rt)
    deliver(result, spec, rt)
    return result.model_dump(mode="json")


def execute(spec_data: dict[str, Any] | str, rt: Runtime) -> tuple[c.GpuResult, Any]:
    t0 = time.perf_counter()
    started = time.time()
    raw = spec_data if isinstance(spec_data, dict) else {}
    task_id = str(raw.get("task_id") or "unknown")
    kind = str(raw.get("kind") or "unknown")
    try:
        spec = c.parse_task(spec_data)
    except (ValidationError, ValueError) as exc:
        return c.GpuResult(task_id=task_id, kind=kind, ok=False, error_kind=c.ErrorKind.bad_input,
                           error=f"invalid GPU task spec: {exc}", worker=rt.settings.worker_name,
                           started_at=started, finished_at=time.time()), None
    result = c.GpuResult(task_id=spec.task_id, kind=spec.kind, ok=False, worker=rt.settings.worker_name,
                         labels=dict(spec.labels), started_at=started)
    control = clipmod.RunControl(deadline=time.monotonic() + spec.limits.timeout_s,
                                 should_cancel=lambda: rt.cancel_check(spec.task_id), timeout_s=spec.limits.timeout_s,
                                 cancel_every_s=rt.cancel_every_s)
    attempts = 1 + (spec.max_regenerations if isinstance(spec, c.GenerateClipSpec) and spec.min_clip_score is not None else 0)
    progress = TaskProgress(rt.publisher, spec.task_id, spec.kind, spec.progress, attempts=attempts)
    rt.busy_task = spec.task_id
    gpu_t0 = None
    try:
        control.check()
        device = rt.manager.memory_reader(rt.settings.device).device
        result.device = device
        gpu_t0 = time.perf_counter() if device.startswith("cuda") else None
        with tempfile.TemporaryDirectory(prefix="kolony-gpu-") as tmp:
            work = Path(tmp)
            if isinstance(spec, c.GenerateClipSpec):
                _run_clip(spec, rt, result, progress, control, work)
            elif isinstance(spec, c.SynthesizeSpeechSpec):
                _run_speech(spec, rt, result, progress, control, work)
            elif isinstance(spec, c.TranscribeSpec):
                _run_transcribe(spec, rt, result, progress, control, work)
            else:
                _run_score(spec, rt, result, progress, control, work)
        result.ok = True
    except clipmod.Interrupted as exc:
        result.error_kind = c.ErrorKind(exc.kind)
        result.error = str(exc)
    except (MissingModel, NoModelForTask) as exc:
        result.error_kind, result.error = c.ErrorKind.missing_model, str(exc)
    except _NotAvailable as exc:
        result.error_kind, result.error = c.ErrorKind.not_available, str(exc)
    except StorageError as exc:
        result.error_kind = c.ErrorKind.bad_input if exc.missing else c.ErrorKind.failed
        result.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a result document
        if _is_oom(exc):
            result.error_kind, result.error = c.ErrorKind.oom, f"out of memory: {exc}"
            rt.manager.evict_all("out of memory")
        else:
            result.error_kind, result.error = c.ErrorKind.failed, f"{type(exc).__name__}: {exc}"
            log.error("GPU task %s failed:\n%s", spec.task_id, traceback.format_exc())
    finally:
        rt.busy_task = None
        rt.tasks_done += 1
    result.seconds = round(time.perf_counter() - t0, 3)
    result.gpu_seconds = round(time.perf_counter() - gpu_t0, 3) if gpu_t0 is not None else 0.0
    result.phases = {k: round(v, 3) for k, v in result.phases.items()}
    result.finished_at = time.time()
    return result, spec


class _NotAvailable(Exception):
    pass


def _is_oom(exc: BaseException) -> bool:
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except ImportError:
        pass
    return isinstance(exc, MemoryError) or "out of memory" in str(exc).lower()


def _timed(result: c.GpuResult, phase: str, t0: float) -> None:
    result.phases[phase] = result.phases.get(phase, 0.0) + time.perf_counter() - t0


def _load_image(rt: Runtime, key: str, work: Path) -> Any:
    from PIL import Image, UnidentifiedImageError

    path = rt.storage.download(key, work / Path(key).name)
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except UnidentifiedImageError as exc:
        raise StorageError(f"{key!r} is not an image Pillow can read", missing=True) from exc


def _run_clip(spec: c.GenerateClipSpec, rt: Runtime, result: c.GpuResult, progress: TaskProgress,
              control: clipmod.RunControl, work: Path) -> None:
    progress.phase("load")
    t0 = time.perf_counter()
    choice = choose_model(model=spec.model, priority=spec.priority, has_first=bool(spec.first_frame_key),
                          has_last=bool(spec.last_frame_key), duration_s=spec.duration_s, queue_depth=rt.queue_depth(),
                          installed=rt.manager.installed("clip"), models_dir=str(rt.manager.root))
    result.route = c.Route(model=choice.model, reason=choice.reason)
    entry = rt.manager.require(choice.model)
    variant = "condition" if spec.last_frame_key else "i2v" if spec.first_frame_key else "t2v"
    if entry.family == "wan" and variant == "t2v" and not entry.text_to_video:
        variant = "i2v"
    num_frames = fit_frames(spec.num_frames, entry.family)
    if num_frames != spec.num_frames:
        result.warnings.append(f"{choice.model} makes k*{8 if entry.family == 'ltx' else 4}+1 frames: "
                               f"{spec.num_frames} → {num_frames}")
    first = clipmod.fit_image(_load_image(rt, spec.first_frame_key, work), spec.width, spec.height) if spec.first_frame_key else None
    last = clipmod.fit_image(_load_image(rt, spec.last_frame_key, work), spec.width, spec.height) if spec.last_frame_key else None
    lp = rt.manager.video_pipeline(choice.model, variant, width=spec.width, height=spec.height, num_frames=num_frames,
                                   max_vram_gb=spec.limits.max_vram_gb)
    _timed(result, "load", t0)
    result.model = c.ModelUsed(id=choice.model, pipeline=lp.pipeline_name, version=lp.version, path=str(entry.directory(rt.manager.root)),
                               dtype=lp.plan.dtype, device=lp.plan.device, memory_plan=[*lp.plan.labels(), lp.plan.reason],
                               tuned=list(lp.tuned))
    result.warnings.extend(w for w in lp.warnings if w not in result.warnings)
    scorer = None
    if spec.min_clip_score is not None:
        try:
            from .backends.scoring import load_clip

            scorer = rt.manager.light_model("clip", load_clip)
        except MissingModel as exc:
            result.warnings.append(f"no CLIP check: {exc}")
    attempts: list[c.ClipAttempt] = []
    best: tuple[float, Any, int, Any] | None = None  # (score, frames, seed, ScoreOutput)
    tries = 1 + (spec.max_regenerations if scorer is not None else 0)
    for attempt in range(tries):
        seed = (spec.seed + attempt) % 2**32
        progress.attempt = attempt
        ta = time.perf_counter()
        frames = clipmod.generate_frames(lp, spec, num_frames=num_frames, seed=seed, first=first, last=last,
                                         progress=progress, control=control, phases=result.phases,
                                         max_sequence_length=rt.settings.max_sequence_length)
        score = None
        if scorer is not None:
            progress.phase("score")
            ts = time.perf_counter()
            score = scorer.score(clipmod.sample_frames(frames, 4), spec.prompt)
            _timed(result, "score", ts)
        attempts.append(c.ClipAttempt(seed=seed, clip_score=None if score is None else round(score.prompt_adherence, 4),
                                      seconds=round(time.perf_counter() - ta, 3)))
        value = score.prompt_adherence if score is not None else 1.0
        if best is None or value > best[0]:
            best = (value, frames, seed, score)
        if score is None or spec.min_clip_score is None or score.prompt_adherence >= spec.min_clip_score:
            break
        control.check()
        if attempt + 1 < tries:
            result.warnings.append(f"CLIP score {score.prompt_adherence:.3f} < {spec.min_clip_score:g} with seed {seed}: "
                                   f"regenerating with seed {seed + 1}")
    if best is None:
        raise RuntimeError("no attempt ran")
    _, frames, seed, score = best
    if score is not None and spec.min_clip_score is not None and score.prompt_adherence < spec.min_clip_score:
        result.warnings.append(f"CLIP score stayed under {spec.min_clip_score:g} after {len(attempts)} attempts: "
                               f"kept seed {seed} ({score.prompt_adherence:.3f})")
    control.check()
    progress.phase("mp4_encode")
    t0 = time.perf_counter()
    mp4 = clipmod.encode_mp4(frames, spec.fps, work / "clip.mp4")
    _timed(result, "mp4_encode", t0)
    progress.phase("upload")
    t0 = time.perf_counter()
    rt.storage.upload(mp4, spec.output_key, content_type="video/mp4")
    _timed(result, "upload", t0)
    h, w = frames.shape[1:3]
    result.clip = c.ClipOutput(video_key=spec.output_key, width=int(w), height=int(h), num_frames=len(frames), fps=spec.fps,
                               seed=seed, prompt_adherence=None if score is None else round(score.prompt_adherence, 4),
                               frame_coherence=None if score is None or score.frame_coherence is None else round(score.frame_coherence, 4),
                               attempts=attempts)


def _run_speech(spec: c.SynthesizeSpeechSpec, rt: Runtime, result: c.GpuResult, progress: TaskProgress,
                control: clipmod.RunControl, work: Path) -> None:
    from .backends import speech

    progress.phase("load")
    why = speech.kokoro_available()
    if why:
        raise _NotAvailable(why)
    entry = rt.manager.require("kokoro-82m")
    progress.phase("synthesize")
    t0 = time.perf_counter()
    try:
        samples = speech.synthesize_kokoro(entry.directory(rt.manager.root), result.device or "cpu", spec.text, spec.voice, spec.speed)
    except speech.SpeechNotAvailable as exc:
        raise _NotAvailable(str(exc)) from exc
    _timed(result, "synthesize", t0)
    control.check()
    path = work / "speech.wav"
    duration = speech.write_wav(samples, speech.KOKORO_RATE, path)
    progress.phase("upload")
    rt.storage.upload(path, spec.output_key, content_type="audio/wav")
    result.model = c.ModelUsed(id="kokoro-82m", pipeline="kokoro.KPipeline", path=str(entry.directory(rt.manager.root)))
    words: list[c.Word] = []
    if spec.word_timestamps and "whisper" in rt.manager.installed():
        transcriber = rt.manager.light_model("whisper", speech.load_whisper)
        words = transcriber.transcribe(samples if speech.KOKORO_RATE == speech.WHISPER_RATE else speech.decode_audio(path),
                                       spec.language[:2], True).words
    result.speech = c.SpeechOutput(audio_key=spec.output_key, sample_rate=speech.KOKORO_RATE, duration_s=round(duration, 3),
                                   voice=spec.voice, words=words)


def _run_transcribe(spec: c.TranscribeSpec, rt: Runtime, result: c.GpuResult, progress: TaskProgress,
                    control: clipmod.RunControl, work: Path) -> None:
    from .backends import speech

    progress.phase("load")
    t0 = time.perf_counter()
    transcriber = rt.manager.light_model("whisper", speech.load_whisper)
    path = rt.storage.download(spec.audio_key, work / (Path(spec.audio_key).name or "audio"))
    try:
        audio = speech.decode_audio(path)
    except ValueError as exc:
        raise StorageError(f"{spec.audio_key!r}: {exc}", missing=True) from exc
    _timed(result, "load", t0)
    control.check()
    progress.phase("transcribe")
    t0 = time.perf_counter()
    result.transcript = transcriber.transcribe(audio, spec.language, spec.word_timestamps)
    _timed(result, "transcribe", t0)
    d = rt.manager.directory("whisper")
    from .models import weights_version

    result.model = c.ModelUsed(id="whisper", pipeline="AutomaticSpeechRecognitionPipeline", version=weights_version(d), path=str(d))


def _run_score(spec: c.ScoreFramesSpec, rt: Runtime, result: c.GpuResult, progress: TaskProgress,
               control: clipmod.RunControl, work: Path) -> None:
    from .backends.scoring import load_clip

    progress.phase("load")
    t0 = time.perf_counter()
    scorer = rt.manager.light_model("clip", load_clip)
    images = [_load_image(rt, k, work) for k in spec.frame_keys]
    if spec.video_key:
        images += _video_frames(rt.storage.download(spec.video_key, work / "video.mp4"), spec.sample_frames)
    _timed(result, "load", t0)
    control.check()
    progress.phase("score")
    t0 = time.perf_counter()
    result.scores = scorer.score(images, spec.prompt)
    _timed(result, "score", t0)
    d = rt.manager.directory("clip")
    from .models import weights_version

    result.model = c.ModelUsed(id="clip", pipeline="CLIPModel", version=weights_version(d), path=str(d))


def _video_frames(path: Path, n: int) -> list[Any]:
    """``n`` frames spread over the video (decoded by ffmpeg to RGB)."""
    import subprocess

    import numpy as np
    from PIL import Image

    probe = subprocess.run([clipmod.ffmpeg_exe(), "-i", str(path)], capture_output=True, text=True, check=False)  # noqa: S603
    import re

    m = re.search(r", (\d+)x(\d+)", probe.stderr)
    if not m:
        raise StorageError(f"{path.name} is not a video ffmpeg can read", missing=True)
    w, h = int(m.group(1)), int(m.group(2))
    raw = subprocess.run([clipmod.ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],  # noqa: S603
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w, 3)
    idx = sorted(set(np.linspace(0, len(frames) - 1, num=min(n, len(frames))).round().astype(int).tolist()))
    return [Image.fromarray(frames[i]) for i in idx]


def deliver(result: c.GpuResult, spec: Any, rt: Runtime) -> None:
    """Result → Redis key (RESULT_TTL_S), storage (spec.result_key) and the reply job (spec.reply)."""
    doc = result.model_dump(mode="json")
    if rt.redis is not None:
        try:
            rt.redis.set(c.result_redis_key(result.task_id), json.dumps(doc), ex=c.RESULT_TTL_S)
        except Exception as exc:  # noqa: BLE001 - the RQ return value still carries it
            log.warning("GPU result %s not stored in Redis: %s", result.task_id, exc)
    if spec is not None and spec.result_key:
        try:
            rt.storage.put_bytes(spec.result_key, json.dumps(doc, indent=1).encode(), "application/json")
        except StorageError as exc:
            log.warning("GPU result %s not written to storage: %s", result.task_id, exc)
    if spec is not None and spec.reply is not None and rt.redis is not None:
        from rq import Queue

        Queue(spec.reply.queue, connection=rt.redis).enqueue(spec.reply.func, doc, *spec.reply.args,
                                                             description=f"GPU result {result.task_id} ({result.kind})")


def host() -> str:
    return socket.gethostname()
