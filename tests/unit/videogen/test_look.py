"""The look of the ads (issue 14 §2): layouts per ratio that use the whole frame, a subject-aware
crop, motion on every photo scene, cuts on the beat, styles that differ, the brand font."""

import itertools

import numpy as np
import pytest
from PIL import Image

from videogen.engine.brief import brief_from_dict
from videogen.engine.planner.rules import plan_with_rules
from videogen.engine.planner.schema import Scene, Visual
from videogen.engine.render.compositor import _motion
from videogen.engine.render.fonts import font_path
from videogen.engine.render.formats import FORMATS, LAYOUTS, layout_boxes
from videogen.engine.render.layers import (
    Canvas,
    crop_window,
    find_subject,
    plan_layouts,
    render_picture,
    render_text_layer,
)
from videogen.engine.render.music import beat_times, make_music, snap_to_beats
from videogen.engine.render.styles import make_look

STYLES = ["vibrant", "casual", "minimalist", "corporate", "professional"]
COLORS = ["#1E3A8A", "#F59E0B"]
LONG = "Smooth cold brew for busy mornings steeped for eighteen hours with no bitterness at all"


def _photo(subject_xy=(0.7, 0.4), size=(900, 600)) -> Image.Image:
    """A dull photo with one bright, busy object at ``subject_xy`` (fractions)."""
    rng = np.random.default_rng(1)
    a = np.full((size[1], size[0], 3), 90, np.uint8)
    cx, cy = int(subject_xy[0] * size[0]), int(subject_xy[1] * size[1])
    r = size[1] // 8
    a[cy - r: cy + r, cx - r: cx + r] = rng.integers(0, 255, (2 * r, 2 * r, 3), dtype=np.uint8)
    return Image.fromarray(a)


def _scene(role="benefit", layout=None, source="product_image", **kw) -> Scene:
    return Scene(id="s1", role=role, duration=3, on_screen_text=kw.pop("text", LONG), subtext=kw.pop("sub", "No bitterness, ever"),
                 visual=Visual(source=source, image_index=0 if source == "product_image" else None), layout=layout, **kw)


def test_saliency_finds_an_off_centre_subject():
    s = find_subject(_photo((0.72, 0.4)))
    assert s.center[0] > 0.6 and 0.25 < s.center[1] < 0.55
    x0, y0, x1, y1 = s.box
    assert x0 < 0.72 < x1 and y0 < 0.4 < y1


@pytest.mark.parametrize("ratio", list(FORMATS))
@pytest.mark.parametrize("subject", [(0.2, 0.5), (0.5, 0.5), (0.8, 0.3)])
def test_full_bleed_crop_keeps_the_subject_in_frame(ratio, subject):
    """Every format × subject position: the subject's centre is inside the crop window, and as
    near the layout's anchor as the photo allows."""
    photo = _photo(subject)
    s = find_subject(photo)
    spec = FORMATS[ratio]
    lb = layout_boxes(spec, "full_bleed")
    x0, y0, x1, y1 = crop_window(photo.size, spec.width, spec.height, s.center, lb.anchor)
    px, py = s.center[0] * photo.width, s.center[1] * photo.height
    assert x0 <= px <= x1 and y0 <= py <= y1
    assert x1 - x0 > 0 and abs((x1 - x0) / (y1 - y0) - spec.width / spec.height) < 0.01


@pytest.mark.parametrize("ratio", list(FORMATS))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_boxes_keep_text_in_the_safe_zone(ratio, layout):
    spec = FORMATS[ratio]
    lb = layout_boxes(spec, layout)
    assert spec.safe.contains(lb.text), f"{ratio} {layout}: {lb.text} outside {spec.safe}"
    assert lb.text.bottom <= spec.captions.top  # never under the captions
    if ratio == "9:16":
        assert lb.text.top >= 0.14 * 1920 and lb.text.bottom <= 0.65 * 1920
    if layout == "full_bleed":  # the picture uses the whole frame, UI bands included
        assert (lb.photo.width, lb.photo.height) == (spec.width, spec.height)
    else:  # pictures may reach into the UI bands; the photo takes a large share of the frame
        assert lb.photo.width * lb.photo.height >= 0.25 * spec.width * spec.height


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("ratio", list(FORMATS))
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("role,source", [("hook", "product_image"), ("benefit", "product_image"), ("offer", "solid_brand"),
                                         ("end_card", "solid_brand")])
