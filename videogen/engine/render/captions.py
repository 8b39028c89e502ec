"""Burned-in, word-by-word captions as an ASS subtitle file for libass (FFmpeg's ``ass`` filter).

The short-form norm (issue 14 §2): 2–4 words on screen at a time, the word being spoken
highlighted in the brand's colour as it is said. Word times come from the TTS itself (the
voiceover cues' :class:`~videogen.engine.render.tts.WordTime`, libespeak-ng word events — see
``render/tts.py``); a cue without word times (another backend, an old cache) gets times in
proportion to its words' letters.

Layout: one line, bottom-centred in the format's caption box (inside the safe zone,
``render/formats.py``); a group of words is measured with the caption font and kept narrower
than the box, so libass never wraps it. Groups never end on a stop word and never split an
atomic span (product name, call to action, price, percentage, URL) when another split exists
(``planner/copy.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from videogen.engine.planner import copy as cp
from videogen.engine.render.formats import Box, FormatSpec
from videogen.engine.render.styles import Look, luminance, on_color, shade
from videogen.engine.render.tts import WordTime, proportional_words
from videogen.engine.render.voiceover import Cue

CAPTION_FONT = "DejaVu Sans"  # fonts-dejavu-core; CJK falls back through fontconfig to Noto Sans CJK
CAPTION_FONT_ROLE = "sans-bold"  # the same face, for measuring groups with Pillow
MIN_WORDS, MAX_WORDS = 2, 4  # words on screen at a time
HOLD = 0.3  # s a group stays up after its last word ends (less when the next group starts sooner)
MIN_CONTRAST = 3.0  # WCAG 2.x contrast for large text (SC 1.4.3), highlight vs. its background


def _ass_color(rgb: tuple[int, int, int], alpha: int = 0) -> str:
    """ASS colour &HAABBGGRR (alpha 0 = opaque)."""
    r, g, b = rgb
    return f"&H{alpha:02X}{b:02X}{g:02X}{r:02X}"


def _ass_inline(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    return f"&H{b:02X}{g:02X}{r:02X}&"


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


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG 2.x contrast ratio of two colours (1–21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(color: tuple[int, int, int], bg: tuple[int, int, int], min_ratio: float = MIN_CONTRAST) -> tuple[int, int, int]:
    """``color`` lightened (on a dark ``bg``) or darkened (on a light one) in HLS steps of 0.05
    until its contrast with ``bg`` reaches ``min_ratio``; the brand hue is kept."""
    if contrast(color, bg) >= min_ratio:
        return color
    dark_bg = luminance(bg) < 0.4
    import colorsys

    light = colorsys.rgb_to_hls(*(v / 255 for v in color))[1]
    for _ in range(20):
        light = min(1.0, light + 0.05) if dark_bg else max(0.0, light - 0.05)
        c = shade(color, light)
        if contrast(c, bg) >= min_ratio:
            return c
    return on_color(bg)


@dataclass(frozen=True)
class CaptionColors:
    """Caption colours (RGB): ``text`` for the words, ``highlight`` for the word being said,
    ``box`` behind them (an opaque box, or the outline colour when the style has no box)."""

    text: tuple[int, int, int]
    highlight: tuple[int, int, int]
    box: tuple[int, int, int]
    boxed: bool


def caption_colors(look: Look) -> CaptionColors:
    """The look's caption colours: on a box in the brand's primary colour (dark shade) the words
    are white or black (whichever reads) and the spoken word takes the brand's accent; styles
    without a box write the words in the style's text colour and highlight with the primary.
    The highlight keeps WCAG contrast ≥ :data:`MIN_CONTRAST` with what is behind it."""
    if look.caption_box:
        box = shade(look.primary, 0.16)
        return CaptionColors(on_color(box), readable(look.accent, box), box, True)
    return CaptionColors(look.text, readable(look.primary, look.bg_top), look.bg_top, False)


@dataclass(frozen=True)
class CaptionEvent:
    """One Dialogue line: ``start``/``end`` in seconds, the group's words, the index of the
    highlighted word, and the horizontal scale (%) that keeps a very long word in the box."""

    start: float
    end: float
    words: tuple[str, ...]
    highlight: int
    scene_id: str
    scale: int = 100


def _merge_punctuation(words: list[WordTime]) -> list[WordTime]:
    """Tokens without a letter or digit (a dash, "%" of "20 %"; "&" is kept: it is spoken) join the
    word before, with a no-break space (one word on screen, highlighted together)."""
    out: list[WordTime] = []
    for w in words:
        if out and not any(ch.isalnum() or ch == "&" for ch in w.text):
            p = out[-1]
            out[-1] = WordTime(p.start, max(p.end, w.end), f"{p.text}\u00a0{w.text}")
        else:
            out.append(w)
    return out


def _scene_words(cues: Sequence[Cue]) -> list[tuple[str, list[WordTime]]]:
    """(scene id, its words on the ad's timeline) for each run of cues of one scene."""
    out: list[tuple[str, list[WordTime]]] = []
    for c in cues:
        ws = list(c.words) or [WordTime(round(c.start + w.start, 3), round(c.start + w.end, 3), w.text)
                               for w in proportional_words(c.text, c.end - c.start)]
        if out and out[-1][0] == c.scene_id:
            out[-1][1].extend(ws)
        else:
            out.append((c.scene_id, ws))
    return [(sid, _merge_punctuation(ws)) for sid, ws in out]


def group_words(
    words: Sequence[str], *, fits, lang: str | None = None, protect: Sequence[str] = (),
    gaps: Sequence[float] | None = None,
) -> list[tuple[int, int]]:
    """Split one scene's ``words`` into groups of :data:`MIN_WORDS`–:data:`MAX_WORDS` words
    (index ranges ``[a, b)``), the split with the lowest cost found by dynamic programming.
    In order of weight: a group that does not ``fits(text)`` on one line (so a single word too
    long to share a line stands alone), a lone word (any other line of 2+ words is split into
    2–4), a group ending on a stop word, a split inside an atomic span (the product name stays on
    one screen unless its neighbours force a stop-word ending: "This is" + a four-word name shows
    as "This is Ridgeback" / "Motors Café Racer,"), a group running across a sentence end, a
    comma or a pause over 0.35 s (``gaps[i]``: seconds between word i and i+1); 3 words is the
    ideal size."""
    n = len(words)
    if n == 0:
        return []
    text = " ".join(words)
    offs, pos = [], 0
    for w in words:
        offs.append((pos, pos + len(w)))
        pos += len(w) + 1
    spans = cp.atomic_spans(text, protect)
    inside = [any(s < offs[i][1] and offs[i + 1][0] < e for s, e in spans) for i in range(n - 1)]

    def cost(a: int, b: int) -> float:
        size = b - a
        chunk = words[a:b]
        c = abs(size - 3) * 2.0
        if size == 1 and n > 1:
            c += 300
        if not fits(" ".join(chunk)):
            c += 1000 if size > 1 else 200
        if b < n:
            if cp.is_stop_word(chunk[-1], lang) and not inside[b - 1]:
                c += 200
            if inside[b - 1]:
                c += 80
        for i in range(a, b - 1):
            if words[i][-1:] in ".!?。！？":
                c += 30
            elif words[i][-1:] in ",;:":
                c += 6
            if gaps is not None and gaps[i] > 0.35:
                c += 20
        return c

    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for b in range(1, n + 1):
        for size in range(1, MAX_WORDS + 1):
            a = b - size
            if a < 0:
                break
            v = best[a] + cost(a, b)
            if v < best[b]:
                best[b], back[b] = v, a
    out, b = [], n
    while b > 0:
        out.append((back[b], b))
        b = back[b]
    return out[::-1]


def caption_events(
    cues: Sequence[Cue], spec: FormatSpec, *, lang: str | None = None, protect: Sequence[str] = (),
) -> list[CaptionEvent]:
    """The Dialogue events for ``cues`` in ``spec``: for each group of words, one event per word,
    from the word's TTS start to the next word's start (the last: its end plus up to
    :data:`HOLD`, never past the next group's start), that word highlighted. Sorted by time,
    never overlapping."""
    from videogen.engine.render.text import FontSet, line_width

    size = caption_font_size(spec)
    fonts = FontSet.for_role(CAPTION_FONT_ROLE)
    room = spec.captions.width - 2 * _pad(size)

    def fits(t: str) -> bool:
        return line_width(t, fonts, size) <= room

    groups: list[tuple[str, list[WordTime]]] = []
    for sid, ws in _scene_words(cues):
        gaps = [ws[i + 1].start - ws[i].end for i in range(len(ws) - 1)]
        for a, b in group_words([w.text for w in ws], fits=fits, lang=lang, protect=protect, gaps=gaps):
            groups.append((sid, ws[a:b]))
    events: list[CaptionEvent] = []
    for k, (sid, ws) in enumerate(groups):
        nxt = groups[k + 1][1][0].start if k + 1 < len(groups) else None
        end = ws[-1].end + HOLD
        if nxt is not None:
            end = min(end, max(ws[-1].end, nxt))
        texts = tuple(w.text for w in ws)
        width = line_width(" ".join(texts), fonts, size)
        scale = 100 if width <= room else max(40, int(room / width * 100))
        for j, w in enumerate(ws):
            s = w.start if j else ws[0].start
            e = ws[j + 1].start if j + 1 < len(ws) else end
            if e > s:
                events.append(CaptionEvent(round(s, 3), round(e, 3), texts, j, sid, scale))
    return events


def _pad(size: int) -> int:
    """The opaque box's padding around the text (ASS ``Outline`` with BorderStyle 3), px."""
    return max(6, size // 5)


def caption_line_box(spec: FormatSpec, words: Sequence[str], scale: int = 100) -> Box:
    """Where libass puts a one-line group (box padding included), in frame px — from the style
    below: bottom-centred on the caption box, at most the caption box wide. The measure uses
    the caption font at its full ASS size (an over-estimate: libass scales the em so that ascent
    + descent = the size)."""
    from videogen.engine.render.text import FontSet, line_width

    size = caption_font_size(spec)
    pad = _pad(size)
    w = line_width(" ".join(words), FontSet.for_role(CAPTION_FONT_ROLE), size) * scale / 100
    cap = spec.captions
    cx = (cap.left + cap.right) / 2
    return Box(int(cx - w / 2 - pad), cap.bottom - size - 2 * pad, int(cx + w / 2 + pad) + 1, cap.bottom)


def write_ass(
    path: Path, cues: list[Cue], spec: FormatSpec, look: Look, *, lang: str | None = None, protect: Sequence[str] = (),
) -> Path:
    """Write word-by-word captions for ``spec`` (PlayRes = frame size, so margins are pixels).

    Style: bold sans; with the look's caption box, an opaque box in the brand's primary colour
    (dark shade, BorderStyle 3; fully opaque, as libass boxes each coloured run and overlapping
    translucent boxes would show seams at the highlighted word) with white/black words, else the style's text colour with no box;
    the spoken word in :func:`caption_colors` ``highlight``. Alignment 2 (bottom centre): MarginV
    puts the box's bottom on the caption box bottom, MarginL/R keep it inside the caption box
    (itself inside the safe zone). ``lang``/``protect``: see :func:`group_words`.
    """
    size = caption_font_size(spec)
    cap = spec.captions
    colors = caption_colors(look)
    if colors.boxed:
        primary, back, border_style, outline = colors.text, colors.box, 3, _pad(size)
    else:
        primary, back, border_style, outline = colors.text, look.bg_top, 1, 0
    margin_v = spec.height - cap.bottom + (outline if border_style == 3 else 0)
    margin_l = cap.left + (outline if border_style == 3 else 0)
    margin_r = spec.width - cap.right + (outline if border_style == 3 else 0)
    header = f"""[Script Info]
ScriptType: v4.00+
PlayResX: {spec.width}
PlayResY: {spec.height}
WrapStyle: 2
ScaledBorderAndShadow: yes
YCbCr Matrix: TV.709

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Caption,{CAPTION_FONT},{size},{_ass_color(primary)},{_ass_color(primary)},{_ass_color(back, 0 if border_style == 3 else 0x30)},{_ass_color(back, 0x60)},-1,0,0,0,100,100,0,0,{border_style},{outline},0,2,{margin_l},{margin_r},{margin_v},1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""  # noqa: E501 - the ASS format's own lines
    hi, base = _ass_inline(colors.highlight), _ass_inline(primary)
    lines = [header]
    for ev in caption_events(cues, spec, lang=lang, protect=protect):
        parts = [(f"{{\\1c{hi}}}{_escape(w)}{{\\1c{base}}}" if i == ev.highlight else _escape(w))
                 for i, w in enumerate(ev.words)]
        scale = f"{{\\fscx{ev.scale}}}" if ev.scale != 100 else ""
        lines.append(f"Dialogue: 0,{_ts(ev.start)},{_ts(ev.end)},Caption,{ev.scene_id},0,0,0,,{scale}{' '.join(parts)}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path
