"""Visual styles: how each brief ``style`` looks, moves and sounds.

A :class:`Look` is derived from the style and the brand colours; all colours RGB(A) tuples.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass


def hex_rgb(h: str) -> tuple[int, int, int]:
    h = h.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def luminance(c: tuple[int, ...]) -> float:
    """Relative luminance 0..1 (WCAG 2.x formula)."""
    def ch(v):
        v = v / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = c[:3]
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)


def shade(c: tuple[int, int, int], lightness: float, sat_mul: float = 1.0) -> tuple[int, int, int]:
    """``c`` with HLS lightness set to ``lightness`` (0..1) and saturation scaled."""
    h, _, s = colorsys.rgb_to_hls(*(v / 255 for v in c))
    r, g, b = colorsys.hls_to_rgb(h, max(0, min(1, lightness)), max(0, min(1, s * sat_mul)))
    return (round(r * 255), round(g * 255), round(b * 255))


def on_color(bg: tuple[int, ...]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``bg`` (WCAG contrast)."""
    return (17, 17, 17) if luminance(bg) > 0.4 else (255, 255, 255)


@dataclass(frozen=True)
class Look:
    """Resolved style. Fonts are role names for :func:`videogen.engine.render.fonts.font_path`.

    Design fields (what makes the five styles differ at a glance):
    ``layouts``: the three layout families (``Scene.layout``) in the style's order of preference;
    ``panel``: the split layout's text-panel colour, ``panel_text`` its ink; ``scale``: headline size
    relative to the default; ``tracking``: extra letter spacing (fraction of the size);
    ``kb_travel``: Ken Burns travel over a scene (fraction of the frame); ``card_drift``: how far (px
    at 1080 p) the photo card floats against the backdrop (parallax)."""

    style: str
    primary: tuple[int, int, int]
    accent: tuple[int, int, int]
    bg_top: tuple[int, int, int]
    bg_bottom: tuple[int, int, int]
    text: tuple[int, int, int]
    subtext: tuple[int, int, int]
    headline_font: str
    body_font: str
    uppercase: bool
    align: str  # headline alignment in the split/side layouts; stacked layouts centre unless "left_all"
    backdrop: str  # "blurred_photo" or "flat"
    shapes: str  # "circles", "blobs", "bars", "band", "none"
    card_radius: int
    card_border: int
    card_tilt: float  # degrees
    text_panel: str  # "none", "pill", "bar"
    caption_box: bool
    grade: tuple[float, float, float]  # saturation, contrast, warmth (−1..1)
    music_bpm: int
    music_mode: str  # "major" or "minor"
    music_brightness: float  # 0..1, share of high partials
    layouts: tuple[str, str, str] = ("full_bleed", "split", "card")
    panel: tuple[int, int, int] = (20, 20, 20)
    panel_text: tuple[int, int, int] = (255, 255, 255)
    scale: float = 1.0
    stack_align: str = "center"  # headline alignment in stacked (9:16, 1:1, 4:5) layouts
    kb_travel: float = 0.08
    card_drift: int = 24


