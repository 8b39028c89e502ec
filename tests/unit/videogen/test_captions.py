"""Word-by-word captions: phrases that never break copy, word times from the TTS, and the written
ASS (2–4 words per screen, the spoken word highlighted when it is said, inside the safe zone)
checked by parsing it and by rendering it with libass, for every format."""

import re

import numpy as np
import pytest

from videogen.engine.planner import copy as cp
from videogen.engine.planner.schema import Scene, ScenePlan
from videogen.engine.render.captions import (
    HOLD,
    MAX_WORDS,
    MIN_WORDS,
    caption_colors,
    caption_line_box,
    contrast,
    write_ass,
)
from videogen.engine.render.ffmpeg import run_ffmpeg
from videogen.engine.render.formats import FORMATS
from videogen.engine.render.styles import make_look
from videogen.engine.render.tts import SAMPLE_RATE, EspeakTTS, proportional_words
from videogen.engine.render.voiceover import Cue, build_voice_track, phrases

NAME = "Ridgeback Motors Café Racer"
CTA = "Book a test ride"
PROTECT = (NAME, CTA)
LINES = {  # (voice, scene lines) per language
    "en": ("en-us", ["This is Ridgeback Motors Café Racer, hand-built for the city.",
                     "A leather saddle stitched by hand in our workshop.", "Now 20% off at launch.",
                     "Book a test ride at ridgeback.example."]),
    "de": ("de", ["Das ist der Ridgeback Motors Café Racer, von Hand gebaut für die Stadt.",
                  "Ein Ledersattel, in unserer Werkstatt genäht.", "Jetzt 20 % günstiger zum Start.",
                  "Probefahrt buchen auf ridgeback.example."]),
    "fr": ("fr-fr", ["Voici le Ridgeback Motors Café Racer, fait main pour la ville.",
                     "Une selle en cuir cousue dans notre atelier.", "Maintenant 20 % de réduction.",
                     "Réservez un essai sur ridgeback.example."]),
}
DURATIONS = [4.5, 3.5, 3.0, 3.0]
LOOK = make_look("vibrant", ["#1E3A8A", "#F59E0B"])


def _plan(lines):
    roles = ["hook", "benefit", "offer", "end_card"]
    return ScenePlan(scenes=[Scene(id=f"s{i + 1}", role=role, duration=d, voiceover=line)
                             for i, (role, d, line) in enumerate(zip(roles, DURATIONS, lines, strict=True))])


@pytest.fixture(scope="module")
def tracks():
    tts = EspeakTTS()
    return {lang: build_voice_track(_plan(lines), tts, voice=voice, rate_wpm=165, lang=lang, protect=PROTECT)
            for lang, (voice, lines) in LINES.items()}


def test_phrases_never_break_copy_and_drop_emoji():
    out = phrases("Smooth cold brew for busy mornings, steeped for eighteen hours at our roastery in the old town. Order now ☕!")
    assert out[-1] == "Order now!" and "☕" not in " ".join(out)
    for lang in ("en", "de", "fr", "es", "it", "pt", "nl"):
        line = {"en": "This is Ridgeback Motors Café Racer Limited Edition and it is now 20 % off at ridgeback.example today",
                "de": "Entdecken Sie den Ridgeback Motors Café Racer mit handgefertigtem Rahmen aus Stahl für die Stadt",
                "fr": "Découvrez le Ridgeback Motors Café Racer avec un cadre en acier fait main pour la ville",
                "es": "Descubre el Ridgeback Motors Café Racer con un cuadro de acero hecho a mano para la ciudad",
                "it": "Scopri il Ridgeback Motors Café Racer con un telaio in acciaio fatto a mano per la città",
                "pt": "Descubra o Ridgeback Motors Café Racer com um quadro de aço feito à mão para a cidade",
                "nl": "Ontdek de Ridgeback Motors Café Racer met een handgemaakt stalen frame voor de stad"}[lang]
        for max_chars in (16, 24, 32, 48):
            out = phrases(line, max_chars, lang=lang, protect=PROTECT)
            assert " ".join(out) == line, (lang, out)
            assert sum(NAME in p for p in out) == 1, (lang, max_chars, out)  # the name is never split
            for p in out:
                assert not cp.ends_on_stop_word(p, lang, PROTECT), (lang, max_chars, p)
                assert len(p.split()) >= 2, (lang, max_chars, p)


def test_word_times_come_from_the_tts():
    text = "This is Ridgeback Motors Café Racer, now 20% off at ridgeback.example!"
    x, words = EspeakTTS().synthesize_words(text, voice="en-us", rate_wpm=165)
    assert [w.text for w in words] == text.split()
    starts = [w.start for w in words]
    assert starts == sorted(starts) and starts[0] < 0.1
    assert all(w.start <= w.end <= len(x) / SAMPLE_RATE + 1e-3 for w in words)
    assert words[-1].end > len(x) / SAMPLE_RATE - 0.2
    # "20%" is spoken as two words: it takes clearly longer than "at"
    dur = {w.text: w.end - w.start for w in words}
    assert dur["20%"] > 2 * dur["at"]
    # the word times are the engine's, not a share of characters
    prop = proportional_words(text, len(x) / SAMPLE_RATE)
    assert max(abs(a.start - b.start) for a, b in zip(words, prop, strict=True)) > 0.05


