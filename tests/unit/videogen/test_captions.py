"""Captions: ASS timing from the voiceover cues, and libass output inside the safe zone."""

import numpy as np
import pytest

from videogen.engine.render.captions import write_ass
from videogen.engine.render.ffmpeg import run_ffmpeg
from videogen.engine.render.formats import FORMATS
from videogen.engine.render.styles import make_look
from videogen.engine.render.voiceover import Cue, phrases


def test_phrases_split_long_lines_and_drop_emoji():
    out = phrases("Smooth cold brew for busy mornings, steeped for eighteen hours. Order now ☕!")
    assert all(len(p) <= 32 for p in out)
    assert "☕" not in " ".join(out)
    assert out[0].startswith("Smooth")


@pytest.mark.parametrize("ratio", ["9:16", "16:9"])
def test_burned_captions_stay_in_safe_zone(tmp_path, ratio):
    spec = FORMATS[ratio]
    cues = [Cue(0.0, 1.0, "Smooth cold brew for busy mornings, every day of the week and more", "s1")]
    ass = write_ass(tmp_path / "c.ass", cues, spec, make_look("vibrant", ["#1E3A8A", "#F59E0B"]))
    assert "Dialogue: 0,0:00:00.00,0:00:01.12,Caption" in ass.read_text()
    out = tmp_path / "f.gray"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=black:s={spec.width}x{spec.height}:d=0.5:r=30",
                "-vf", f"ass=filename={ass},select=eq(n\\,10)", "-frames:v", "1", "-pix_fmt", "gray", "-f", "rawvideo", str(out)])
    frame = np.fromfile(out, np.uint8).reshape(spec.height, spec.width)
    ys, xs = np.nonzero(frame > 16)
    assert len(ys) > 1000, "no caption drawn"
    s = spec.safe
    assert ys.min() >= s.top and ys.max() < s.bottom and xs.min() >= s.left and xs.max() < s.right
