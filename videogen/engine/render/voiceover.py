"""Voiceover timeline: split each scene's line into phrases, synthesise each phrase, measure it
and its words, and place it in the scene. The cues (with their word timings) feed the captions.

Phrases never split an atomic span (product name, call to action, price, percentage, URL) and
never end on a stop word (``planner/copy.py``), so when a scene's line does not fit even sped up,
what is dropped is whole trailing phrases and what is kept still reads as a line."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videogen.engine.planner import copy as cp
from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render.text import strip_emoji
from videogen.engine.render.tts import SAMPLE_RATE, TTSBackend, WordTime, synthesize_words

LEAD_IN = 0.25  # s of silence at the start of a scene before its line
GAP = 0.08  # s between phrases
TAIL = 0.2  # s kept free at a scene's end
MAX_SPEEDUP = 1.45  # a line that does not fit is re-synthesised up to this much faster
PHRASE_CHARS = 48  # a synthesis unit: a short clause (prosody), the unit dropped when a line does not fit


@dataclass(frozen=True)
class Cue:
    """One spoken phrase: start/end in seconds on the ad's timeline, its text, its scene id, and
    its words (``WordTime`` on the ad's timeline, one per whitespace token of ``text``, from the
    TTS — see ``render/tts.py``)."""

    start: float
    end: float
    text: str
    scene_id: str
    words: tuple[WordTime, ...] = ()


def phrases(line: str, max_chars: int = PHRASE_CHARS, *, lang: str | None = None, protect: Sequence[str] = ()) -> list[str]:
    """Split a voiceover line into phrases of at most ``max_chars`` characters, breaking at
    sentence ends, then commas, then at word boundaries — never inside an atomic span
    (``protect`` + prices, percentages, URLs; a longer span is a phrase of its own) and never
    after a stop word of ``lang`` (None: any listed language), which moves to the next phrase.
    CJK runs without spaces break between characters. Emoji are dropped."""
    line = re.sub(r"\s+([!?.,;:])", r"\1", strip_emoji(line))
    out: list[str] = []
    for sent in re.split(r"(?<=[.!?。！？])\s+", line):
        for part in re.split(r"(?<=[,;:，、])\s+|(?<=[，、])", sent):
            part = part.strip()
            if not part:
                continue
            if " " not in part and len(part) > max_chars and cp.is_cjk(part):
                out += [part[i: i + max_chars] for i in range(0, len(part), max_chars)]
                continue
            cur: list[str] = []
            for u in cp.units(part, protect):
                if cur and len(" ".join(cur)) + 1 + len(u) > max_chars:
                    keep = len(cur)
                    while keep > 1 and " " not in cur[keep - 1] and cp.is_stop_word(cur[keep - 1], lang):
                        keep -= 1
                    if keep >= 2 or " " in cur[0]:  # never leave a lone word ("This") as a phrase
                        out.append(" ".join(cur[:keep]))
                        cur = cur[keep:]
                cur.append(u)
            if cur:
                out.append(" ".join(cur))
    # merge a dangling one-word phrase into its neighbour (when that fits, or when the neighbour
    # does not end a sentence: one word is no phrase to speak on its own)
    merged: list[str] = []
    for p in out:
        if merged and len(p.split()) == 1 and (len(merged[-1]) + 1 + len(p) <= max_chars or merged[-1][-1:] not in ".!?。！？"):
            merged[-1] += " " + p
        else:
            merged.append(p)
    return merged


@dataclass
class VoiceTrack:
    """Mono float32 voice samples at 48 kHz spanning the whole ad, the cues, and notes for the
    trace (speed-ups, dropped phrases), plus TTS cache hits/misses."""

    samples: np.ndarray
    cues: list[Cue]
    notes: list[str]
    cache_hits: int = 0
    cache_misses: int = 0


def _synth_cached(
    tts: TTSBackend, text: str, voice: str, rate: int, cache_dir: Path | None, stats: dict
) -> tuple[np.ndarray, list[WordTime]]:
    """Samples and word times of one phrase, from the cache (``tts/<key>.npz``) when there."""
    if cache_dir is None:
        return synthesize_words(tts, text, voice=voice, rate_wpm=rate)
    key = hashlib.sha256(f"tts-v2|{tts.name}|{voice}|{rate}|{text}".encode()).hexdigest()
    path = cache_dir / "tts" / key[:2] / f"{key}.npz"
    toks = text.split()
    if path.exists():
        with np.load(path) as z:
            starts, ends = z["starts"], z["ends"]
            if len(starts) == len(toks):
                stats["hits"] += 1
                return z["x"], [WordTime(float(a), float(b), t) for a, b, t in zip(starts, ends, toks, strict=True)]
    stats["misses"] += 1
    x, words = synthesize_words(tts, text, voice=voice, rate_wpm=rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{key}.tmp.npz")
    np.savez(tmp, x=x, starts=np.array([w.start for w in words], np.float64), ends=np.array([w.end for w in words], np.float64))
    tmp.replace(path)
    return x, words


def build_voice_track(
    plan: ScenePlan, tts: TTSBackend | None, *, voice: str, rate_wpm: int, cache_dir: Path | None = None,
    lang: str | None = None, protect: Sequence[str] = (),
) -> VoiceTrack:
    """Synthesise every scene's phrases and lay them out on the timeline.

    A scene whose phrases are longer than the scene (minus lead-in and tail) is re-synthesised
    faster (up to ``MAX_SPEEDUP``×); trailing phrases that still do not fit are dropped and noted
    (whole phrases: see :func:`phrases` for ``lang`` and ``protect``). Each cue carries its words'
    times on the ad's timeline. With ``tts`` None (voice engine "none") the track is silent and
    there are no cues.
    """
    total = plan.total_duration
    track = np.zeros(int(round(total * SAMPLE_RATE)) + 1, np.float32)
    cues: list[Cue] = []
    notes: list[str] = []
    stats = {"hits": 0, "misses": 0}
    if tts is None:
        return VoiceTrack(track, cues, notes)
    for scene, start in zip(plan.scenes, plan.starts(), strict=True):
        parts = phrases(scene.voiceover, lang=lang, protect=protect)
        if not parts:
            continue
        avail = scene.duration - LEAD_IN - TAIL
        rate = rate_wpm
        clips = [_synth_cached(tts, p, voice, rate, cache_dir, stats) for p in parts]
        need = sum(len(c[0]) for c in clips) / SAMPLE_RATE + GAP * (len(clips) - 1)
        if need > avail:
            factor = min(MAX_SPEEDUP, need / avail * 1.04)
            rate = int(rate_wpm * factor)
            clips = [_synth_cached(tts, p, voice, rate, cache_dir, stats) for p in parts]
            notes.append(f"scene {scene.id}: voiceover sped up to {rate} wpm to fit {scene.duration:.2f} s")
        t = start + LEAD_IN
        end_limit = start + scene.duration - TAIL * 0.5
        for k, (p, (c, wts)) in enumerate(zip(parts, clips, strict=True)):
            dur = len(c) / SAMPLE_RATE
            if t + dur > end_limit:
                dropped = " ".join(parts[k:])
                notes.append(f"scene {scene.id}: dropped {dropped!r} (does not fit the scene; whole phrases only)")
                break
            s = int(round(t * SAMPLE_RATE))
            track[s: s + len(c)] += c[: len(track) - s]
            words = tuple(WordTime(round(t + w.start, 3), round(t + min(w.end, dur), 3), w.text) for w in wts)
            cues.append(Cue(round(t, 3), round(t + dur, 3), p, scene.id, words))
            t += dur + GAP
    return VoiceTrack(track, cues, notes, stats["hits"], stats["misses"])
