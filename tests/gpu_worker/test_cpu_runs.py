"""The worker's tasks run for real on the CPU with tiny random models loaded from a temp KOLONY_MODELS_DIR:
spec → model manager → diffusers pipeline → frames → MP4 (checked with ffprobe) → result document."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gpu_worker import contract as c
from gpu_worker.jobs import execute, run_task
from gpu_worker.models import MissingModel, ModelManager

ROOT = Path(__file__).resolve().parents[2]
TINY = {"width": 32, "height": 32, "num_frames": 9, "steps": 2, "fps": 8}


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,width,height,nb_read_frames,pix_fmt,r_frame_rate", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["streams"][0]


def clip_spec(**kw) -> c.GenerateClipSpec:
    args: dict[str, Any] = {"prompt": "a cup of coffee on a wooden table", "output_key": "gpu/job-1/scene-0.mp4", "seed": 7,
            "min_clip_score": 0.0, **TINY}
    args.update(kw)
    return c.GenerateClipSpec(**args)


def put_image(storage, key: str, color: tuple[int, int, int]) -> str:
    from io import BytesIO

    buf = BytesIO()
    Image.new("RGB", (120, 90), color).save(buf, format="PNG")
    storage.put_bytes(key, buf.getvalue(), "image/png")
    return key


CASES = [
    ("ltx-video", {}, "LTXPipeline"),
    ("ltx-video", {"first_frame_key": "assets/first.png"}, "LTXImageToVideoPipeline"),
    ("ltx-video", {"first_frame_key": "assets/first.png", "last_frame_key": "assets/last.png"}, "LTXConditionPipeline"),
    ("wan2.1-t2v-1.3b", {}, "WanPipeline"),
]


def test_every_model_and_mode_makes_a_playable_mp4(runtime, storage, tmp_path):
    put_image(storage, "assets/first.png", (220, 40, 40))
    put_image(storage, "assets/last.png", (30, 40, 220))
    for model, extra, pipeline in CASES:
        spec = clip_spec(model=model, output_key=f"gpu/{pipeline}.mp4", **extra)
        result, _ = execute(spec.model_dump(mode="json"), runtime)
        assert result.ok, (pipeline, result.error)
        assert result.route and result.route.model == model and result.model and result.model.pipeline == pipeline
        assert result.clip and result.clip.video_key == spec.output_key and result.clip.seed == 7
        assert result.model.device == "cpu" and result.gpu_seconds == 0.0 and "cpu" in result.model.memory_plan
        for phase in ("load", "text_encode", "denoise", "vae_decode", "mp4_encode"):
            assert result.phases.get(phase, 0) > 0, (pipeline, phase, result.phases)
        assert "upload" in result.phases  # a local copy may round to 0.000 s
        info = ffprobe(storage.download(spec.output_key, tmp_path / f"{pipeline}.mp4"))
        assert (info["codec_name"], info["width"], info["height"], info["pix_fmt"]) == ("h264", 32, 32, "yuv420p"), pipeline
        assert int(info["nb_read_frames"]) == 9 and info["r_frame_rate"] == "8/1", pipeline


def test_run_task_delivers_to_redis_storage_and_reply_queue(runtime, redis_client, storage, monkeypatch):
    from rq import Queue

    import gpu_worker.jobs as jobs

    monkeypatch.setattr(jobs, "_runtime", runtime)
    reply_q = Queue("h4-gpu-replies", connection=redis_client)
    reply_q.empty()
    spec = clip_spec(model="ltx-video", result_key="gpu/job-1/result.json", labels={"job": 1, "scene": 0},
                     reply=c.ReplyTo(queue="h4-gpu-replies", func="videogen.gpu_jobs.collect", args=[1, 0]))
    doc = run_task(spec.model_dump(mode="json"))
    assert doc["ok"] and doc["labels"] == {"job": 1, "scene": 0}
    assert c.read_result(redis_client, spec.task_id) == c.parse_result(doc)
    assert json.loads(storage.get_bytes("gpu/job-1/result.json"))["task_id"] == spec.task_id
    [job] = reply_q.get_jobs()
    assert job.func_name == "videogen.gpu_jobs.collect" and job.args == (doc, 1, 0)
    reply_q.empty()


def test_progress_reaches_the_studio_channel_layer(runtime):
    from channels_redis.core import RedisChannelLayer  # type: ignore[import-untyped]

    layer = RedisChannelLayer(hosts=[os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")],
                              prefix=runtime.settings.channel_prefix)
    spec = clip_spec(model="ltx-video", steps=3,
                     progress=c.ProgressTarget(group="video-job-77", job_id=77, start_percent=20, end_percent=60,
                                               phase_label="Scene 1 generated"))

    async def join() -> tuple[str, str]:
        a, b = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("video-job-77", a)
        await layer.group_add(c.task_group(spec.task_id), b)
        return a, b

    job_channel, task_channel = asyncio.run(join())
    result, _ = execute(spec.model_dump(mode="json"), runtime)
    assert result.ok

    async def drain(channel: str) -> list[dict]:
        got = []
        while True:
            try:
                got.append(await asyncio.wait_for(layer.receive(channel), 1.0))
            except TimeoutError:
                return got

    messages = asyncio.run(drain(job_channel))
    task_messages = asyncio.run(drain(task_channel))
    assert messages and len(task_messages) == len(messages)
    assert {m["type"] for m in messages} == {"job.progress"}
    body = [m["message"] for m in messages]
    phases = [b["gpu"]["phase"] for b in body]
    for phase in ("load", "text_encode", "denoise", "vae_decode", "mp4_encode", "upload"):
        assert phase in phases, (phase, phases)
    assert any(b["phase"] == "Scene 1 generated: denoise step 3/3" for b in body)
    percents = [b["progress"] for b in body]
    assert percents == sorted(percents) and 20 <= percents[0] and percents[-1] <= 60
    assert all(b["job"] == 77 and b["status"] == "running" and b["type"] == "progress" for b in body)


def test_cancel_mid_denoise_stops_before_decoding(runtime, redis_client, storage):
    spec = clip_spec(model="ltx-video", steps=8, output_key="gpu/cancelled.mp4")
    runtime.cancel_every_s = 0.0
    sent = runtime.publisher.group_send

    def cancel_after_step_2(group, event):
        gpu = event["message"]["gpu"]
        if gpu["phase"] == "denoise" and (gpu["step"] or 0) >= 2:
            c.request_cancel(redis_client, spec.task_id)
        return sent(group, event)

    runtime.publisher.group_send = cancel_after_step_2
    try:
        result, _ = execute(spec.model_dump(mode="json"), runtime)
    finally:
        runtime.publisher.group_send = sent
        runtime.cancel_every_s = 0.25
    assert not result.ok and result.error_kind == c.ErrorKind.cancelled, result.error
    assert "vae_decode" not in result.phases and not storage.exists("gpu/cancelled.mp4")


def test_timeout_stops_cleanly(runtime, storage):
    spec = clip_spec(model="wan2.1-t2v-1.3b", steps=200, output_key="gpu/late.mp4", limits=c.Limits(timeout_s=1.0))
    t0 = time.monotonic()
    result, _ = execute(spec.model_dump(mode="json"), runtime)
    assert not result.ok and result.error_kind == c.ErrorKind.timeout and "1 s limit" in result.error
    assert time.monotonic() - t0 < 30 and not storage.exists("gpu/late.mp4")
    ok, _ = execute(clip_spec(model="wan2.1-t2v-1.3b").model_dump(mode="json"), runtime)
    assert ok.ok, "the worker keeps working after a timeout"


def test_clip_gate_regenerates_with_new_seeds_at_most_twice(runtime):
    result, _ = execute(clip_spec(model="ltx-video", min_clip_score=1.0, seed=40).model_dump(mode="json"), runtime)
    assert result.ok and [a.seed for a in result.clip.attempts] == [40, 41, 42]
    assert all(a.clip_score is not None and 0 <= a.clip_score <= 1 for a in result.clip.attempts)
    assert any("regenerating with seed 41" in w for w in result.warnings)
    assert any("after 3 attempts" in w for w in result.warnings)
    once, _ = execute(clip_spec(model="ltx-video", min_clip_score=0.0).model_dump(mode="json"), runtime)
    assert [a.seed for a in once.clip.attempts] == [7] and once.clip.prompt_adherence is not None


def test_failures_become_result_documents(runtime, tmp_path, monkeypatch):
    import torch

    import gpu_worker.backends.clips as clips

    empty = ModelManager(tmp_path / "no-models", runtime.settings)
    bare = type(runtime)(runtime.settings, empty, runtime.storage)
    missing, _ = execute(clip_spec().model_dump(mode="json"), bare)
    assert missing.error_kind == c.ErrorKind.missing_model and str(tmp_path / "no-models" / "ltx-video") in missing.error
    bad, _ = execute({"kind": "generate_clip", "prompt": "", "output_key": "x.mp4"}, runtime)
    assert bad.error_kind == c.ErrorKind.bad_input and "prompt" in bad.error
    no_image, _ = execute(clip_spec(first_frame_key="assets/none.png").model_dump(mode="json"), runtime)
    assert no_image.error_kind == c.ErrorKind.bad_input and "assets/none.png" in no_image.error

    def oom(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(clips, "generate_frames", oom)
    r, _ = execute(clip_spec(model="ltx-video").model_dump(mode="json"), runtime)
    assert r.error_kind == c.ErrorKind.oom and "20.00 GiB" in r.error
    assert runtime.manager.loaded() == [], "an OOM frees every resident model"
    speech, _ = execute(c.SynthesizeSpeechSpec(text="Hi", output_key="v.wav").model_dump(mode="json"), runtime)
    assert speech.error_kind == c.ErrorKind.not_available and "kokoro" in speech.error


def test_manager_keeps_one_heavy_pipeline_and_shares_components(tiny_models, cpu_settings):
    m = ModelManager(tiny_models, cpu_settings)
    t2v = m.video_pipeline("ltx-video", "t2v", width=32, height=32, num_frames=9)
    i2v = m.video_pipeline("ltx-video", "i2v", width=32, height=32, num_frames=9)
    assert i2v.pipe.transformer is t2v.pipe.transformer and t2v.load_seconds > 0 and i2v.load_seconds == 0
    assert [x["id"] for x in m.loaded()] == ["ltx-video"] and m.loaded()[0]["variants"] == ["i2v", "t2v"]
    m.video_pipeline("wan2.1-t2v-1.3b", "t2v", width=32, height=32, num_frames=9)
    assert [x["id"] for x in m.loaded()] == ["wan2.1-t2v-1.3b"]
    assert m.evictions == ["ltx-video: one heavy pipeline resident: making room for wan2.1-t2v-1.3b"]
    assert {i.id: i.loaded for i in m.describe()} == {"ltx-video": False, "wan2.1-t2v-1.3b": True, "whisper": False,
                                                       "clip": False}
    with pytest.raises(MissingModel, match=r"wan2.2-ti2v-5b.*huggingface-cli download Wan-AI/Wan2.2-TI2V-5B-Diffusers"):
        m.video_pipeline("wan2.2-ti2v-5b", "t2v", width=32, height=32, num_frames=9)


def test_score_frames_and_transcribe(runtime, storage, tmp_path):
    for i in range(3):
        put_image(storage, f"frames/{i}.png", (200, 100, 50))
    put_image(storage, "frames/3.png", (0, 0, 0))
    scored, _ = execute(c.ScoreFramesSpec(prompt="a cup", frame_keys=[f"frames/{i}.png" for i in range(4)])
                        .model_dump(mode="json"), runtime)
    assert scored.ok, scored.error
    s = scored.scores
    assert len(s.per_frame) == 4 and all(0 <= x <= 1 for x in s.per_frame) and 0 <= s.frame_coherence <= 1
    assert s.per_frame[0] == s.per_frame[1] == s.per_frame[2], "identical frames score the same"
    wav = tmp_path / "brief.wav"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=1.5", str(wav)],
                   check=True)
    storage.upload(wav, "briefs/voice.wav")
    heard, _ = execute(c.TranscribeSpec(audio_key="briefs/voice.wav", language="en").model_dump(mode="json"), runtime)
    assert heard.ok, heard.error
    assert isinstance(heard.transcript.text, str) and heard.model.pipeline == "AutomaticSpeechRecognitionPipeline"
    assert heard.transcript.words and all(w.start <= w.end for w in heard.transcript.words)


def test_real_worker_process_end_to_end_without_django(tiny_models, tmp_path, redis_client):
    """python -m gpu_worker --burst in its own process (own empty media dir, Django absent) runs a queued spec."""
    from rq import Queue

    bucket = tmp_path / "worker-bucket"
    spec = clip_spec(model="wan2.1-t2v-1.3b", output_key="gpu/remote.mp4")
    Queue(c.GPU_QUEUE, connection=redis_client).empty()
    Queue(c.GPU_QUEUE, connection=redis_client).enqueue(c.RUN_TASK_FUNC, spec.model_dump(mode="json"),
                                                        job_timeout=spec.limits.rq_timeout())
    code = ("import sys; from gpu_worker.worker import main; rc = main(['--burst']); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'kolony', 'videogen')); "
            "print('DJANGO_MODULES', bad); sys.exit(rc or (3 if bad else 0))")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path),
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), "KOLONY_MODELS_DIR": str(tiny_models),
           "KOLONY_GPU_STORAGE_DIR": str(bucket), "KOLONY_GPU_DEVICE": "cpu", "KOLONY_GPU_WORKER_NAME": "h4-burst",
           "KOLONY_CHANNEL_PREFIX": os.environ.get("KOLONY_CHANNEL_PREFIX", "kolony")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "DJANGO_MODULES []" in proc.stdout
    result = c.read_result(redis_client, spec.task_id)
    assert result is not None and result.ok and result.worker == "h4-burst", result
    info = ffprobe(bucket / "gpu/remote.mp4")
    assert (info["width"], info["height"], int(info["nb_read_frames"])) == (32, 32, 9)
    assert c.live_workers(redis_client) == [], "a worker that exits withdraws its announcement"