def test_every_style_format_layout_keeps_text_in_the_safe_zone(style, ratio, layout, role, source):
    spec = FORMATS[ratio]
    cv = Canvas(spec, 1.0)
    look = make_look(style, COLORS)
    scene = _scene(role, layout, source)
    layer = render_text_layer(scene, look, cv, full_bleed=layout == "full_bleed", layout=layout)
    assert layer.ink
    for box in layer.ink:
        assert spec.safe.contains(box), f"{box} outside {spec.safe}"
    assert layer.x >= 0 and layer.y + layer.image.height + 70 <= spec.height
    small = Canvas(spec, 0.25)
    pic = render_picture(scene, 0, look, small, _photo() if source == "product_image" else None, logo=None,
                         product_name="Aurora Cold Brew", seed=7, layout=layout)
    assert pic.plate.size == (small.width, small.height) and pic.layout == layout
    if pic.fg is not None:
        assert pic.fg.x >= -small.px(80) and pic.fg.x + pic.fg.image.width <= small.width + small.px(80)


@pytest.mark.parametrize("ratio", list(FORMATS))
def test_layouts_look_different(ratio):
    """The three layouts of one photo scene are visibly different frames (mean pixel difference)."""
    spec = FORMATS[ratio]
    cv = Canvas(spec, 0.25)
    look = make_look("vibrant", COLORS)
    frames = {lay: np.asarray(render_picture(_scene(layout=lay), 1, look, cv, _photo(), logo=None, product_name="A",
                                             seed=1, layout=lay).flat(), np.float32) for lay in LAYOUTS}
    for a, b in itertools.combinations(LAYOUTS, 2):
        assert np.abs(frames[a] - frames[b]).mean() > 12, (a, b)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("duration", [6, 15, 20, 30, 60])
