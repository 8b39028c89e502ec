import io
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from videogen.engine.render.ffmpeg import ffmpeg_exe
from videogen.footage import footage_analyse
from videogen.models import Asset, AssetKind

pytestmark = pytest.mark.django_db


def _png_bytes(size=(64, 48), color=(200, 40, 40)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def _two_shot_clip(path: Path) -> Path:
    """A 3 s clip: 1.5 s of red, then 1.5 s of blue (one hard cut)."""
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=320x240:r=30:d=1.5",
                    "-f", "lavfi", "-i", "color=c=blue:s=320x240:r=30:d=1.5", "-filter_complex", "[0][1]concat=n=2:v=1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_photo_upload_records_facts(alice_org, alice, upload_asset):
    asset = upload_asset(alice_org, alice)
    assert asset.kind == AssetKind.IMAGE and (asset.width, asset.height) == (600, 400)
    assert len(asset.checksum) == 64 and asset.size_bytes > 0 and Path(asset.file.path).exists()


@pytest.mark.parametrize("name,data,message", [
    ("empty.png", b"", "empty"),
    ("notes.png", b"this is a text file, not a picture at all", "not a readable image"),
    ("photo.png", None, "really a JPEG"),
    ("corrupt.png", _png_bytes()[:60], "corrupt"),
    ("virus.exe", b"MZ\x90\x00", "unsupported file type"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(alice_org, alice, upload_asset, name, data, message, tmp_path):
    if data is None:  # a JPEG renamed .png
        buf = io.BytesIO()
        Image.new("RGB", (32, 32)).save(buf, "JPEG")
        data = buf.getvalue()
    with pytest.raises(ValidationError) as exc:
        upload_asset(alice_org, alice, name=name, data=data)
    assert message in exc.value.messages[0] and name in exc.value.messages[0]
    assert not Asset.objects.exists()


def test_decompression_bomb_is_refused(alice_org, alice, upload_asset):
    buf = io.BytesIO()
    Image.new("1", (12_000, 9_000)).save(buf, "PNG")  # 108 MP, a few KB on disk
    with pytest.raises(ValidationError, match="decompression bomb|limit"):
        upload_asset(alice_org, alice, name="bomb.png", data=buf.getvalue())


def test_upload_size_limit_is_configurable(alice_org, alice, upload_asset, settings):
    settings.KOLONY_MAX_UPLOAD_MB = 0
    with pytest.raises(ValidationError, match="the limit is 0 MB"):
        upload_asset(alice_org, alice)


def test_clip_upload_probe_shots_and_reframe(alice_org, alice, upload_asset, tmp_path, redis_conn):
    clip = _two_shot_clip(tmp_path / "clip.mp4")
    asset = upload_asset(alice_org, alice, name="clip.mp4", data=clip.read_bytes())
    assert asset.kind == AssetKind.VIDEO and (asset.width, asset.height) == (320, 240)
    assert asset.duration_seconds == pytest.approx(3.0, abs=0.1) and asset.metadata["codec"] == "h264"
    asset = footage_analyse(asset_id=asset.pk)
    shots = asset.metadata["shots"]
    assert len(shots) == 2 and shots[1]["start"] == pytest.approx(1.5, abs=0.1)
    keyframe = Asset.objects.get(pk=shots[1]["keyframe_asset_id"])
    with Image.open(keyframe.file.path) as im:
        r, g, b = im.convert("RGB").getpixel((160, 120))
    assert b > 200 and r < 60, "the second shot's keyframe is the blue one"


def test_fake_clip_is_refused(alice_org, alice, upload_asset):
    with pytest.raises(ValidationError, match="not a readable video"):
        upload_asset(alice_org, alice, name="clip.mp4", data=b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
