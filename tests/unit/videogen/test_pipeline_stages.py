"""The pipeline's scene rules without encoding anything (issue 14 §1): what each scene shows when
its source cannot be used (the fallback rules of :mod:`videogen.engine.stages.sources`), and the
scene cache of :mod:`videogen.engine.stages.layers` (an edit of one scene redraws only that scene)."""

from __future__ import annotations

from pathlib import Path

import pytest

from videogen.engine.brief import ClipSource, brief_from_dict
from videogen.engine.planner import plan_scenes
from videogen.engine.planner.schema import Visual
from videogen.engine.render.clips import ClipError, ClipInfo
from videogen.engine.render.formats import FORMATS
from videogen.engine.render.styles import make_look
from videogen.engine.stages.job import ENGINE_VERSION, Progress, RenderJob
from videogen.engine.stages.layers import build_layers
from videogen.engine.stages.sources import load_pictures, resolve_sources
from videogen.engine.trace import Trace

FOUR = [FORMATS[r] for r in ("9:16", "1:1", "4:5", "16:9")]


def make_job(brief, tmp_path: Path, *, specs=FOUR, cache_dir: Path | None = None, plan=None) -> RenderJob:
    work = tmp_path / "work"
    (work / "out" / "storyboard").mkdir(parents=True, exist_ok=True)
    return RenderJob(brief=brief, specs=list(specs), trace=Trace(engine_version=ENGINE_VERSION), progress=Progress(None, {}),
                     look=make_look(brief.style, brief.brand.colors), work=work, stage_dir=work / "out",
                     out_dir=tmp_path / "out", cache_dir=cache_dir,
                     plan=plan or plan_scenes(brief, backend="rules").plan)


def fake_probe(duration=4.0):
    def probe(path):
        if Path(path).name == "broken.mp4":
            raise ClipError("ffprobe found no video stream")
        return ClipInfo(duration=duration, width=1920, height=1080, codec="h264")
    return probe


def fake_keyframe(path, t, out, cleanup=()):
    from PIL import Image

    return Image.new("RGB", (192, 108), (40, 80, 120))


@pytest.fixture
def brief(brief_data, brief_dir):
    return brief_from_dict(brief_data, brief_dir)


@pytest.fixture
def no_photo_brief(brief_data, brief_dir):
    return brief_from_dict({**brief_data, "images": []}, brief_dir)


# (case, visual given to scene 2, clips of the brief, brief has photos?) → (source, image_index, fallback from→to, reason part)
CASES = [
    ("clip without index", Visual(source="uploaded_clip"), [], True,
     ("product_image", 0, ("uploaded_clip", "product_image"), "no clip_index given")),
    ("clip index out of range", Visual(source="uploaded_clip", clip_index=2), ["a.mp4"], True,
     ("product_image", 0, ("uploaded_clip", "product_image"), "clip_index 2 out of range (the brief has 1 clips)")),
    ("unreadable clip", Visual(source="uploaded_clip", clip_index=0), ["broken.mp4"], True,
     ("product_image", 0, ("uploaded_clip", "product_image"), "clips[0] unusable: ffprobe found no video stream")),
    ("start past the clip's end", Visual(source="uploaded_clip", clip_index=0), [("a.mp4", 9.0)], True,
     ("product_image", 0, ("uploaded_clip", "product_image"), "start 9 s is at or past the clip's end (4 s)")),
    ("clip, no photos", Visual(source="uploaded_clip"), [], False,
     ("solid_brand", None, ("uploaded_clip", "solid_brand"), "no clip_index given")),
    ("generated clip", Visual(source="generated_clip"), [], True,
     ("product_image", 0, ("generated_clip", "product_image"), "the CPU engine renders no generated clips")),
    ("generated clip, no photos", Visual(source="generated_clip"), [], False,
     ("solid_brand", None, ("generated_clip", "solid_brand"), "the CPU engine renders no generated clips")),
    ("photo, no photos", Visual(source="product_image", image_index=0), [], False,
     ("solid_brand", None, ("product_image", "solid_brand"), "the brief has no images")),
    ("photo index out of range", Visual(source="product_image", image_index=5), [], True,
     ("product_image", 0, None, None)),
    ("usable clip", Visual(source="uploaded_clip", clip_index=0), [("a.mp4", 1.0)], True,
     ("uploaded_clip", None, None, None)),
]


