"""Uploaded clips in the brief: validation (one line per problem, naming the field), the
clean-up names shared with the Studio, and the planner/visual contract."""

import shutil
import subprocess
import typing

import pytest

from videogen.engine.brief import BriefError, ClipSource, brief_from_dict
from videogen.engine.planner import plan_scenes
from videogen.engine.planner.schema import Visual
from videogen.engine.render.clips import ClipError, cleanup_chain, keyframe_time, probe_clip
from videogen.engine.render.ffmpeg import ffmpeg_exe


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory):
    """A 2 s, 320×240, 25 fps H.264 test clip."""
    path = tmp_path_factory.mktemp("clips") / "shot.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def problems(data, base) -> list[str]:
    with pytest.raises(BriefError) as exc:
        brief_from_dict(data, base)
    return exc.value.problems


def test_clip_loads_with_relative_path(brief_data, brief_dir, clip_file):
    shutil.copy(clip_file, brief_dir / "shot.mp4")
    brief_data["clips"] = [{"path": "shot.mp4", "start": 0.5, "cleanup": ["denoise", "color"]}]
    brief = brief_from_dict(brief_data, brief_dir)
    assert brief.clips == [ClipSource(path=(brief_dir / "shot.mp4").resolve(), start=0.5, cleanup=["denoise", "color"])]
    info = probe_clip(brief.clips[0].path)
    assert (info.width, info.height) == (320, 240) and abs(info.duration - 2.0) < 0.05


def test_missing_clip_is_named(brief_data, brief_dir):
    brief_data["clips"] = [{"path": "nope.mp4"}]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("clips[0].path: file not found")


def test_start_past_the_end_is_named(brief_data, brief_dir, clip_file):
    brief_data["clips"] = [{"path": str(clip_file), "start": 0}, {"path": str(clip_file), "start": 2.5}]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("clips[1].start:") and "2 s long" in line


def test_photo_renamed_mp4_is_not_a_clip(brief_data, brief_dir):
    shutil.copy(brief_dir / "coffee.png", brief_dir / "fake.mp4")
    brief_data["clips"] = [{"path": "fake.mp4"}]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("clips[0].path:") and "still image" in line


def test_text_renamed_mp4_is_unreadable(brief_data, brief_dir):
    (brief_dir / "notes.mp4").write_text("not a video at all\n" * 50)
    brief_data["clips"] = [{"path": "notes.mp4"}]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("clips[0].path:") and "notes.mp4" in line


def test_bad_cleanup_and_negative_start_with_other_problems(brief_data, brief_dir, clip_file):
    brief_data["duration"] = 3
    brief_data["clips"] = [{"path": str(clip_file), "start": -1, "cleanup": ["sharpen"]}, {"path": "gone.mp4"}]
    lines = problems(brief_data, brief_dir)
    assert any(x.startswith("duration:") for x in lines)
    assert any(x.startswith("clips[0].start:") for x in lines)
    assert any(x.startswith("clips[0].cleanup[0]:") and "denoise" in x for x in lines)
    assert any(x.startswith("clips[1].path: file not found") for x in lines)


def test_cleanup_names_match_the_studio_filters():
    from videogen.engine.render.clips import CLEANUP_FILTERS

    names = typing.get_args(typing.get_args(ClipSource.model_fields["cleanup"].annotation)[0])
    assert set(names) == set(CLEANUP_FILTERS)
    assert cleanup_chain(["color", "denoise", "fps"]) == [CLEANUP_FILTERS["denoise"], CLEANUP_FILTERS["color"]]


def test_probe_errors_are_clip_errors(tmp_path):
    with pytest.raises(ClipError, match="file not found"):
        probe_clip(tmp_path / "x.mp4")


def test_keyframe_time_stays_inside_the_clip():
    assert keyframe_time(1.0, 10.0) == 1.5
    assert keyframe_time(1.0, 1.2) == pytest.approx(1.15)


def test_rules_planner_gives_clips_to_the_opening_scenes(brief_data, brief_dir, clip_file):
    brief_data["clips"] = [{"path": str(clip_file)}]
    plan = plan_scenes(brief_from_dict(brief_data, brief_dir), backend="rules").plan
    clip_scenes = [s for s in plan.scenes if s.visual.source == "uploaded_clip"]
    assert len(clip_scenes) == 1 and clip_scenes[0].role == "hook" and clip_scenes[0].visual.clip_index == 0
    assert Visual(source="uploaded_clip", clip_index=0).clip_index == 0
