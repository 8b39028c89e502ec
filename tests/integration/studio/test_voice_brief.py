"""Voice briefs (issue 15): the wizard's "Record a voice brief" control, shown only while a GPU worker that
can transcribe is alive; the recording checked, stored and sent to the worker as a ``transcribe`` spec; the
transcript polled back; clear messages for refused files, worker failures and timeouts; and no reading of
another organization's transcription. The GPU worker is an in-process fake speaking the real contract
(tests/fakes/fake_stt_worker.py)."""

import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from gpu_worker.contract import cancel_key, parse_task
from tests.fakes.fake_stt_worker import TRANSCRIPT, FakeSttWorker, announce_stt
from videogen import voice_brief
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.models import Asset, AssetKind

pytestmark = pytest.mark.django_db
UPLOAD = "videogen:voice_brief_upload"
STATUS = "videogen:voice_brief_status"
# what browsers' MediaRecorder writes (webm: Chrome/Edge/Firefox, ogg: Firefox, m4a: Safari) and the files a
# marketer may pick instead
FORMATS = {".webm": ["-c:a", "libopus"], ".ogg": ["-c:a", "libopus"], ".m4a": ["-c:a", "aac"], ".wav": [],
           ".mp3": ["-c:a", "libmp3lame"]}


def _audio(tmp_path: Path, ext: str = ".webm", seconds: float = 1.5, extra: list[str] | None = None) -> bytes:
    path = tmp_path / f"voice{ext}"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
                    *(FORMATS.get(ext, []) if extra is None else extra), str(path)], check=True)
    return path.read_bytes()


def _post(client, name: str, data: bytes, headers: dict | None = None, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse(UPLOAD), {"audio": SimpleUploadedFile(name, data), **fields}, headers=headers)


def _voice_briefs():
    return Asset.objects.filter(kind=AssetKind.AUDIO, metadata__has_key="voice_brief")


@pytest.fixture
def stt(redis_conn):
    """``stt(behaviour)`` → an alive FakeSttWorker; call ``.serve()`` to let it work the ``gpu`` queue."""
    def make(behaviour="ok", **kw):
        announce_stt(redis_conn)
        return FakeSttWorker(redis_conn, behaviour, **kw)
    return make


# ------------------------------------------------------------------------------------------ the control

@pytest.mark.parametrize("worker", ["none", "clip_only", "dead"])
def test_the_control_is_hidden_without_a_worker_that_can_transcribe(worker, alice_client, redis_conn):
    if worker == "clip_only":
        announce_stt(redis_conn, kinds=("clip",))  # generates clips, has no Whisper
    elif worker == "dead":
        announce_stt(redis_conn, age_s=120)  # its heartbeat stopped two minutes ago
    page = alice_client.get(reverse("videogen:new")).content.decode()
    assert "data-voice-brief" not in page and "Record a voice brief" not in page
    assert "voice_brief.js" not in page
    assert voice_brief.transcription_available() is False


def test_the_control_is_shown_with_a_worker_that_can_transcribe(alice_client, stt):
    stt()
    page = alice_client.get(reverse("videogen:new")).content.decode()
    assert "data-voice-brief" in page and "Record a voice brief" in page
    assert "upload an audio file" in page.lower()
    assert reverse(UPLOAD) in page and "videogen/voice_brief.js" in page
    assert 'data-target="id_text_prompt"' in page  # the transcript fills the brief's Message field


def test_the_script_is_served_locally_without_a_cdn():
    js = (Path(__file__).resolve().parents[3] / "static" / "videogen" / "voice_brief.js").read_text()
    assert "MediaRecorder" in js and "http://" not in js and "https://" not in js


# ------------------------------------------------------------------------------------------ the text arrives

