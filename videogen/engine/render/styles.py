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
    """Resolved style. Fonts are role names for :func:`videogen.engine.render.fonts.font_path`."""

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
    align: str  # headline alignment in the split (16:9) layout; stacked layouts centre
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


def make_look(style: str, colors: list[str]) -> Look:
    """Resolve ``style`` with brand ``colors`` (hex; first primary, second accent)."""
    primary = hex_rgb(colors[0])
    accent = hex_rgb(colors[1]) if len(colors) > 1 else shade(primary, 0.6, 1.2)
    if style == "vibrant":
        return Look(style, primary, accent, shade(primary, 0.42, 1.3), shade(primary, 0.18, 1.2), (255, 255, 255),
                    accent, "sans-bold", "sans-bold", False, "left", "blurred_photo", "circles", 36, 10, -2.0, "pill",
                    True, (1.25, 1.12, 0.1), 122, "major", 0.8)
    if style == "casual":
        cream = (255, 246, 232)
        return Look(style, primary, accent, cream, shade(accent, 0.88, 0.8), (34, 30, 28), shade(primary, 0.35),
                    "serif-bold", "sans", False, "left", "flat", "blobs", 28, 16, 2.5, "none",
                    True, (1.1, 1.05, 0.35), 104, "major", 0.5)
    if style == "minimalist":
        return Look(style, primary, accent, (246, 245, 242), (236, 234, 230), (20, 20, 20), (110, 110, 110),
                    "sans-light", "sans", False, "left", "flat", "none", 0, 0, 0.0, "none",
                    False, (0.9, 1.0, 0.0), 84, "major", 0.25)
    if style == "corporate":
        return Look(style, primary, accent, shade(primary, 0.22, 0.8), shade(primary, 0.16, 0.8), (255, 255, 255),
                    (200, 208, 220), "condensed-bold", "sans", True, "left", "flat", "band", 0, 6, 0.0, "bar",
                    True, (1.0, 1.05, -0.15), 100, "minor", 0.4)
    # professional
    return Look("professional", primary, accent, shade(primary, 0.26, 0.9), (14, 17, 26), (255, 255, 255), accent,
                "sans-bold", "sans", False, "left", "blurred_photo", "bars", 18, 0, 0.0, "none",
                True, (1.05, 1.08, -0.05), 96, "minor", 0.45)