def test_planner_layouts_alternate_and_every_photo_scene_moves(brief_data, brief_dir, style, duration):
    brief_data.update(style=style, duration=duration)
    plan = plan_with_rules(brief_from_dict(brief_data, brief_dir))
    layouts = [s.layout for s in plan.scenes]
    assert all(lay in LAYOUTS for lay in layouts)
    for a, b in itertools.pairwise(layouts):
        assert a != b, layouts
    look = make_look(style, COLORS)
    assert layouts[0] == look.layouts[0]  # the hook opens with the style's signature layout
    assert set(layouts) >= set(look.layouts) if len(plan.scenes) >= 5 else True
    for s in plan.scenes:
        assert s.motion in ("zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "static")
        chain = _motion(s.motion, 90, 1080, 1920)
        assert "crop=" in chain or "zoompan" in chain  # every scene moves ("static" drifts a third)


def test_renderer_alternates_layouts_when_the_plan_has_none(brief_data, brief_dir):
    plan = plan_with_rules(brief_from_dict(brief_data, brief_dir))
    for s in plan.scenes:
        s.layout = None
    for style in STYLES:
        layouts = plan_layouts(plan.scenes, make_look(style, COLORS))
        assert all(a != b for a, b in itertools.pairwise(layouts)), (style, layouts)
        assert layouts == plan_layouts(plan.scenes, make_look(style, COLORS))  # deterministic


@pytest.mark.parametrize("subject,expect", [((0.8, 0.5), "pan_right"), ((0.2, 0.5), "pan_left"), ((0.5, 0.2), "pan_up")])
def test_motion_heads_for_the_subject(subject, expect):
    from videogen.engine.planner.rules import motion_toward

    assert motion_toward(subject, 1) == expect


def test_zoom_centres_on_the_subject():
    chain = _motion("zoom_in", 90, 1080, 1920, focus=(0.7, 0.3))
    assert "0.7000*iw" in chain and "0.3000*ih" in chain


@pytest.mark.parametrize("style", STYLES)
def test_cuts_land_on_the_beat(brief_data, brief_dir, style):
    """Every boundary between scenes (the middle of its cross-fade) is within 50 ms of a beat
    of the music bed made for the ad."""
    from videogen.engine.planner.rules import CUT_OFFSET

    brief_data.update(style=style)
    brief = brief_from_dict(brief_data, brief_dir)
    plan = plan_with_rules(brief)
    bpm = make_look(style, COLORS).music_bpm
    beats = beat_times(plan.total_duration, bpm)
    for t in plan.starts()[1:]:
        assert min(abs(t + CUT_OFFSET - b) for b in beats) <= 0.05 + 1e-6, (t, bpm)


def test_snap_to_beats_keeps_total_and_minimum():
    for bpm in (84, 96, 100, 104, 122):
        for durs in ([2.6, 3.0, 3.4, 3.0, 3.0], [1.0, 1.0, 1.5, 2.5], [5.0, 5.0, 5.0, 5.0, 5.0, 5.0]):
            out = snap_to_beats(durs, bpm, offset=0.2)
            assert round(sum(out), 6) == round(sum(durs), 6)
            assert min(out) >= 1.0 - 1e-9 and len(out) == len(durs)
            assert all(abs(d * 10 - round(d * 10)) < 1e-6 for d in out)


def test_beat_grid_matches_the_bed():
    """The music's kick lands on the grid: its loudest onsets are at the beat times."""
    look = make_look("vibrant", COLORS)
    audio = make_music(4.0, look, seed=1)[:, 0]
    env = np.abs(audio).reshape(-1, 480).max(axis=1)  # 10 ms blocks
    for b in beat_times(4.0, look.music_bpm)[1:6]:
        i = int(b * 100)
        assert env[i: i + 3].max() > env[i - 8: i - 2].max()


def test_styles_differ_in_type_colour_motion_and_layout():
    looks = [make_look(s, COLORS) for s in STYLES]
    assert len({lk.headline_font for lk in looks}) >= 4
    assert len({lk.layouts for lk in looks}) >= 4
    assert len({lk.kb_travel for lk in looks}) >= 3
    assert len({(lk.bg_top, lk.panel) for lk in looks}) == 5
    for lk in looks:
        assert sorted(lk.layouts) == sorted(LAYOUTS)  # three layout families per style


def test_brand_font_is_used(tmp_path):
    """With a brand font the headline is drawn in it (different pixels than the style's font)."""
    spec = FORMATS["9:16"]
    cv = Canvas(spec, 0.5)
    scene = _scene(text="Aurora Cold Brew", sub="")
    brand = str(font_path("serif-bold"))
    for style in STYLES:
        look = make_look(style, COLORS)
        a = np.asarray(render_text_layer(scene, look, cv, full_bleed=True, layout="full_bleed").image)
        b = np.asarray(render_text_layer(scene, look, cv, full_bleed=True, layout="full_bleed", brand_font=brand).image)
        if look.headline_font == "serif-bold":
            continue
        assert np.abs(a.astype(int) - b.astype(int)).mean() > 0.5, style


@pytest.mark.parametrize("ratio", list(FORMATS))
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("position", ["top_left", "top_right"])
def test_text_clears_the_logo(ratio, layout, position):
    """The logo in either top corner never sits on a layout's text box."""
    from videogen.engine.render.layers import logo_layer

    spec = FORMATS[ratio]
    logo = Image.new("RGBA", (400, 120), (200, 30, 30, 255))
    lg = logo_layer(logo, make_look("vibrant", COLORS), Canvas(spec, 1.0), position).ink[0]
    t = layout_boxes(spec, layout).text
    assert lg.bottom <= t.top or lg.right <= t.left or lg.left >= t.right, (lg, t)


def test_filtergraph_moves_every_scene_floats_cards_and_staggers_text(brief_data, brief_dir, tmp_path):
    """Every photo scene's plate moves (crop pan or zoompan), a card/panel foreground is laid
    over it (a card floats: its y changes with t), and a headline with a subtext comes in as
    two overlays, the subtext later."""
    from pathlib import Path

    from videogen.engine.render.compositor import SUBTEXT_DELAY, SceneLayers, build_filtergraph

    plan = plan_with_rules(brief_from_dict(brief_data, brief_dir))
    spec = FORMATS["9:16"]
    layers = []
    for i, s in enumerate(plan.scenes):
        fg = Path(f"/x/fg{i}.png") if s.layout in ("split", "card") and s.visual.source == "product_image" else None
        layers.append(SceneLayers(Path(f"/x/p{i}.png"), Path(f"/x/t{i}.png"), 65, 900, fg=fg, fg_x=80, fg_y=650,
                                  fg_drift=24 if s.layout == "card" else 0, focus=(0.6, 0.4), text_split=120))
    _, graph, _ = build_filtergraph(plan, spec, layers, logo_png=None, logo_xy=(0, 0), ass_path=None, fonts_dir=None)
    for i, (s, lay) in enumerate(zip(plan.scenes, layers, strict=True)):
        chain = next(line for line in graph.split(";\n") if line.startswith(f"[{_input_index(layers, i)}:v]format=yuv420p"))
        assert "crop=w=" in chain or "zoompan" in chain, (s.id, chain)
        if lay.fg is not None:
            over = next(line for line in graph.split(";\n") if line.startswith(f"[pl{i}][fg{i}]overlay"))
            assert ("*(t/" in over) == (s.layout == "card")
        assert f"[th{i}]" in graph and f"[ts{i}]" in graph
    assert f"{0.15 + SUBTEXT_DELAY:.3f}" in graph


def _input_index(layers, i):
    k = 0
    for lay in layers[:i]:
        k += 3 if lay.fg is not None else 2
    return k
