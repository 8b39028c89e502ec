"""Text layout and safe zones: text wraps or shrinks, never overflows, never leaves the safe zone."""

import numpy as np
import pytest
from PIL import Image

from videogen.engine.planner.schema import Scene, Visual
from videogen.engine.render.formats import FORMATS
from videogen.engine.render.layers import Canvas, logo_layer, prepare_logo, render_text_layer
from videogen.engine.render.styles import make_look
from videogen.engine.render.text import FontSet, draw_block, fit_text

TEXTS = {
    "short": "Cold brew",
    "long_word": "Supercalifragilisticexpialidociousnessextraordinaire everywhere",
    "long": "Smooth cold brew for busy mornings steeped for eighteen hours with no bitterness at all, ever, promise",
    "cjk": "冷萃咖啡，忙碌早晨的好伙伴，限时八折优惠",
    "rtl_emoji": "قهوة باردة ناعمة ☕ خصم 20% هذا الأسبوع 🚀",
    "accents": "Crème brûlée à l'été — Ünïcødé ÅØÆ",
}


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_fit_text_never_overflows(text):
    fonts = FontSet.for_role("sans-bold")
    block = fit_text(text, fonts, 600, 200, max_size=90, min_size=28, max_lines=3)
    assert block.width <= 600 and block.height <= 200 and len(block.lines) <= 3
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    left, top, right, bottom = draw_block(img, block, 0, 0, 600)
    assert 0 <= left and right <= 600 and 0 <= top and bottom <= 200 + 2


def test_emoji_is_drawn_in_colour():
    fonts = FontSet.for_role("sans-bold")
    block = fit_text("☕", fonts, 300, 200, max_size=120, min_size=40)
    img = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    draw_block(img, block, 0, 0, 300, fill=(255, 255, 255, 255))
    a = np.asarray(img)
    ink = a[a[..., 3] > 200][:, :3].astype(int)
    assert len(ink) > 100
    assert (ink.max(axis=1) - ink.min(axis=1)).max() > 60  # saturated pixels: not a white glyph


@pytest.mark.parametrize("ratio", list(FORMATS))
@pytest.mark.parametrize("style", ["vibrant", "corporate", "minimalist"])
@pytest.mark.parametrize("role,source", [("hook", "product_image"), ("offer", "solid_brand"), ("end_card", "solid_brand")])
def test_text_layers_stay_in_safe_zone(ratio, style, role, source):
    spec = FORMATS[ratio]
    cv = Canvas(spec, 1.0)
    look = make_look(style, ["#1E3A8A", "#F59E0B"])
    scene = Scene(id="s1", role=role, duration=3, on_screen_text=TEXTS["long"], subtext=TEXTS["long_word"],
                  visual=Visual(source=source, image_index=0 if source == "product_image" else None))
    layer = render_text_layer(scene, look, cv, full_bleed=False)
    assert layer.ink
    for box in layer.ink:
        assert spec.safe.contains(box), f"{box} outside {spec.safe}"
    # the whole layer image (including animation start offsets ≤ 70 px down) stays in the frame
    assert layer.x >= 0 and layer.y + layer.image.height + 70 <= spec.height


@pytest.mark.parametrize("ratio", list(FORMATS))
def test_format_boxes_respect_the_safe_zone(ratio):
    spec = FORMATS[ratio]
    assert spec.safe.contains(spec.headline) and spec.safe.contains(spec.captions)
    if ratio == "9:16":  # Reels: text out of the top 14 % and bottom 35 %
        assert spec.safe.top >= 0.14 * 1920 - 1 and spec.safe.bottom <= 0.65 * 1920 + 1


def test_logo_without_alpha_is_keyed_and_placed_in_safe_zone():
    logo = Image.new("RGB", (400, 120), "white")
    logo.paste((200, 30, 30), (50, 30, 350, 90))
    prepared, note = prepare_logo(logo)
    assert "keyed out" in note
    assert prepared.size == (300, 60)  # the white background is transparent and cropped away
    spec = FORMATS["9:16"]
    layer = logo_layer(prepared, make_look("vibrant", ["#1E3A8A"]), Canvas(spec, 1.0), "top_right")
    assert spec.safe.contains(layer.ink[0])


def test_busy_logo_without_alpha_kept_as_badge():
    rng = np.random.default_rng(0)
    logo = Image.fromarray(rng.integers(0, 255, (80, 200, 3), dtype=np.uint8))
    prepared, note = prepare_logo(logo)
    assert "opaque badge" in note and prepared.size == (200, 80)