@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_a_recording_is_transcribed_and_its_text_comes_back(ext, alice_client, alice_org, stt, tmp_path):
    fake = stt()
    data = _audio(tmp_path, ext)
    res = _post(alice_client, f"brief{ext}", data)
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["status"] == "pending" and body["status_url"] == reverse(STATUS, args=[body["id"]])
    first = alice_client.get(body["status_url"]).json()
    assert first["status"] == "pending" and first["text"] == ""

    fake.serve()
    (spec,) = fake.specs
    assert spec.kind == "transcribe" and spec.word_timestamps and fake.audio == [data]  # the worker read our bytes
    asset = Asset.objects.get(pk=body["id"])
    assert asset.organization == alice_org and spec.audio_key == asset.file.name and default_storage.exists(spec.audio_key)
    assert asset.duration_seconds == pytest.approx(1.5, abs=0.1)
    done = alice_client.get(body["status_url"]).json()
    assert done["status"] == "done" and done["text"] == TRANSCRIPT and done["message"] == ""
    assert done["words"] == len(TRANSCRIPT.split()) and done["note"] == ""
    # the answer is kept: later polls say the same even when the result has left Redis
    fake.redis.flushdb()
    assert alice_client.get(body["status_url"]).json()["text"] == TRANSCRIPT


def test_a_streamed_recording_without_a_duration_in_its_header_is_measured(alice_client, stt, tmp_path):
    """Chrome's MediaRecorder writes WebM as a live stream: its header says no duration (ffprobe: N/A)."""
    fake = stt()
    live = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=330:duration=2",
                           "-c:a", "libopus", "-f", "webm", "pipe:1"], capture_output=True, check=True).stdout
    body = _post(alice_client, "voice-brief.webm", live).json()
    assert body["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    fake.serve()
    assert alice_client.get(body["status_url"]).json()["text"] == TRANSCRIPT


def test_a_transcript_longer_than_the_message_field_comes_back_with_a_note(alice_client, stt, tmp_path):
    fake = stt(text="word " * 150)
    body = _post(alice_client, "brief.webm", _audio(tmp_path)).json()
    fake.serve()
    done = alice_client.get(body["status_url"]).json()
    assert done["status"] == "done" and len(done["text"]) == 749
    assert "749 characters" in done["note"] and "at most 500" in done["note"]


def test_a_language_can_be_given_and_a_bad_one_is_refused(alice_client, stt, tmp_path):
    fake = stt()
    assert _post(alice_client, "brief.webm", _audio(tmp_path), language="de").status_code == 201
    fake.serve()
    assert fake.specs[0].language == "de"
    res = _post(alice_client, "brief.webm", _audio(tmp_path), language="german; drop table")
    assert res.status_code == 400 and "is not a language code" in res.json()["detail"]


# ------------------------------------------------------------------------------------------ refusals

def test_refused_files_get_a_clear_error_and_nothing_is_stored_or_sent(alice_client, stt, tmp_path, settings, redis_conn):
    fake = stt()
    settings.KOLONY_MAX_UPLOAD_MB = 1
    video_only = tmp_path / "silent.webm"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x64:d=1", "-c:v", "libvpx",
                    str(video_only)], check=True)
    cases = {
        "fake.webm": (b"\x1a\x45\xdf\xa3 this is not really a recording" * 40, "fake.webm is not a readable audio recording"),
        "brief.txt": (b"Cold brew for busy mornings", "brief.txt: a voice brief must be a WebM, Ogg, M4A, WAV, MP3 or FLAC"),
        "empty.webm": (b"", "empty.webm is empty (0 bytes)"),
        "huge.wav": (b"RIFF" + b"\x00" * (1024 * 1024 + 100), "huge.wav is 1.00 MB; a voice brief may be at most 1 MB"),
        "song.mp3": (_audio(tmp_path, ".wav", 0.5), "song.mp3 is named .mp3 but its contents are wav"),
        "silent.webm": (video_only.read_bytes(), "silent.webm has no sound (no audio stream)"),
    }
    for name, (data, message) in cases.items():
        res = _post(alice_client, name, data)
        assert res.status_code == 400, (name, res.content)
        assert message in res.json()["detail"], (name, res.json())
        assert "/tmp" not in res.json()["detail"]  # no server path in what the marketer reads
    res = alice_client.post(reverse(UPLOAD), {})
    assert res.status_code == 400 and res.json()["detail"] == "Record or choose an audio file first."
    fake.serve()
    assert not _voice_briefs().exists() and fake.specs == []


def test_a_recording_longer_than_five_minutes_is_refused(alice_client, stt, tmp_path):
    stt()
    res = _post(alice_client, "long.ogg", _audio(tmp_path, ".ogg", seconds=301, extra=["-c:a", "libopus", "-b:a", "8k"]))
    assert res.status_code == 400 and "at most 5 minutes" in res.json()["detail"]


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(alice_client, stt, settings):
    stt()
    settings.KOLONY_MAX_UPLOAD_MB = 1
    res = _post(alice_client, "huge.webm", b"\x00" * (2 * 1024 * 1024), headers={"Accept": "application/json"})
    assert res.status_code == 413 and "the limit is 1 MB" in res.json()["detail"]