def make_look(style: str, colors: list[str]) -> Look:
    """Resolve ``style`` with brand ``colors`` (hex; first primary, second accent).

    vibrant: saturated brand gradients, bold sans, pills, tilted cards, bright panels, fast pushes;
    casual: cream paper, serif headlines, soft blobs, tilted bordered cards, warm grade;
    minimalist: off-white space, light sans set small and left, no shapes, flat cards, slow drift;
    corporate: dark navy brand panels, condensed caps, accent band and bars, square cards;
    professional: deep gradients, bold sans left-aligned, accent rules, cool grade, full-bleed first."""
    primary = hex_rgb(colors[0])
    accent = hex_rgb(colors[1]) if len(colors) > 1 else shade(primary, 0.6, 1.2)
    if style == "vibrant":
        return Look(style, primary, accent, shade(primary, 0.42, 1.3), shade(primary, 0.18, 1.2), (255, 255, 255),
                    accent, "sans-bold", "sans-bold", False, "left", "blurred_photo", "circles", 36, 10, -2.0, "pill",
                    True, (1.25, 1.12, 0.1), 122, "major", 0.8,
                    layouts=("full_bleed", "card", "split"), panel=accent, panel_text=on_color(accent), scale=1.12,
                    stack_align="center", kb_travel=0.10, card_drift=36)
    if style == "casual":
        cream = (255, 246, 232)
        return Look(style, primary, accent, cream, shade(accent, 0.88, 0.8), (34, 30, 28), shade(primary, 0.35),
                    "serif-bold", "sans", False, "left", "flat", "blobs", 28, 16, 2.5, "none",
                    True, (1.1, 1.05, 0.35), 104, "major", 0.5,
                    layouts=("card", "full_bleed", "split"), panel=cream, panel_text=(34, 30, 28), scale=1.0,
                    stack_align="center", kb_travel=0.08, card_drift=28)
    if style == "minimalist":
        return Look(style, primary, accent, (246, 245, 242), (236, 234, 230), (20, 20, 20), (110, 110, 110),
                    "sans-light", "sans", False, "left", "flat", "none", 0, 0, 0.0, "none",
                    False, (0.9, 1.0, 0.0), 84, "major", 0.25,
                    layouts=("split", "card", "full_bleed"), panel=(246, 245, 242), panel_text=(20, 20, 20), scale=0.86,
                    stack_align="left", kb_travel=0.05, card_drift=12)
    if style == "corporate":
        return Look(style, primary, accent, shade(primary, 0.22, 0.8), shade(primary, 0.16, 0.8), (255, 255, 255),
                    (200, 208, 220), "condensed-bold", "sans", True, "left", "flat", "band", 0, 6, 0.0, "bar",
                    True, (1.0, 1.05, -0.15), 100, "minor", 0.4,
                    layouts=("split", "full_bleed", "card"), panel=shade(primary, 0.2, 0.8), panel_text=(255, 255, 255),
                    scale=1.0, stack_align="left", kb_travel=0.07, card_drift=16)
    # professional
    return Look("professional", primary, accent, shade(primary, 0.26, 0.9), (14, 17, 26), (255, 255, 255), accent,
                "sans-bold", "sans", False, "left", "blurred_photo", "bars", 18, 0, 0.0, "none",
                True, (1.05, 1.08, -0.05), 96, "minor", 0.45,
                layouts=("full_bleed", "split", "card"), panel=(14, 17, 26), panel_text=(255, 255, 255), scale=0.95,
                stack_align="left", kb_travel=0.07, card_drift=20)


def assign_layouts(roles: list[str], sources: list[str], given: list[str | None], style_layouts: tuple[str, ...]) -> list[str]:
    """One layout per scene (``full_bleed``, ``split`` or ``card``) so that consecutive scenes
    differ: a scene's ``given`` layout is kept; a clip scene is always ``full_bleed`` (the clip
    fills the frame) and the end card ``card`` (logo on the backdrop); every other scene takes
    the first of the style's ``style_layouts`` (rotated by the scene's position, so a long ad
    goes through all three) that differs from the scene before it and from the next scene's
    fixed layout. Deterministic: same input, same output."""
    n = len(roles)
    fixed: list[str | None] = []
    for role, src, g in zip(roles, sources, given, strict=True):
        fixed.append(g if g else "full_bleed" if src == "uploaded_clip" else "card" if role == "end_card" else None)
    out: list[str] = []
    for i in range(n):
        if fixed[i]:
            out.append(fixed[i])  # type: ignore[arg-type]
            continue
        prefs = list(style_layouts[i % len(style_layouts):]) + list(style_layouts[: i % len(style_layouts)])
        if i == 0:
            prefs = list(style_layouts)  # the hook opens with the style's signature layout
        avoid = {out[-1]} if out else set()
        if i + 1 < n and fixed[i + 1]:
            avoid.add(fixed[i + 1])  # type: ignore[arg-type]
        out.append(next((p for p in prefs if p not in avoid), prefs[0]))
    return out