def _parse(ass_text):
    style = next(ln for ln in ass_text.splitlines() if ln.startswith("Style: Caption,"))
    fields = style.split(",")
    margins = {"l": int(fields[19]), "r": int(fields[20]), "v": int(fields[21]), "align": int(fields[18]),
               "outline": int(fields[16])}
    events = []
    for ln in ass_text.splitlines():
        if not ln.startswith("Dialogue:"):
            continue
        _, start, end, _, scene, _, _, _, _, text = ln.split(",", 9)
        plain = re.sub(r"\{[^}]*\}", "", text)  # words are split at spaces; "20\u00a0%" is one word
        hi = re.search(r"\{\\1c&H([0-9A-F]{6})&\}([^{]*)\{", text)
        events.append({"start": _secs(start), "end": _secs(end), "scene": scene, "words": plain.split(" "),
                       "highlight": hi.group(2) if hi else None, "color": hi.group(1) if hi else None,
                       "scale": int(m.group(1)) if (m := re.search(r"\\fscx(\d+)", text)) else 100})
    return margins, events


def _secs(ts):
    h, m, s = ts.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


@pytest.mark.parametrize("ratio", list(FORMATS))
def test_written_ass_is_word_by_word_for_every_format(tmp_path, tracks, ratio):
    spec = FORMATS[ratio]
    for lang, vt in tracks.items():
        assert not vt.notes or all("sped up" in n for n in vt.notes), vt.notes  # nothing dropped
        ass = write_ass(tmp_path / f"{lang}.ass", vt.cues, spec, LOOK, lang=lang, protect=PROTECT).read_text()
        margins, events = _parse(ass)
        assert margins["align"] == 2
        assert spec.height - margins["v"] + margins["outline"] == spec.captions.bottom
        words = [w for c in vt.cues for w in c.words]
        cue_of = {id(w): c for c in vt.cues for w in c.words}
        prev_end = 0.0
        shown_words = []
        for ev in events:
            where = f"{ratio} {lang} {ev}"
            assert MIN_WORDS <= len(ev["words"]) <= MAX_WORDS, where
            assert ev["start"] >= prev_end - 1e-6 and ev["end"] > ev["start"], where  # monotonic, no overlap
            prev_end = ev["end"]
            # the highlighted word: its event starts when the TTS says it and lasts at least as long
            first = ev["highlight"].split("\u00a0")[0]
            w = next(w for w in words if w.text == first and abs(w.start - ev["start"]) <= 0.006)
            assert ev["end"] >= w.end - 0.006, where
            cue = cue_of[id(w)]
            assert cue.start - 0.006 <= ev["start"] and ev["end"] <= cue.end + HOLD + 0.006, where
            assert ev["color"] == "%02X%02X%02X" % caption_colors(LOOK).highlight[::-1], where
            box = caption_line_box(spec, ev["words"], ev["scale"])
            assert spec.safe.contains(box) and spec.captions.contains(box), (where, box)
            if ev["words"].index(ev["highlight"]) == 0:
                shown_words += ev["words"]
        # every spoken word is shown once, in order; a group never ends on a stop word
        assert " ".join(shown_words).replace("\u00a0", " ") == " ".join(c.text for c in vt.cues), (ratio, lang)
        groups = [ev["words"] for ev in events if ev["words"].index(ev["highlight"]) == 0]
        for g in groups[:-1]:
            assert not cp.ends_on_stop_word(" ".join(g), lang, PROTECT), (ratio, lang, g)


@pytest.mark.parametrize("style", ["vibrant", "casual", "minimalist", "professional", "corporate"])
def test_highlight_is_the_brand_colour_and_readable(style):
    for colors in (["#1E3A8A", "#F59E0B"], ["#F5F5F0", "#FFE066"], ["#0B0B0B", "#101820"]):
        look = make_look(style, colors)
        c = caption_colors(look)
        assert contrast(c.highlight, c.box if c.boxed else look.bg_top) >= 3.0, (style, colors, c)
        assert c.highlight != c.text


@pytest.mark.parametrize("ratio", list(FORMATS))
def test_libass_draws_the_highlight_inside_the_safe_zone(tmp_path, ratio):
    spec = FORMATS[ratio]
    cue = Cue(0.0, 1.2, "Ridgeback Motors Café Racer", "s1",
              tuple(w for w in proportional_words("Ridgeback Motors Café Racer", 1.2)))
    ass = write_ass(tmp_path / "c.ass", [cue], spec, LOOK, protect=PROTECT)
    second = cue.words[1]
    t = (second.start + second.end) / 2
    out = tmp_path / "f.rgb"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=black:s={spec.width}x{spec.height}:d=1.2:r=30",
                "-vf", f"ass=filename={ass},select=eq(n\\,{int(t * 30)})", "-frames:v", "1", "-pix_fmt", "rgb24",
                "-f", "rawvideo", str(out)])
    frame = np.fromfile(out, np.uint8).reshape(spec.height, spec.width, 3).astype(int)
    ys, xs = np.nonzero(frame.max(axis=2) > 16)
    assert len(ys) > 1000, "no caption drawn"
    s = spec.safe
    assert ys.min() >= s.top and ys.max() < s.bottom and xs.min() >= s.left and xs.max() < s.right
    hi = np.array(caption_colors(LOOK).highlight)
    near = np.abs(frame - hi).max(axis=2) < 40
    assert near.sum() > 200, "the spoken word is not in the highlight colour"
    hx = np.nonzero(near)[1]
    # the highlighted pixels are the second word's: right of the first word's ink start
    assert hx.min() > xs.min() + 40
