"""Uploaded clips as scene pictures: real 6 s renders checked with ffprobe, frame samples and
FFmpeg's blackdetect."""

import re
import subprocess

import numpy as np
import pytest

from videogen.engine.brief import brief_from_dict
from videogen.engine.pipeline import run_pipeline
from videogen.engine.planner import plan_scenes
from videogen.engine.render.ffmpeg import ffmpeg_exe

pytestmark = pytest.mark.slow

MAGENTA, GREEN = (208, 32, 144), (16, 192, 64)


def make_clip(path, segments, size="640x360", fps=25):
    """An H.264 clip of solid colours: ``segments`` = [(hex colour, seconds), ...] played in order."""
    chain = ";".join(f"color=c=0x{c}:s={size}:r={fps}:d={d}[c{i}]" for i, (c, d) in enumerate(segments))
    graph = chain + ";" + "".join(f"[c{i}]" for i in range(len(segments))) + f"concat=n={len(segments)}:v=1:a=0"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", graph, "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    str(path)], check=True)
    return path


def frame_at(path, t, width, height):
    """The output frame at ``t`` seconds as an RGB array (height, width, 3)."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


def region_rgb(img, fx, fy, half=40):
    """Mean RGB of a square around (fx, fy) given as fractions of the frame."""
    h, w = img.shape[:2]
    x, y = int(w * fx), int(h * fy)
    return img[y - half: y + half, x - half: x + half].reshape(-1, 3).mean(axis=0)


def is_green(rgb):
    r, g, b = rgb
    return g > 140 and r < 90 and b < 120


def clip_brief(brief_data, brief_dir, clip, *, start=0.0, cleanup=(), ratios=("9:16",)):
    brief_data.update(duration=6, aspect_ratios=list(ratios),
                      clips=[{"path": str(clip), "start": start, "cleanup": list(cleanup)}])
    brief = brief_from_dict(brief_data, brief_dir)
    plan = plan_scenes(brief, backend="rules").plan
    # the clip goes on the second scene, so it has a transition in and a transition out
    plan.scenes[0].visual.source, plan.scenes[0].visual.clip_index = "product_image", None
    plan.scenes[1].visual.source, plan.scenes[1].visual.clip_index = "uploaded_clip", 0
    return brief, plan


def test_clip_scene_shows_the_clip_from_its_start(brief_data, brief_dir, tmp_path, assert_mp4_spec):
    clip = make_clip(tmp_path / "two_colour.mp4", [("D02090", 1), ("10C040", 3)])
    brief, plan = clip_brief(brief_data, brief_dir, clip, start=1.0, cleanup=["denoise", "color", "fps"])
    res = run_pipeline(brief, out_dir=tmp_path / "out", plan=plan)
    out = res.outputs["9:16"]
    assert_mp4_spec(out, (1080, 1920), 6.0)
    assert not res.quality["9:16"]["problems"], res.quality["9:16"]["problems"]
    s1, start1 = res.plan.scenes[1], res.plan.starts()[1]
    mid = frame_at(out, start1 + s1.duration / 2, 1080, 1920)
    assert is_green(region_rgb(mid, 0.3, 0.25)), region_rgb(mid, 0.3, 0.25)  # the clip after 1 s, not magenta
    before = frame_at(out, 0.5, 1080, 1920)  # scene 0 shows the product photo, not the clip
    assert not is_green(region_rgb(before, 0.3, 0.25))
    # the storyboard keyframe is a frame of the clip too
    from PIL import Image

    kf = np.asarray(Image.open(res.storyboard["9:16"][1]).convert("RGB"))
    assert is_green(region_rgb(kf, 0.3, 0.25, half=20))
    clips = next(s for s in res.trace["stages"] if s["name"] == "scenes")["clips"]
    assert clips == [{"scene": s1.id, "clip_index": 0, "file": "two_colour.mp4", "sha256": clips[0]["sha256"], "start": 1.0,
                      "cleanup": ["denoise", "color", "fps"], "clip_seconds": 4.0, "size": [640, 360],
                      "used_seconds": clips[0]["used_seconds"], "held_last_frame_seconds": 0.0}]
    assert len(clips[0]["sha256"]) == 64 and not res.trace["fallbacks"]


def test_short_clip_holds_its_last_frame(brief_data, brief_dir, tmp_path, assert_mp4_spec):
    clip = make_clip(tmp_path / "short.mp4", [("10C040", 0.4)], size="360x640")
    brief, plan = clip_brief(brief_data, brief_dir, clip, ratios=("16:9",))
    res = run_pipeline(brief, out_dir=tmp_path / "out", plan=plan)
    out = res.outputs["16:9"]
    assert_mp4_spec(out, (1920, 1080), 6.0)
    err = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(out), "-vf", "blackdetect=d=0.04:pix_th=0.10",
                          "-an", "-f", "null", "-"], capture_output=True, text=True).stderr
    assert not re.findall(r"black_start", err), err[-500:]
    s1, start1 = res.plan.scenes[1], res.plan.starts()[1]
    late = frame_at(out, start1 + s1.duration - 0.1, 1920, 1080)
    assert is_green(region_rgb(late, 0.5, 0.2))  # the last frame, held
    (info,) = next(s for s in res.trace["stages"] if s["name"] == "scenes")["clips"]
    assert info["used_seconds"] == pytest.approx(0.4, abs=0.05) and info["held_last_frame_seconds"] > 1


def test_clip_edits_change_only_that_scenes_cache_key(brief_data, brief_dir, tmp_path):
    clip = make_clip(tmp_path / "c.mp4", [("D02090", 1), ("10C040", 2)])
    cache = tmp_path / "cache"
    brief, plan = clip_brief(brief_data, brief_dir, clip, start=0.2, ratios=("1:1",))
    first = run_pipeline(brief, out_dir=tmp_path / "v1", plan=plan, cache_dir=cache, storyboard_only=False)
    assert next(s for s in first.trace["stages"] if s["name"] == "scenes")["cache"]["misses"] == len(plan.scenes)
    brief2, plan2 = clip_brief(brief_data, brief_dir, clip, start=1.2, ratios=("1:1",))
    second = run_pipeline(brief2, out_dir=tmp_path / "v2", plan=plan2, cache_dir=cache)
    cache_stats = next(s for s in second.trace["stages"] if s["name"] == "scenes")["cache"]
    assert (cache_stats["hits"], cache_stats["misses"]) == (len(plan.scenes) - 1, 1)
    s1, start1 = second.plan.scenes[1], second.plan.starts()[1]
    assert is_green(region_rgb(frame_at(second.outputs["1:1"], start1 + s1.duration / 2, 1080, 1080), 0.5, 0.2))


def test_unusable_clip_index_falls_back_and_is_traced(brief_data, brief_dir, tmp_path):
    clip = make_clip(tmp_path / "c.mp4", [("10C040", 1)])
    brief, plan = clip_brief(brief_data, brief_dir, clip)
    plan.scenes[1].visual.clip_index = 3
    res = run_pipeline(brief, out_dir=tmp_path / "out", plan=plan, storyboard_only=True)
    (fb,) = res.trace["fallbacks"]
    assert fb["from"] == "uploaded_clip" and fb["to"] == "product_image" and "clip_index 3 out of range" in fb["reason"]
    assert res.plan.scenes[1].visual.source == "product_image"
