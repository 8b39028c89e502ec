"""Brief validation: every bad input either works or fails with one clear line naming the field."""

import struct
import zlib

import pytest
from PIL import Image

from videogen.engine.brief import BriefError, brief_from_dict, load_brief


def problems(data, base, **kw) -> list[str]:
    with pytest.raises(BriefError) as exc:
        brief_from_dict(data, base, **kw)
    return exc.value.problems


def test_example_brief_loads_and_resolves_paths(brief_dir):
    brief = load_brief(brief_dir / "coffee_brief.json")
    assert brief.images == [(brief_dir / "coffee.png").resolve()]
    assert brief.brand.logo == (brief_dir / "aurora_logo.png").resolve()
    assert brief.duration == 15 and brief.aspect_ratios == ["9:16", "1:1", "4:5", "16:9"]


def test_defaults_for_optional_fields(brief_dir):
    brief = brief_from_dict({"product_name": "Kettle", "text_prompt": "Boils in sixty seconds flat"}, brief_dir)
    assert brief.seed == 0 and brief.voice.voice == "en-us" and brief.brand.colors


@pytest.mark.parametrize("duration", [5, 61, -1])
def test_duration_out_of_range(brief_data, brief_dir, duration):
    brief_data["duration"] = duration
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("duration:")


def test_unknown_ratio_is_named(brief_data, brief_dir):
    brief_data["aspect_ratios"] = ["9:16", "3:2"]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("aspect_ratios:") and "'3:2'" in line and "9:16" in line


def test_missing_image(brief_data, brief_dir):
    brief_data["images"] = ["nope.png"]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("images[0]: file not found")


def test_non_image_renamed_png(brief_data, brief_dir):
    (brief_dir / "fake.png").write_text("this is a text file, not a picture")
    brief_data["images"] = ["fake.png"]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("images[0]: not a readable image")


def test_truncated_image(brief_data, brief_dir):
    data = (brief_dir / "coffee.png").read_bytes()
    (brief_dir / "cut.png").write_bytes(data[: len(data) // 3])
    brief_data["images"] = ["cut.png"]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("images[0]:")


def _png_header_only(path, width, height):
    """A tiny PNG whose header claims width×height (a decompression bomb's shape)."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_without_decoding(brief_data, brief_dir):
    _png_header_only(brief_dir / "bomb.png", 40_000, 40_000)
    brief_data["images"] = ["bomb.png"]
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("images[0]:") and "decompression bomb" in line


def test_12000_pixel_wide_image_is_accepted(brief_data, brief_dir):
    Image.new("RGB", (12_000, 500), (200, 120, 40)).save(brief_dir / "wide.jpg")
    brief_data["images"] = ["wide.jpg"]
    brief = brief_from_dict(brief_data, brief_dir)
    from videogen.engine.brief import WORKING_IMAGE_SIDE, load_image

    assert max(load_image(brief.images[0]).size) == WORKING_IMAGE_SIDE


def test_2000_character_text_fails_with_length(brief_data, brief_dir):
    brief_data["text_prompt"] = "x" * 2000
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("text_prompt:") and "500" in line and "2000" in line


def test_rtl_and_emoji_text_is_accepted(brief_data, brief_dir):
    brief_data["product_name"] = "قهوة أورورا ☕"
    brief_data["text_prompt"] = "قهوة باردة ناعمة للصباح 🚀 خصم 20% هذا الأسبوع"
    brief_data["language"] = "ar"
    brief_data["voice"]["voice"] = "ar"
    assert brief_from_dict(brief_data, brief_dir).product_name == "قهوة أورورا ☕"


def test_logo_without_alpha_is_accepted(brief_data, brief_dir):
    Image.new("RGB", (300, 100), "white").save(brief_dir / "flat_logo.jpg")
    brief_data["brand"]["logo"] = "flat_logo.jpg"
    assert brief_from_dict(brief_data, brief_dir).brand.logo.name == "flat_logo.jpg"


def test_many_problems_one_line_each(brief_data, brief_dir):
    brief_data.update(duration=100, style="loud", aspect_ratios=["2:1"], images=["a.png"], colour="red")
    brief_data["brand"]["colors"] = ["blue"]
    lines = problems(brief_data, brief_dir)
    fields = {ln.split(":")[0] for ln in lines}
    assert {"duration", "style", "aspect_ratios", "brand.colors[0]", "colour"} <= fields
    assert all("\n" not in ln for ln in lines)


def test_unknown_voice_and_bad_url(brief_data, brief_dir):
    brief_data["landing_url"] = "example dot com"
    lines = problems(brief_data, brief_dir)
    assert lines[0].startswith("landing_url:")
    brief_data["landing_url"] = "https://example.com"
    brief_data["voice"]["voice"] = "klingon"
    (line,) = problems(brief_data, brief_dir)
    assert line.startswith("voice.voice:") and "klingon" in line


def test_brief_file_errors(tmp_path):
    with pytest.raises(BriefError, match="file not found"):
        load_brief(tmp_path / "missing.json")
    (tmp_path / "b.json").write_text("{not json")
    with pytest.raises(BriefError, match="not valid JSON"):
        load_brief(tmp_path / "b.json")


def test_image_override_replaces_brief_images(brief_data, brief_dir):
    brief = brief_from_dict(brief_data, brief_dir, images=[brief_dir / "rocket.jpg"])
    assert [p.name for p in brief.images] == ["rocket.jpg"]
