"""In Chromium: a marketer records a voice brief in the wizard (Chromium's fake microphone through the real
``MediaRecorder``), the recording goes to the Studio, the (fake, in-process) GPU worker transcribes it, and the
text lands in the brief's Message field; an uploaded file that is no recording and a worker failure each
show their message under the control."""

import subprocess
import time

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.helpers import screenshot, sign_in
from tests.fakes.fake_stt_worker import TRANSCRIPT, FakeSttWorker, announce_stt
from videogen.engine.render.ffmpeg import ffmpeg_exe

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    """Chromium with a fake microphone (a beep) that needs no permission prompt."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"])
        yield browser
        browser.close()


def _serve_until(page, fake, done, timeout_s=30.0):
    """Lets the fake GPU worker work the queue until ``done()`` holds (the page polls the Studio meanwhile)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        fake.serve()
        if done():
            return
        page.wait_for_timeout(300)
    raise AssertionError(f"timed out; status: {page.text_content('[data-voice-status]')!r}")


def test_a_recorded_voice_brief_fills_the_message(asgi_server, page, alice, redis_conn):
    announce_stt(redis_conn)
    fake = FakeSttWorker(redis_conn)
    page.context.grant_permissions(["microphone"])
    sign_in(page, asgi_server)
    page.goto(f"{asgi_server}/studio/new/")
    page.click("[data-voice-record]")
    page.wait_for_selector("[data-voice-stop]:visible")
    assert "Recording" in page.text_content("[data-voice-status]")
    page.wait_for_timeout(1500)
    page.click("[data-voice-stop]")
    _serve_until(page, fake, lambda: page.input_value("#id_text_prompt") == TRANSCRIPT)
    assert "Edit it as you like" in page.text_content("[data-voice-status]")
    (audio,) = fake.audio
    assert audio[:4] == b"\x1a\x45\xdf\xa3" and len(audio) > 1000  # a WebM (EBML) recording of the microphone
    screenshot(page, "voice-brief-done.png", full_page=True)


def test_an_upload_that_is_refused_or_fails_says_why(asgi_server, page, alice, redis_conn, tmp_path):
    announce_stt(redis_conn)
    fake = FakeSttWorker(redis_conn, "missing_model")
    sign_in(page, asgi_server)
    page.goto(f"{asgi_server}/studio/new/")
    fake_file = tmp_path / "notes.webm"
    fake_file.write_bytes(b"this is not a recording" * 50)
    page.set_input_files("[data-voice-file]", str(fake_file))
    page.wait_for_selector("[data-voice-status][data-state=error]")
    assert "notes.webm is not a readable audio recording" in page.text_content("[data-voice-status]")

    real = tmp_path / "brief.ogg"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=330:duration=1", "-c:a", "libopus",
                    str(real)], check=True)
    page.set_input_files("[data-voice-file]", str(real))
    page.wait_for_selector("[data-voice-status][data-state=pending]")
    _serve_until(page, fake, lambda: page.get_attribute("[data-voice-status]", "data-state") == "error")
    message = page.text_content("[data-voice-status]")
    assert "speech recognition (Whisper) is not installed on the GPU worker" in message and "type the brief" in message
    assert page.input_value("#id_text_prompt") != TRANSCRIPT
