"""The ``render_ad`` management command: the main job from the command line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def render_ad(*args):
    return subprocess.run([sys.executable, "manage.py", "render_ad", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_renders_a_short_ad(brief_dir, tmp_path):
    data = json.loads((brief_dir / "coffee_brief.json").read_text())
    data["duration"] = 6
    (brief_dir / "short.json").write_text(json.dumps(data))
    out = tmp_path / "out"
    res = render_ad("--brief", brief_dir / "short.json", "--out", out, "--formats", "1:1", "--image", brief_dir / "rocket.jpg")
    assert res.returncode == 0, res.stderr
    assert (out / "ad_1x1.mp4").stat().st_size > 50_000
    assert list((out / "storyboard").glob("1x1_s*.png"))
    trace = json.loads((out / "trace.json").read_text())
    assert trace["outputs"]["1:1"]["path"] == "ad_1x1.mp4"
    assert "Rendered" in res.stdout and "ad_1x1.mp4" in res.stdout


def test_storyboard_only(brief_dir, tmp_path):
    res = render_ad("--brief", brief_dir / "coffee_brief.json", "--out", tmp_path / "sb", "--storyboard-only")
    assert res.returncode == 0, res.stderr
    assert not list((tmp_path / "sb").glob("*.mp4"))
    assert len(list((tmp_path / "sb" / "storyboard").glob("*.png"))) >= 16


def test_bad_input_exits_nonzero_one_line_per_problem_and_writes_nothing(brief_dir, tmp_path):
    data = json.loads((brief_dir / "coffee_brief.json").read_text())
    data["duration"] = 90
    (brief_dir / "fake.png").write_text("not an image")
    data["images"] = ["fake.png"]
    (brief_dir / "bad.json").write_text(json.dumps(data))
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "never"
    res = render_ad("--brief", brief_dir / "bad.json", "--out", out, "--formats", "9:16,2:3")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 3
    assert any(ln.startswith("error: --formats:") for ln in lines)
    assert any(ln.startswith("error: duration:") for ln in lines)
    assert any(ln.startswith("error: images[0]: not a readable image") for ln in lines)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no staging folder left either