@pytest.mark.parametrize("case,visual,clips,photos,expected", CASES, ids=[c[0] for c in CASES])
def test_scene_source_fallbacks(case, visual, clips, photos, expected, brief_data, brief_dir, tmp_path):
    b = brief_from_dict({**brief_data, "images": brief_data["images"] if photos else []}, brief_dir)
    b.clips = [ClipSource(path=brief_dir / (c if isinstance(c, str) else c[0]), start=0 if isinstance(c, str) else c[1])
               for c in clips]
    for c in b.clips:
        c.path.write_bytes(b"stand-in clip bytes")  # probed by the stand-in, hashed for real
    job = make_job(b, tmp_path)
    scene = job.the_plan.scenes[1]
    scene.visual = visual.model_copy()
    for other in job.the_plan.scenes:
        if other is not scene:
            other.visual = Visual(source="solid_brand")
    st: dict = {"notes": []}
    load_pictures(job, st)
    resolve_sources(job, st, probe=fake_probe(), keyframe=fake_keyframe)
    source, image_index, fallback, reason = expected
    assert (scene.visual.source, scene.visual.image_index) == (source, image_index)
    mine = [f for f in job.trace.fallbacks if f["reason"].startswith(f"scene {scene.id}:")]
    if fallback is None:
        assert mine == []
    else:
        assert [(f["stage"], f["from"], f["to"]) for f in mine] == [("scenes", *fallback)]
        assert reason in mine[0]["reason"]
    if case == "photo index out of range":
        assert st["notes"] == [f"scene {scene.id}: image_index 5 out of range; using image 0"]
    if case == "usable clip":
        (entry,) = st["clips"]
        # 4 s clip from 1 s: 3 s of footage; the scene needs its duration plus the transition
        assert entry["clip_index"] == 0 and entry["start"] == 1.0 and entry["clip_seconds"] == 4.0
        assert entry["used_seconds"] == round(min(3.0, entry["used_seconds"] + entry["held_last_frame_seconds"]), 3)
        assert 0 in job.clip_frames, "the storyboard keyframe of the clip was taken"
    # the other scenes are left alone
    assert all(o.visual == Visual(source="solid_brand") for o in job.the_plan.scenes if o is not scene)
    assert len(job.trace.fallbacks) == len(mine)


def _layers(job):
    st: dict = {"notes": []}
    load_pictures(job, st)
    resolve_sources(job, st, probe=fake_probe(), keyframe=fake_keyframe)
    build_layers(job, st)
    return st["cache"], job


def test_scene_cache_redraws_only_the_edited_scene(brief, tmp_path):
    cache = tmp_path / "cache"
    plan = plan_scenes(brief, backend="rules").plan
    n = len(plan.scenes)
    first, job1 = _layers(make_job(brief, tmp_path / "a", cache_dir=cache, plan=plan.model_copy(deep=True)))
    assert first == {"hits": 0, "misses": n * len(FOUR), "enabled": True}
    again, job2 = _layers(make_job(brief, tmp_path / "b", cache_dir=cache, plan=plan.model_copy(deep=True)))
    assert again == {"hits": n * len(FOUR), "misses": 0, "enabled": True}
    assert {r: [sl.plate for sl in v] for r, v in job1.layers.items()} == {r: [sl.plate for sl in v] for r, v in job2.layers.items()}
    for edited in range(n):  # an edit of any one scene redraws that scene in each format, nothing else
        p = plan.model_copy(deep=True)
        p.scenes[edited].on_screen_text = f"Edited headline {edited}"
        stats, job = _layers(make_job(brief, tmp_path / f"e{edited}", cache_dir=cache, plan=p))
        assert stats == {"hits": (n - 1) * len(FOUR), "misses": len(FOUR), "enabled": True}, edited
        for ratio in job.layers:
            changed = [i for i, sl in enumerate(job.layers[ratio]) if sl.plate != job1.layers[ratio][i].plate]
            assert changed == [edited], (ratio, edited)


def test_scene_cache_key_follows_the_photo_bytes(brief, brief_dir, tmp_path):
    cache = tmp_path / "cache"
    plan = plan_scenes(brief, backend="rules").plan
    _layers(make_job(brief, tmp_path / "a", cache_dir=cache, plan=plan.model_copy(deep=True), specs=FOUR[:1]))
    (brief_dir / "coffee.png").write_bytes((brief_dir / "coffee.png").read_bytes() + b"\0")  # same picture, new bytes
    stats, _ = _layers(make_job(brief, tmp_path / "b", cache_dir=cache, plan=plan.model_copy(deep=True), specs=FOUR[:1]))
    photo_scenes = sum(s.visual.source == "product_image" for s in plan.scenes)
    assert photo_scenes and stats["misses"] == photo_scenes and stats["hits"] == len(plan.scenes) - photo_scenes


def test_without_a_cache_nothing_is_counted(brief, tmp_path):
    stats, job = _layers(make_job(brief, tmp_path, specs=FOUR[:1]))
    assert stats == {"hits": 0, "misses": 0, "enabled": False}
    assert all(sl.plate.is_relative_to(job.work) for sl in job.layers["9:16"])