def test_without_a_worker_the_upload_is_refused_with_409(alice_client, redis_conn, tmp_path):
    res = _post(alice_client, "brief.webm", _audio(tmp_path))
    assert res.status_code == 409 and "none is running right now" in res.json()["detail"]
    assert not _voice_briefs().exists()


@pytest.mark.parametrize("role, status", [("owner", 201), ("admin", 201), ("editor", 201), ("reviewer", 403),
                                          ("viewer", 403)])
def test_who_may_send_a_voice_brief(role, status, member_of, client_for, stt, tmp_path):
    stt()
    res = _post(client_for(member_of(role)), "brief.webm", _audio(tmp_path))
    assert res.status_code == status, (role, res.content)


# ------------------------------------------------------------------------------------------ failures

@pytest.mark.parametrize("behaviour, words", [
    ("failed", "the transcription failed on the GPU worker"),
    ("missing_model", "speech recognition (Whisper) is not installed on the GPU worker"),
    ("oom", "the GPU worker ran out of memory"),
    ("bad_input", "the GPU worker could not read the recording"),
    ("empty", "No speech was heard in the recording"),
])
def test_a_failed_transcription_says_why(behaviour, words, alice_client, stt, tmp_path):
    fake = stt(behaviour)
    body = _post(alice_client, "brief.webm", _audio(tmp_path)).json()
    fake.serve()
    answer = alice_client.get(body["status_url"]).json()
    assert answer["status"] == "failed" and answer["text"] == ""
    assert words in answer["message"] and "type the brief" in answer["message"]
    assert "/models" not in answer["message"]  # the worker's paths stay in the metadata, not in the page


@pytest.mark.parametrize("worker_alive, why", [(True, "the GPU worker is busy"),
                                               (False, "no GPU worker that can transcribe has been seen")])
def test_a_transcription_that_never_comes_back_times_out(worker_alive, why, alice_client, stt, tmp_path, settings,
                                                          redis_conn):
    settings.KOLONY_VOICE_BRIEF_TIMEOUT_S = 30
    fake = stt("silent")
    body = _post(alice_client, "brief.webm", _audio(tmp_path)).json()
    fake.serve()
    assert alice_client.get(body["status_url"]).json()["status"] == "pending"
    if not worker_alive:
        redis_conn.flushdb()
    asset = Asset.objects.get(pk=body["id"])
    answer = voice_brief.voice_brief_status(asset=asset, now=time.time() + 31)
    assert answer["status"] == "failed" and "not transcribed within 30 s" in answer["message"] and why in answer["message"]
    assert redis_conn.exists(cancel_key(fake.specs[0].task_id))  # the worker is asked to stop
    assert alice_client.get(body["status_url"]).json()["message"] == answer["message"]


def test_the_spec_on_the_queue_is_a_valid_transcribe_task(alice_client, stt, tmp_path):
    stt()
    import django_rq

    from kolony.outbox.services import outbox_drain

    body = _post(alice_client, "brief.webm", _audio(tmp_path)).json()
    outbox_drain()
    (job,) = django_rq.get_queue("gpu").get_jobs()
    spec = parse_task(job.args[0])
    assert spec.kind == "transcribe" and spec.labels["asset"] == body["id"] and spec.limits.timeout_s == 180
    assert job.func_name == "gpu_worker.jobs.run_task"


# ------------------------------------------------------------------------------------------ tenancy

def test_another_organizations_user_cannot_poll_a_transcription(alice_client, charlie_client, stt, tmp_path, photo):
    fake = stt()
    body = _post(alice_client, "brief.webm", _audio(tmp_path)).json()
    fake.serve()
    assert charlie_client.get(body["status_url"]).status_code == 404
    assert charlie_client.post(body["status_url"]).status_code in (404, 405)
    # an asset that is no voice brief (a photo) is not a transcription either
    assert alice_client.get(reverse(STATUS, args=[photo.pk])).status_code == 404
    assert alice_client.get(body["status_url"]).json()["text"] == TRANSCRIPT
