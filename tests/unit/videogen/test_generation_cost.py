"""Issue 15 without a database: the one rate table (CPU, GPU and LLM prices, overridable), the
generated-clip cache key (model, seed, prompt …), the clip sizes asked of the GPU worker, and the
storyboard-stills video (the last fallback)."""

import json
import subprocess

import pytest

from videogen.engine import cost
from videogen.engine.planner.schema import Generation, Scene, ScenePlan
from videogen.engine.render.ffmpeg import ffprobe_exe
from videogen.engine.render.formats import FORMATS


def test_cost_counts_cpu_gpu_and_llm_at_the_default_rates(monkeypatch):
    for _, var in cost.RATE_TABLE.values():
        monkeypatch.delenv(var, raising=False)
    est = cost.cost_estimate(100, 2000, 40)
    assert est["usd"] == round(100 * cost.CPU_COST_PER_SECOND + 40 * cost.GPU_COST_PER_SECOND + 2 * cost.LLM_COST_PER_1K_TOKENS, 6)
    assert (est["cpu_seconds"], est["gpu_seconds"], est["llm_tokens"]) == (100, 40, 2000)
    assert "40.0 GPU-seconds" in est["basis"] and "100.0 s CPU" in est["basis"]
    assert "GPU" not in cost.cost_estimate(100)["basis"], "a CPU-only render's basis names no GPU"


@pytest.mark.parametrize(("name", "var"), [(name, var) for name, (_, var) in cost.RATE_TABLE.items()])
def test_each_price_is_configurable_and_a_bad_price_is_named(monkeypatch, name, var):
    monkeypatch.setenv(var, "0.5")
    assert cost.rates()[name] == 0.5
    args = {"cpu_usd_per_second": (2, 0, 0), "gpu_usd_per_second": (0, 0, 2), "llm_usd_per_1k_tokens": (0, 2000, 0)}[name]
    assert cost.cost_estimate(*args)["usd"] == 1.0
    for bad in ("cheap", "-1", "nan"):
        monkeypatch.setenv(var, bad)
        with pytest.raises(ValueError, match=var):
            cost.rates()


def test_the_generated_clip_key_changes_with_model_seed_prompt_and_first_frame():
    from videogen.generation import generation_key

    base = Generation(prompt="a can on a rock", negative_prompt="blur", seed=3, model="ltx-video")
    size = {"width": 480, "height": 864, "num_frames": 49, "fps": 24, "priority": "balanced"}
    key = generation_key(base, image_sha="abc", **size)
    assert key == generation_key(base.model_copy(), image_sha="abc", **size)
    changed = [base.model_copy(update={"seed": 4}), base.model_copy(update={"prompt": "a can on sand"}),
               base.model_copy(update={"model": "wan2.1-t2v-1.3b"}), base.model_copy(update={"negative_prompt": ""})]
    for other in changed:
        assert generation_key(other, image_sha="abc", **size) != key
    assert generation_key(base, image_sha="def", **size) != key
    for field, value in (("width", 512), ("num_frames", 57), ("priority", "quality")):
        assert generation_key(base, image_sha="abc", **{**size, field: value}) != key
    # the engine's layer cache key hashes the whole scene: its generation (model, seed, prompt) is in it
    scene = Scene(id="s1", role="hook", duration=2, generation=base)
    assert all(str(v) in scene.model_dump_json() for v in (base.seed, base.prompt, base.model))


@pytest.mark.parametrize(("ratio", "seconds"), [(r, s) for r in FORMATS for s in (1.0, 2.5, 20.0)])
def test_clip_sizes_follow_the_first_ratio_and_frames_cover_the_scene(ratio, seconds):
    from videogen.engine.brief import Brief
    from videogen.generation import CLIP_FPS, CLIP_SIZES, MAX_CLIP_FRAMES, clip_request_size

    brief = Brief(product_name="Aurora", text_prompt="Cold brew for busy mornings", aspect_ratios=[ratio])
    width, height, frames = clip_request_size(brief, seconds)
    assert (width, height) == CLIP_SIZES[ratio] and width % 32 == 0 and height % 32 == 0
    assert (frames - 1) % 8 == 0 and frames <= MAX_CLIP_FRAMES
    assert frames >= min(seconds * CLIP_FPS, MAX_CLIP_FRAMES - 8)


def test_the_stills_video_holds_each_still_for_its_scene(tmp_path):
    from PIL import Image

    from videogen.engine.render.stills import stills_video

    spec = FORMATS["1:1"]
    plan = ScenePlan(scenes=[Scene(id=f"s{i}", role=role, duration=d) for i, (role, d) in
                             enumerate([("hook", 1.5), ("benefit", 2.0), ("product", 1.5), ("end_card", 1.0)])])
    stills = []
    for i, colour in enumerate(["red", "green", "blue", "white"]):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (spec.width, spec.height), colour).save(path)
        stills.append(path)
    out = stills_video(plan, spec, stills, tmp_path / "ad.mp4")
    info = json.loads(subprocess.run([ffprobe_exe(), "-v", "error", "-show_entries",
                                      "stream=codec_type,width,height,pix_fmt:format=duration", "-of", "json", str(out)],
                                     capture_output=True, text=True, check=True).stdout)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"], video["pix_fmt"]) == (spec.width, spec.height, "yuv420p")
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert float(info["format"]["duration"]) == pytest.approx(plan.total_duration, abs=0.1)
    with pytest.raises(ValueError, match="3 storyboard stills for 4 scenes"):
        stills_video(plan, spec, stills[:3], tmp_path / "bad.mp4")
