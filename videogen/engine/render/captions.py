"""Burned-in captions as an ASS subtitle file for libass (FFmpeg's ``ass`` filter).

Captions are bottom-centred in the format's caption box (inside the safe zone) and styled from
the brand kit. Timing comes from the voiceover cues (measured TTS phrases).
"""

from __future__ import annotations

from pathlib import Path

from videogen.engine.render.formats import FormatSpec
from videogen.engine.render.styles import Look, on_color, shade
from videogen.engine.render.voiceover import Cue

CAPTION_FONT = "DejaVu Sans"  # fonts-dejavu-core; CJK falls back through fontconfig to Noto Sans CJK


def _ass_color(rgb: tuple[int, int, int], alpha: int = 0) -> str:
    """ASS colour &HAABBGGRR (alpha 0 = opaque)."""
    r, g, b = rgb
    return f"&H{alpha:02X}{b:02X}{g:02X}{r:02X}"


def _ts(t: float) -> str:
    cs = int(round(max(0.0, t) * 100))
    h, cs = divmod(cs, 360000)
    m, cs = divmod(cs, 6000)
    s, cs = divmod(cs, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")").replace("\n", " ")


def caption_font_size(spec: FormatSpec) -> int:
    """Caption size in px: 4.3 % of the frame's short side (46 px at 1080)."""
    return round(min(spec.width, spec.height) * 0.043)


def write_ass(path: Path, cues: list[Cue], spec: FormatSpec, look: Look) -> Path:
    """Write an ASS file for ``spec`` (PlayRes = frame size, so margins are pixels).

    Style: bold sans, white (or dark on light styles) with an opaque brand-colour box
    (BorderStyle 3) or an outline; Alignment 2 (bottom centre); MarginV puts the baseline box on
    the caption box bottom; MarginL/R keep lines inside the safe zone.
    """
    size = caption_font_size(spec)
    cap = spec.captions
    if look.caption_box:
        box = shade(look.primary, 0.16)
        primary, back, border_style, outline = on_color(box), box, 3, max(6, size // 5)
    else:
        primary, back, border_style, outline = look.text, look.bg_top, 1, 0
    margin_v = spec.height - cap.bottom + (outline if border_style == 3 else 0)
    margin_l = cap.left + (outline if border_style == 3 else 0)
    margin_r = spec.width - cap.right + (outline if border_style == 3 else 0)
    header = f"""[Script Info]
ScriptType: v4.00+
PlayResX: {spec.width}
PlayResY: {spec.height}
WrapStyle: 0
ScaledBorderAndShadow: yes
YCbCr Matrix: TV.709

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Caption,{CAPTION_FONT},{size},{_ass_color(primary)},{_ass_color(primary)},{_ass_color(back, 0x30)},{_ass_color(back, 0x60)},-1,0,0,0,100,100,0,0,{border_style},{outline},0,2,{margin_l},{margin_r},{margin_v},1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""  # noqa: E501 - the ASS format's own lines
    lines = [header]
    for c in cues:
        lines.append(f"Dialogue: 0,{_ts(c.start)},{_ts(c.end + 0.12)},Caption,,0,0,0,,{{\\fad(60,60)}}{_escape(c.text)}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path
