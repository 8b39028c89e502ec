"""The job contract, storage keys, routing and memory decisions: pure functions, no model runs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from gpu_worker import contract as c
from gpu_worker.catalog import CATALOG
from gpu_worker.memory import MemoryReading, plan_memory
from gpu_worker.routing import NoModelForTask, choose_model, fit_frames
from gpu_worker.storage import LocalDirStorage, StorageError, storage_from_env

ROOT = Path(__file__).resolve().parents[2]
CLIP_IDS = [e.id for e in CATALOG.values() if e.kind == "clip"]


def test_every_spec_kind_round_trips_through_json():
    specs = [
        c.GenerateClipSpec(prompt="a cup", output_key="gpu/1/clip.mp4", first_frame_key="assets/p.png",
                           progress=c.ProgressTarget(group="video-job-1", job_id=1, start_percent=10, end_percent=60),
                           reply=c.ReplyTo(queue="render", func="videogen.gpu.collect", args=[1, 2])),
        c.SynthesizeSpeechSpec(text="Hello", output_key="gpu/1/voice.wav"),
        c.TranscribeSpec(audio_key="briefs/voice.webm"),
        c.ScoreFramesSpec(prompt="a cup", video_key="gpu/1/clip.mp4"),
    ]
    for spec in specs:
        back = c.parse_task(json.dumps(spec.model_dump(mode="json")))
        assert back == spec and back.schema_version == 1, spec.kind


@pytest.mark.parametrize(("change", "named"), [
    ({"width": 100}, "multiples of 32"),
    ({"output_key": "../etc/passwd"}, "relative path"),
    ({"output_key": "/abs/clip.mp4"}, "relative path"),
    ({"last_frame_key": "a.png"}, "last_frame_key needs first_frame_key"),
    ({"steps": 0}, "steps"),
    ({"model": "sora"}, "model"),
    ({"priority": "cheap"}, "priority"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_clip_specs_name_the_problem(change, named):
    data = {"kind": "generate_clip", "prompt": "a cup", "output_key": "gpu/clip.mp4", **change}
    with pytest.raises(ValidationError) as info:
        c.parse_task(data)
    assert named in str(info.value)


def test_other_schema_versions_are_refused():
    with pytest.raises(ValueError, match="schema_version 2 is not supported"):
        c.parse_task({"schema_version": 2, "kind": "transcribe", "audio_key": "a.wav"})


def test_score_needs_frames_or_video():
    with pytest.raises(ValidationError, match="frame_keys or video_key"):
        c.ScoreFramesSpec(prompt="x")


def test_result_document_parses_back():
    r = c.GpuResult(task_id="t1", kind="generate_clip", ok=False, error_kind=c.ErrorKind.oom, error="out of memory",
                    phases={"load": 1.5}, route=c.Route(model="ltx-video", reason="priority speed"))
    assert c.parse_result(r.model_dump_json()) == r
    assert set(c.ErrorKind) >= {c.ErrorKind(k) for k in ("oom", "timeout", "cancelled", "failed", "missing_model")}


def test_local_storage_round_trip_and_missing_key(tmp_path):
    s = LocalDirStorage(tmp_path)
    s.put_bytes("gpu/a/b.txt", b"hi")
    assert s.exists("gpu/a/b.txt") and s.get_bytes("gpu/a/b.txt") == b"hi"
    s.upload(tmp_path / "gpu/a/b.txt", "copy/b.txt")
    assert s.download("copy/b.txt", tmp_path / "x.txt").read_bytes() == b"hi"
    with pytest.raises(StorageError, match="not found") as info:
        s.get_bytes("nope.bin")
    assert info.value.missing


def test_storage_from_env_follows_the_app_settings(tmp_path):
    assert isinstance(storage_from_env({"KOLONY_MEDIA_ROOT": str(tmp_path)}), LocalDirStorage)
    s3 = storage_from_env({"KOLONY_S3_BUCKET": "kolony-media", "KOLONY_S3_ENDPOINT_URL": "http://127.0.0.1:9",
                           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1"})
    assert s3.describe() == "S3 bucket kolony-media at http://127.0.0.1:9"


# --- routing ---------------------------------------------------------------------------------------------

def route(**kw):
    args = {"model": "auto", "priority": "balanced", "has_first": False, "has_last": False, "duration_s": 4.0,
            "queue_depth": 0, "installed": CLIP_IDS}
    args.update(kw)
    return choose_model(**args)


def test_routing_by_priority_with_reasons():
    assert route(priority="speed").model == "ltx-video"
    assert route(priority="quality").model == "wan2.2-ti2v-5b"
    short = route(duration_s=3.0, queue_depth=0)
    assert short.model == "wan2.2-ti2v-5b" and "quality model" in short.reason
    long = route(duration_s=8.0)
    assert long.model == "ltx-video" and "fast model" in long.reason
    busy = route(duration_s=3.0, queue_depth=5)
    assert busy.model == "ltx-video" and "5 waiting" in busy.reason


def test_routing_respects_what_each_model_can_do():
    for priority in ("speed", "balanced", "quality"):
        assert route(priority=priority, has_first=True, installed=["wan2.1-t2v-1.3b", "ltx-video"]).model == "ltx-video"
        assert route(priority=priority, has_first=True, has_last=True,
                     installed=["wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p"]).model == "wan2.1-i2v-14b-480p"
        assert route(priority=priority, installed=["wan2.1-t2v-1.3b"]).model == "wan2.1-t2v-1.3b"


def test_requested_model_missing_falls_back_and_says_so():
    r = route(model="wan2.2-ti2v-5b", installed=["ltx-video"])
    assert r.model == "ltx-video" and r.reason.startswith("requested wan2.2-ti2v-5b is not installed")
    assert route(model="ltx-video").reason == "requested ltx-video"


def test_no_model_names_the_directories_expected():
    with pytest.raises(NoModelForTask) as info:
        route(installed=[], has_first=True, models_dir="/srv/models")
    assert "/srv/models/ltx-video" in str(info.value) and "/srv/models/wan2.1-t2v-1.3b" not in str(info.value)


def test_frame_counts_follow_each_family():
    assert [fit_frames(n, "ltx") for n in (1, 9, 10, 121, 120)] == [1, 9, 9, 121, 121]
    assert [fit_frames(n, "wan") for n in (9, 81, 80, 121)] == [9, 81, 81, 121]


# --- memory plan (fake readings) --------------------------------------------------------------------------

H200 = MemoryReading("cuda:0", 139.8, 139.0, "NVIDIA H200", (9, 0))
L4 = MemoryReading("cuda:0", 22.5, 22.0, "NVIDIA L4", (8, 9))
T4 = MemoryReading("cuda:0", 15.0, 14.5, "Tesla T4", (7, 5))
SIZE = {"width": 832, "height": 480, "num_frames": 81}


def test_cpu_runs_float32_without_offload():
    for entry in CATALOG.values():
        plan = plan_memory(entry, MemoryReading("cpu"), **SIZE)
        assert (plan.device, plan.dtype, plan.offload, plan.fp8) == ("cpu", "float32", "none", False)


def test_plans_follow_free_memory_for_every_clip_model():
    for mid in CLIP_IDS:
        entry = CATALOG[mid]
        big = plan_memory(entry, H200, **SIZE)
        assert (big.offload, big.fp8) == ("none", False), (mid, big.reason)
        assert big.dtype == "bfloat16" and "all on the GPU" in big.reason
        small = plan_memory(entry, T4, **SIZE)
        assert small.offload in ("model", "sequential") and small.vae_tiling, (mid, small.reason)
        limited = plan_memory(entry, H200, max_vram_gb=16, **SIZE)
        assert limited.offload != "none" and "limit" in limited.reason, (mid, limited.reason)


def test_decisions_step_by_step_for_ltx():
    ltx = CATALOG["ltx-video"]
    plans = {gb: plan_memory(ltx, MemoryReading("cuda:0", 80, gb, "fake", (9, 0)), **SIZE) for gb in (40, 20, 14, 3)}
    assert (plans[40].offload, plans[40].vae_tiling) == ("none", False)
    assert (plans[20].offload, plans[20].vae_tiling) == ("none", True)
    assert (plans[14].offload, plans[14].fp8) == ("model", False)
    assert (plans[3].offload, plans[3].fp8) == ("sequential", True)
    # Wan 14B: its 28 GB transformer fits a 20 GB card only as FP8 with offload
    wan = plan_memory(CATALOG["wan2.1-i2v-14b-480p"], MemoryReading("cuda:0", 24, 20, "fake", (9, 0)), **SIZE)
    assert (wan.offload, wan.fp8) == ("model", True) and "FP8" in wan.reason


def test_fp8_switch_forces_or_forbids():
    wan14 = CATALOG["wan2.1-i2v-14b-480p"]
    assert plan_memory(wan14, H200, fp8_setting="on", **SIZE).fp8
    off = plan_memory(wan14, T4, fp8_setting="off", **SIZE)
    assert not off.fp8 and off.offload == "sequential"
    auto = plan_memory(wan14, L4, **SIZE)
    assert auto.fp8 and any("FP8" in n for n in auto.notes) is False  # L4 (sm_89) has FP8 tensor cores
    old = plan_memory(wan14, T4, **SIZE)
    assert old.fp8 and any("memory only" in n for n in old.notes)


# --- heartbeat, cancel --------------------------------------------------------------------------------------

def test_live_workers_and_cancel_flag(redis_client):
    ann = c.WorkerAnnouncement(name="w1", host="h", pid=1, device="cpu", last_seen=time.time(),
                               models=[c.ModelInfo(id="ltx-video", kind="clip", path="/m/ltx-video")])
    stale = c.WorkerAnnouncement(name="w0", host="h", pid=2, device="cpu", last_seen=time.time() - 120)
    for a in (ann, stale):
        redis_client.set(c.worker_key(a.name), a.model_dump_json(), ex=300)
        redis_client.zadd(c.WORKERS_ZSET, {a.name: a.last_seen})
    live = c.live_workers(redis_client)
    assert [w.name for w in live] == ["w1"] and live[0].can_generate_clips()
    assert not c.cancel_requested(redis_client, "t9")
    c.request_cancel(redis_client, "t9")
    assert c.cancel_requested(redis_client, "t9")


def test_import_gpu_worker_without_django():
    code = ("import sys; import gpu_worker, gpu_worker.contract, gpu_worker.storage, gpu_worker.jobs, gpu_worker.worker, "
            "gpu_worker.models, gpu_worker.backends.clips, gpu_worker.backends.speech, gpu_worker.backends.scoring; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'kolony', 'videogen', 'campaigns', 'billing')); "
            "print('BAD', bad); sys.exit(1 if bad else 0)")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    light = subprocess.run([sys.executable, "-c", "import sys, gpu_worker.contract; sys.exit('torch' in sys.modules)"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert light.returncode == 0, "the contract must not import torch (the Studio imports it)"
