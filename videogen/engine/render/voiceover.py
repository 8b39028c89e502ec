"""Voiceover timeline: split each scene's line into caption phrases, synthesise each phrase,
measure it, and place it in the scene. The cues feed the captions."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render.text import strip_emoji
from videogen.engine.render.tts import SAMPLE_RATE, TTSBackend

LEAD_IN = 0.25  # s of silence at the start of a scene before its line
GAP = 0.08  # s between phrases
TAIL = 0.2  # s kept free at a scene's end
MAX_SPEEDUP = 1.45  # a line that does not fit is re-synthesised up to this much faster
PHRASE_CHARS = 32  # a caption phrase fits one line in the narrowest (9:16) caption box


@dataclass(frozen=True)
class Cue:
    """One spoken phrase: start/end in seconds on the ad's timeline, its text, its scene id."""

    start: float
    end: float
    text: str
    scene_id: str


def phrases(line: str, max_chars: int = PHRASE_CHARS) -> list[str]:
    """Split a voiceover line into caption phrases of at most ``max_chars`` characters,
    breaking at sentence ends, then commas, then between words (CJK: between characters)."""
    line = strip_emoji(line)
    out: list[str] = []
    for sent in re.split(r"(?<=[.!?。！？])\s+", line):
        for part in re.split(r"(?<=[,;:，、])\s*", sent):
            part = part.strip()
            if not part:
                continue
            if " " not in part and len(part) > max_chars:
                out += [part[i: i + max_chars] for i in range(0, len(part), max_chars)]
                continue
            cur = ""
            for w in part.split():
                if cur and len(cur) + 1 + len(w) > max_chars:
                    out.append(cur)
                    cur = w
                else:
                    cur = f"{cur} {w}".strip()
            if cur:
                out.append(cur)
    # merge a dangling one-word phrase into its neighbour when that still fits
    merged: list[str] = []
    for p in out:
        if merged and len(p.split()) == 1 and len(merged[-1]) + 1 + len(p) <= max_chars:
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


def _synth_cached(tts: TTSBackend, text: str, voice: str, rate: int, cache_dir: Path | None, stats: dict) -> np.ndarray:
    if cache_dir is None:
        return tts.synthesize(text, voice=voice, rate_wpm=rate)
    key = hashlib.sha256(f"tts-v1|{tts.name}|{voice}|{rate}|{text}".encode()).hexdigest()
    path = cache_dir / "tts" / key[:2] / f"{key}.npy"
    if path.exists():
        stats["hits"] += 1
        return np.load(path)
    stats["misses"] += 1
    x = tts.synthesize(text, voice=voice, rate_wpm=rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, x)
    tmp.replace(path)
    return x


def build_voice_track(
    plan: ScenePlan, tts: TTSBackend | None, *, voice: str, rate_wpm: int, cache_dir: Path | None = None
) -> VoiceTrack:
    """Synthesise every scene's phrases and lay them out on the timeline.

    A scene whose phrases are longer than the scene (minus lead-in and tail) is re-synthesised
    faster (up to ``MAX_SPEEDUP``×); phrases that still do not fit are dropped and noted.
    With ``tts`` None (voice engine "none") the track is silent and there are no cues.
    """
    total = plan.total_duration
    track = np.zeros(int(round(total * SAMPLE_RATE)) + 1, np.float32)
    cues: list[Cue] = []
    notes: list[str] = []
    stats = {"hits": 0, "misses": 0}
    if tts is None:
        return VoiceTrack(track, cues, notes)
    for scene, start in zip(plan.scenes, plan.starts(), strict=True):
        parts = phrases(scene.voiceover)
        if not parts:
            continue
        avail = scene.duration - LEAD_IN - TAIL
        rate = rate_wpm
        clips = [_synth_cached(tts, p, voice, rate, cache_dir, stats) for p in parts]
        need = sum(len(c) for c in clips) / SAMPLE_RATE + GAP * (len(clips) - 1)
        if need > avail:
            factor = min(MAX_SPEEDUP, need / avail * 1.04)
            rate = int(rate_wpm * factor)
            clips = [_synth_cached(tts, p, voice, rate, cache_dir, stats) for p in parts]
            notes.append(f"scene {scene.id}: voiceover sped up to {rate} wpm to fit {scene.duration:.2f} s")
        t = start + LEAD_IN
        end_limit = start + scene.duration - TAIL * 0.5
        for p, c in zip(parts, clips, strict=True):
            dur = len(c) / SAMPLE_RATE
            if t + dur > end_limit:
                notes.append(f"scene {scene.id}: dropped phrase {p!r} (does not fit the scene)")
                break
            s = int(round(t * SAMPLE_RATE))
            track[s: s + len(c)] += c[: len(track) - s]
            cues.append(Cue(round(t, 3), round(t + dur, 3), p, scene.id))
            t += dur + GAP
    return VoiceTrack(track, cues, notes, stats["hits"], stats["misses"])
