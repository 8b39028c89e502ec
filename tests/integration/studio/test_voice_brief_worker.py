"""A voice brief through the real GPU worker: ``python -m gpu_worker`` (on the CPU) with a tiny random-weight
Whisper built in the test (tests/gpu_worker/tiny.py, no hub) announces itself, the wizard then offers
"Record a voice brief", and a recording posted to the Studio comes back as a transcription the page can read.
Random weights make no real words, so the test asserts the round trip — the worker read the stored recording,
answered ok with its Whisper, and the Studio turned that into a final answer — not the wording."""

import subprocess
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
    from gpu_worker.contract import read_result
    from kolony.outbox.services import outbox_drain
    from tests.gpu_worker.tiny import build_models, running_gpu_worker

    models = build_models(tmp_path / "models", which=("whisper",))
    assert "data-voice-brief" not in alice_client.get(reverse("videogen:new")).content.decode()
    audio = tmp_path / "brief.webm"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=2", "-c:a", "libopus",
                    str(audio)], check=True)
    with running_gpu_worker(models, tmp_path, name="tiny-whisper", media_root=django_settings.MEDIA_ROOT,
                            redis_url=django_settings.REDIS_URL, redis_conn=redis_conn) as worker:
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
