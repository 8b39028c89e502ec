"""A voice brief through the real GPU worker: ``python -m gpu_worker`` (on the CPU) with a tiny random-weight
Whisper built in the test (tests/gpu_worker/tiny.py, no hub) announces itself, the wizard then offers
"Record a voice brief", and a recording posted to the Studio comes back as a transcription the page can read.
Random weights make no real words, so the test asserts the round trip — the worker read the stored recording,
answered ok with its Whisper, and the Studio turned that into a final answer — not the wording."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from videogen import voice_brief
from videogen.engine.render.ffmpeg import ffmpeg_exe

pytest.importorskip("torch", reason="the GPU worker needs requirements-gpu.txt")
pytest.importorskip("transformers")
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]


def test_a_real_gpu_worker_transcribes_a_voice_brief(alice_client, redis_conn, tmp_path):
    from gpu_worker.contract import live_workers, read_result
    from kolony.outbox.services import outbox_drain
    from tests.gpu_worker.tiny import build_models

    models = build_models(tmp_path / "models", which=("whisper",))
    env = {**os.environ, "KOLONY_MODELS_DIR": str(models), "KOLONY_MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
           "REDIS_URL": django_settings.REDIS_URL, "KOLONY_GPU_DEVICE": "cpu", "KOLONY_GPU_WORKER_NAME": "tiny-whisper"}
    assert "data-voice-brief" not in alice_client.get(reverse("videogen:new")).content.decode()
    audio = tmp_path / "brief.webm"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=2", "-c:a", "libopus",
                    str(audio)], check=True)
    log = open(tmp_path / "gpu.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "gpu_worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not live_workers(redis_conn) and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "gpu.log").read_text()[-3000:]
            time.sleep(0.5)
        assert voice_brief.transcription_available(), "the worker announced its Whisper (a model of kind stt)"
        assert "Record a voice brief" in alice_client.get(reverse("videogen:new")).content.decode()
        res = alice_client.post(reverse("videogen:voice_brief_upload"),
                                {"audio": SimpleUploadedFile("brief.webm", audio.read_bytes())})
        assert res.status_code == 201, res.content
        url = res.json()["status_url"]
        outbox_drain()
        deadline = time.monotonic() + 120
        answer = alice_client.get(url).json()
        while answer["status"] == "pending" and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "gpu.log").read_text()[-3000:]
            time.sleep(0.5)
            answer = alice_client.get(url).json()
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    from videogen.models import Asset

    task_id = Asset.objects.get(pk=res.json()["id"]).metadata["voice_brief"]["task_id"]
    result = read_result(redis_conn, task_id)
    assert result is not None and result.ok, (result, (tmp_path / "gpu.log").read_text()[-3000:])
    assert result.kind == "transcribe" and result.model is not None and result.model.id == "whisper"
    assert "transcribe" in result.phases
    # random weights: either some letters (done, filling the Message field) or nothing heard — never a worker error
    if answer["status"] == "done":
        assert answer["text"] == " ".join(result.transcript.text.split()) != ""
    else:
        assert answer["status"] == "failed" and "No speech was heard" in answer["message"], answer
