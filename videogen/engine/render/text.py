"""Text layout with Pillow: font fallback (Latin/CJK/emoji), word wrap, shrink-to-fit, RTL.

Text never overflows its box and never breaks its copy (issue 14 §2): :func:`fit_text` tries
sizes from large to small and wraps at word boundaries (CJK: between characters), keeping atomic
spans (product name, call to action, prices, percentages, URLs — ``planner/copy.py``) on one line
and never ending a line on a stop word (the word moves down); lines are balanced (the narrowest
width that keeps the line count). At the smallest size, a text still too long is shortened by
dropping whole clauses or trailing phrases (:func:`videogen.engine.planner.copy.shorten`); only a
single word wider than the line is broken between characters, and an ellipsis is the last resort.
Right-to-left paragraphs (Arabic, Hebrew) are shaped and reordered by libraqm (FriBiDi +
HarfBuzz) when Pillow has it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from videogen.engine.planner import copy as cp
from videogen.engine.render.fonts import EMOJI_NATIVE_SIZE, font_path, load_font

_EMOJI_RE = re.compile(
    "(?:[\U0001F1E6-\U0001F1FF]{2})"  # flags
    "|(?:[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]"
    "[\uFE0F\U0001F3FB-\U0001F3FF]*(?:\u200D[\U0001F000-\U0001FAFF\u2600-\u27BF][\uFE0F\U0001F3FB-\U0001F3FF]*)*)"
)
_CJK_RE = re.compile(r"[\u2E80-\u2FFF\u3000-\u30FF\u3100-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF]")
_RTL_RE = re.compile(r"[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")


def strip_emoji(text: str) -> str:
    """Text without emoji (for TTS and captions: libass draws no colour glyphs)."""
    return re.sub(r"\s{2,}", " ", _EMOJI_RE.sub("", text).replace("\uFE0F", "")).strip()


def is_rtl(text: str) -> bool:
    """True when the first strong character is right-to-left."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return True
        if bidi == "L":
            return False
    return False


