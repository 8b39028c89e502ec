"""Storyboard: one keyframe per scene per ratio, byte-identical for the same brief and seed."""

from pathlib import Path

from videogen.engine.brief import brief_from_dict
from videogen.engine.pipeline import run_pipeline


def test_storyboard_only_is_deterministic(brief_data, brief_dir, tmp_path):
    tmp_path = tmp_path / "renders"
    tmp_path.mkdir()
    brief = brief_from_dict(brief_data, brief_dir)
    a = run_pipeline(brief, out_dir=tmp_path / "a", storyboard_only=True)
    b = run_pipeline(brief_from_dict(brief_data, brief_dir), out_dir=tmp_path / "b", storyboard_only=True)
    assert a.plan.to_dict() == b.plan.to_dict()
    n = len(a.plan.scenes)
    assert sum(len(v) for v in a.storyboard.values()) == n * 4
    for ratio in a.storyboard:
        for pa, pb in zip(a.storyboard[ratio], b.storyboard[ratio], strict=True):
            assert pa.name == pb.name and pa.read_bytes() == pb.read_bytes()
    assert not a.outputs and (tmp_path / "a" / "trace.json").exists()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["storyboard", "trace.json"]
    assert a.trace["stages"][1]["storyboard_seconds"] >= 0
    # nothing left in the parent but the two output folders (staging removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_storyboard_renders_rtl_emoji_cjk_and_wide_image(brief_data, brief_dir, tmp_path):
    from PIL import Image

    Image.new("RGB", (12_000, 600), (30, 90, 160)).save(brief_dir / "wide.png")
    brief_data.update(product_name="冷萃咖啡 ☕", text_prompt="قهوة باردة ناعمة 🚀 خصم 20% هذا الأسبوع", images=["wide.png"],
                      language="ar", aspect_ratios=["9:16"])
    brief_data["voice"]["voice"] = "ar"
    brief_data["brand"]["logo"] = None
    res = run_pipeline(brief_from_dict(brief_data, brief_dir), out_dir=tmp_path / "o", storyboard_only=True)
    frames = res.storyboard["9:16"]
    assert frames and all(Path(p).stat().st_size > 1000 for p in frames)
    size = Image.open(frames[0]).size
    assert size == (540, 960)
