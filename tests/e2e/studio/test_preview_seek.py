"""The job page's player seeks (issue 11 "The preview can't seek"): in real Chromium against daphne,
a rendered job's 9:16 player jumps to 5 s and plays on from there — the media view answers the
browser's Range requests with 206 Partial Content."""

import subprocess
from pathlib import Path

import pytest

from tests.e2e.helpers import sign_in
from videogen import services
from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.models import AssetKind, Render
from videogen.uploads import asset_create_from_file, asset_create_from_upload

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PHOTO = Path(__file__).resolve().parents[3] / "examples" / "coffee.png"




@pytest.fixture
def rendered_job(alice_org, alice, tmp_path):
    """A job with one render: a real 12 s 9:16 MP4 (noisy, ~8 MB, so Chromium can't just buffer it
    whole before seeking; a keyframe every second, faststart)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = asset_create_from_upload(organization=alice_org, user=alice,
                                     upload=SimpleUploadedFile("coffee.png", PHOTO.read_bytes()))
    job = services.video_job_create(organization=alice_org, user=alice, brief_data={
        "product_name": "Aurora", "text_prompt": "Cold brew for busy mornings", "duration": 12,
        "aspect_ratios": ["9:16"], "images": [photo.pk]})
    mp4 = tmp_path / "ad_9x16.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=540x960:r=30:d=12",
                    "-vf", "noise=alls=60:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "5M", "-g", "30",
                    "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(mp4)], check=True)
    asset = asset_create_from_file(organization=alice_org, user=alice, path=mp4, kind=AssetKind.RENDER,
                                   name="Aurora-9x16.mp4", content_type="video/mp4", width=540, height=960, duration_seconds=12)
    Render.objects.create(job=job, number=1, outputs={"9:16": asset.pk}, created_by=alice)
    return job


def test_player_seeks_to_5_seconds_and_plays_from_there(asgi_server, page, alice, rendered_job):
    base = asgi_server
    sign_in(page, base)
    statuses = []

    def record(response):
        if "/assets/" in response.url or "/media/" in response.url:
            statuses.append((response.status, response.headers.get("content-range")))

    page.on("response", record)
    page.goto(f"{base}/studio/jobs/{rendered_job.pk}/")
    page.wait_for_selector("[data-testid=player-9x16]")
    result = page.evaluate("""() => new Promise((resolve, reject) => {
        const v = document.querySelector('[data-testid=player-9x16]');
        v.muted = true;
        v.addEventListener('error', () => reject(new Error('video error ' + (v.error && v.error.code))), { once: true });
        const seek = () => {
            v.addEventListener('seeked', () => {
                const afterSeek = v.currentTime;
                v.play().then(() => {
                    const check = () => {
                        if (v.currentTime > afterSeek + 0.3 || v.ended) {
                            v.pause();
                            resolve({afterSeek, playing: v.currentTime, seekableEnd: v.seekable.length ? v.seekable.end(0) : 0,
                                     duration: v.duration});
                        } else requestAnimationFrame(check);
                    };
                    check();
                }).catch(reject);
            }, { once: true });
            v.currentTime = 5;
        };
        if (v.readyState >= 1) seek(); else v.addEventListener('loadedmetadata', seek, { once: true });
    })""")
    assert result["duration"] == pytest.approx(12, abs=0.2)
    assert result["seekableEnd"] == pytest.approx(12, abs=0.2), result
    assert result["afterSeek"] == pytest.approx(5, abs=0.1), result
    assert result["playing"] >= 5, result
    assert any(status == 206 and (content_range or "").startswith("bytes ") for status, content_range in statuses), statuses