def runs(text: str) -> list[tuple[str, str]]:
    """Split text into (kind, text) runs; kind is "main", "cjk" or "emoji"."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _EMOJI_RE.finditer(text):
        out += _split_cjk(text[pos: m.start()])
        out.append(("emoji", m.group()))
        pos = m.end()
    out += _split_cjk(text[pos:])
    return [r for r in out if r[1]]


def _split_cjk(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for ch in text:
        kind = "cjk" if _CJK_RE.match(ch) else "main"
        if out and (out[-1][0] == kind or (ch == " " and out[-1][0] == "cjk")):
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((kind, ch))
    return out


@dataclass(frozen=True)
class FontSet:
    """Font files for one text role: ``main`` (Latin etc.), ``cjk`` and ``emoji``."""

    main: str
    cjk: str
    emoji: str

    @classmethod
    def for_role(cls, role: str, brand_font: str | None = None) -> "FontSet":
        cjk = "cjk-bold" if "bold" in role else "cjk"
        return cls(main=brand_font or str(font_path(role)), cjk=str(font_path(cjk)), emoji=str(font_path("emoji")))


@functools.lru_cache(maxsize=512)
def _emoji_bitmap(cluster: str, emoji_font: str, size: int) -> Image.Image:
    font = load_font(emoji_font, EMOJI_NATIVE_SIZE)
    im = Image.new("RGBA", (EMOJI_NATIVE_SIZE * 3, EMOJI_NATIVE_SIZE * 2), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((0, 0), cluster, font=font, embedded_color=True)
    bbox = im.getbbox() or (0, 0, 1, 1)
    im = im.crop(bbox)
    scale = size / EMOJI_NATIVE_SIZE
    return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS)


def line_width(text: str, fonts: FontSet, size: int) -> float:
    """Advance width of one line in pixels."""
    w = 0.0
    for kind, run in runs(text):
        if kind == "emoji":
            w += _emoji_bitmap(run, fonts.emoji, size).width + size * 0.08
        else:
            w += load_font(fonts.cjk if kind == "cjk" else fonts.main, size).getlength(run)
    return w


def _tokens(text: str, protect: Sequence[str] = ()) -> list[str]:
    """Wrap units: words (an atomic span: all its words) with their trailing space; each CJK
    character on its own."""
    toks: list[str] = []
    for word in [u + " " for u in cp.units(text, protect)]:
        if _CJK_RE.search(word):
            buf = ""
            for ch in word:
                if _CJK_RE.match(ch):
                    if buf:
                        toks.append(buf)
                        buf = ""
                    toks.append(ch)
                else:
                    buf += ch
            if buf:
                toks.append(buf)
        else:
            toks.append(word)
    return toks


def wrap(
    text: str, fonts: FontSet, size: int, max_width: float, *, break_words: bool,
    lang: str | None = None, protect: Sequence[str] = (), balance: bool = True,
) -> list[str]:
    """Wrap into lines no wider than ``max_width`` px: greedy, atomic spans kept on one line
    (split at their spaces only when wider than a line), then no line ending on a stop word of
    ``lang`` (None: any listed language) where the word fits on the next line, then (``balance``)
    the narrowest width that keeps the line count, so a last line is not left with one word.
    With ``break_words``, a word wider than a line is split between characters; otherwise it is
    left whole (and overflows)."""
    lines = _greedy(text, fonts, size, max_width, break_words=break_words, protect=protect, lang=lang)
    lines = _no_stop_word_ends(lines, fonts, size, max_width, lang, protect)
    if balance and len(lines) > 1 and not any(line_width(ln, fonts, size) > max_width for ln in lines):
        lo, hi = max_width * 0.5, max_width
        best = lines
        for _ in range(7):
            mid = (lo + hi) / 2
            cand = _no_stop_word_ends(_greedy(text, fonts, size, mid, break_words=False, protect=protect, lang=lang),
                                      fonts, size, mid, lang, protect)
            if len(cand) == len(lines) and all(line_width(ln, fonts, size) <= mid for ln in cand):
                best, hi = cand, mid
            else:
                lo = mid
        lines = best
    return lines


def _no_stop_word_ends(
    lines: list[str], fonts: FontSet, size: int, max_width: float, lang: str | None, protect: Sequence[str],
) -> list[str]:
    """Move a stop word that ends a line (not the last) to the start of the next line, when the
    next line still fits and the line keeps a word."""
    lines = list(lines)
    for i in range(len(lines) - 1):
        while True:
            us = cp.units(lines[i], protect)
            if len(us) < 2 or " " in us[-1] or not cp.is_stop_word(us[-1], lang) or cp.is_cjk(us[-1]):
                break
            cand = us[-1] + " " + lines[i + 1]
            if line_width(cand, fonts, size) > max_width:
                break
            lines[i], lines[i + 1] = " ".join(us[:-1]), cand
    return lines



def _cut_chars(text: str, fonts: FontSet, size: int, max_width: float) -> tuple[list[str], str]:
    """A single token wider than the line, cut character by character: the full lines and the
    rest (which starts the next line)."""
    pieces, piece = [], ""
    for ch in text:
        if piece and line_width((piece + ch).rstrip(), fonts, size) > max_width:
            pieces.append(piece)
            piece = ""
        piece += ch
    return pieces, piece

def _greedy(
    text: str, fonts: FontSet, size: int, max_width: float, *, break_words: bool, protect: Sequence[str],
    lang: str | None = None,
) -> list[str]:
    lines: list[str] = []
    cur = ""
    toks: list[str] = []
    for tok in _tokens(text, protect):
        # an atomic span wider than a line falls back to its words
        if " " in tok.strip() and line_width(tok.rstrip(), fonts, size) > max_width:
            toks += [w + " " for w in tok.split()]
        else:
            toks.append(tok)
    # a stop word is glued to the word after it ("für die Stadt"), unless that is wider than a line
    glued: list[str] = []
    for tok in toks:
        prev = glued[-1] if glued else ""
        if (prev.strip() and prev.endswith(" ") and not _CJK_RE.search(prev) and cp.is_stop_word(prev.split()[-1], lang)
                and line_width((prev + tok).rstrip(), fonts, size) <= max_width):
            glued[-1] = prev + tok
        else:
            glued.append(tok)
    for tok in glued:
        cand = cur + tok
        if not cur or line_width(cand.rstrip(), fonts, size) <= max_width:
            cur = cand
            if line_width(cur.rstrip(), fonts, size) > max_width and break_words:
                pieces, cur = _cut_chars(cur, fonts, size, max_width)
                lines += pieces
            continue
        lines.append(cur.rstrip())
        cur = tok
        if line_width(cur.rstrip(), fonts, size) > max_width and break_words:
            pieces, cur = _cut_chars(cur, fonts, size, max_width)
            lines += pieces
    if cur.strip():
        lines.append(cur.rstrip())
    return [ln for ln in lines if ln.strip()]


@dataclass(frozen=True)
class TextBlock:
    """Wrapped text ready to draw: lines, font size and line height in px, block width/height in px."""

    lines: tuple[str, ...]
    size: int
    line_height: int
    width: int
    height: int
    fonts: FontSet
    rtl: bool


LINE_SPACING = 1.18


def fit_text(
    text: str, fonts: FontSet, max_width: int, max_height: int, *, max_size: int, min_size: int, max_lines: int = 3,
    lang: str | None = None, protect: Sequence[str] = (),
) -> TextBlock:
    """Largest layout of ``text`` that fits ``max_width`` × ``max_height`` px.

    Sizes go from ``max_size`` down to ``min_size`` (−8 % steps), wrapped by :func:`wrap`
    (``lang``: the copy's language for the stop-word rule, None = any listed language;
    ``protect``: strings kept whole on one line, besides prices, percentages and URLs). At
    ``min_size`` a text still too long drops whole clauses or trailing phrases
    (:func:`videogen.engine.planner.copy.shorten`, never inside ``protect``); then a word wider
    than a line is broken; if even that does not fit, lines are cut and the last one ends with
    "…". The returned block always fits; ``lines`` joined may be shorter than ``text``.
    """
    text = " ".join(text.split())
    rtl = is_rtl(text)
    if not text:
        return TextBlock((), min_size, 0, 0, 0, fonts, rtl)

    def attempt(t: str, size: int, break_words: bool) -> TextBlock | None:
        lines = wrap(t, fonts, size, max_width, break_words=break_words, lang=lang, protect=protect, balance=False)
        lh = int(round(size * LINE_SPACING))
        widths = [line_width(ln, fonts, size) for ln in lines]
        if lines and len(lines) <= max_lines and lh * len(lines) <= max_height and max(widths) <= max_width:
            if not break_words and len(lines) > 1:  # balance once it fits: same line count, narrower
                lines = wrap(t, fonts, size, max_width, break_words=False, lang=lang, protect=protect)
                widths = [line_width(ln, fonts, size) for ln in lines]
            return TextBlock(tuple(lines), size, lh, int(max(widths)) + 1, lh * len(lines), fonts, rtl)
        return None

    size = max_size
    while True:
        last = size <= min_size
        size = max(size, min_size)
        got = attempt(text, size, False)
        if got:
            return got
        if last:
            def fits_at_min(t: str, sz: int = size) -> bool:
                return attempt(t, sz, False) is not None

            short = cp.shorten(text, fits_at_min, lang=lang, protect=protect)
            got = attempt(short, size, False) or attempt(text, size, True)
            if got:
                return got
            break
        size = int(size * 0.92)
    # Still too long at the minimum size: keep what fits and end with an ellipsis.
    lh = int(round(size * LINE_SPACING))
    keep = max(1, min(max_lines, max_height // max(lh, 1)))
    lines = wrap(text, fonts, size, max_width, break_words=True, lang=lang, protect=protect, balance=False)[:keep]
    last_line = lines[-1]
    while last_line and line_width(last_line + "…", fonts, size) > max_width:
        last_line = last_line[:-1]
    lines[-1] = last_line.rstrip() + "…"
    widths = [line_width(ln, fonts, size) for ln in lines]
    return TextBlock(tuple(lines), size, lh, int(max(widths)) + 1, lh * len(lines), fonts, rtl)


def draw_block(
    img: Image.Image, block: TextBlock, x: int, y: int, width: int, *, align: str = "center",
    fill: tuple = (255, 255, 255, 255), shadow: tuple | None = None,
) -> tuple[int, int, int, int]:
    """Draw ``block`` with its top-left at (``x``, ``y``), lines aligned within ``width`` px.

    ``align``: "left", "center" or "right" (RTL blocks flip left/right). ``shadow`` is an RGBA
    colour drawn 3 % of the size down-right. Returns the ink bounding box (l, t, r, b) in px.
    """
    draw = ImageDraw.Draw(img)
    if block.rtl and align in ("left", "right"):
        align = "right" if align == "left" else "left"
    main = load_font(block.fonts.main, block.size)
    ascent = main.getmetrics()[0]
    x0: float = 10**9
    y0: float = 10**9
    x1: float = -1
    y1: float = -1
    for i, line in enumerate(block.lines):
        lw = line_width(line, block.fonts, block.size)
        lx = x + (0 if align == "left" else (width - lw) / 2 if align == "center" else width - lw)
        base = y + i * block.line_height + ascent * 0.98 + (block.line_height - block.size * 1.16) / 2
        parts = runs(line)
        if block.rtl:
            parts = parts[::-1]
        cx = lx
        for kind, run in parts:
            if kind == "emoji":
                bm = _emoji_bitmap(run, block.fonts.emoji, block.size)
                top = max(int(y), int(base - bm.height * 0.86))
                img.alpha_composite(bm, (int(cx), max(0, top))) if img.mode == "RGBA" else img.paste(bm, (int(cx), top), bm)
                x0, y0, x1, y1 = min(x0, int(cx)), min(y0, top), max(x1, int(cx) + bm.width), max(y1, top + bm.height)
                cx += bm.width + block.size * 0.08
                continue
            font = load_font(block.fonts.cjk if kind == "cjk" else block.fonts.main, block.size)
            if shadow:
                off = max(2, block.size // 28)
                draw.text((cx + off, base + off), run, font=font, fill=shadow, anchor="ls")
            draw.text((cx, base), run, font=font, fill=fill, anchor="ls")
            bb = draw.textbbox((cx, base), run, font=font, anchor="ls")
            x0, y0, x1, y1 = min(x0, bb[0]), min(y0, bb[1]), max(x1, bb[2]), max(y1, bb[3])
            cx += font.getlength(run)
    if x1 < 0:
        return (x, y, x, y)
    return (int(x0), int(y0), int(x1), int(y1))
