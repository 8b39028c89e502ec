"""Procedural music bed (no downloads): a four-chord loop with pad, bass, kick and hats,
synthesised with numpy; tempo, mode and brightness come from the style; the seed picks the key
and the progression."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from videogen.engine.render.styles import Look

SAMPLE_RATE = 48_000
PROGRESSIONS = {
    "major": [[0, 7, 9, 5], [0, 5, 9, 7], [9, 5, 0, 7]],  # I–V–vi–IV and friends (semitones from tonic)
    "minor": [[0, 8, 3, 10], [0, 5, 8, 7], [0, 3, 8, 10]],
}


# The procedural moods a brief may ask for (``music.mood``): (tempo in bpm, mode, brightness 0..1).
# They are the five styles' own beds, so "auto" (the style's) is always one of them.
MOODS: dict[str, tuple[int, str, float]] = {
    "upbeat": (122, "major", 0.8),     # vibrant
    "warm": (104, "major", 0.5),       # casual
    "calm": (84, "major", 0.25),       # minimalist
    "confident": (100, "minor", 0.4),  # corporate
    "serious": (96, "minor", 0.45),    # professional
}
MOOD_LABELS = {"auto": "Matches the style", "upbeat": "Upbeat", "warm": "Warm", "calm": "Calm", "confident": "Confident",
               "serious": "Serious", "none": "No music (voice only)"}


def music_look(look: Look, mood: str = "auto", tempo_bpm: int | None = None) -> Look | None:
    """``look`` with the music fields of ``mood`` (a :data:`MOODS` key, or ``auto`` to keep the
    style's) and ``tempo_bpm`` (beats per minute, None = the mood's). None for mood ``none``.
    Raises KeyError for an unknown mood."""
    if mood == "none":
        return None
    if mood != "auto":
        bpm, mode, brightness = MOODS[mood]
        look = replace(look, music_bpm=bpm, music_mode=mode, music_brightness=brightness)
    if tempo_bpm is not None:
        look = replace(look, music_bpm=int(tempo_bpm))
    return look


def make_bed(duration: float, look: Look, seed: int, *, mood: str = "auto", tempo_bpm: int | None = None) -> tuple[np.ndarray, dict]:
    """The music bed for a brief's ``music`` setting: stereo float32 (n, 2) at 48 kHz (all zeros
    for mood ``none``) and a trace entry ``{mood, bpm, mode, backend}`` (bpm/mode None without music)."""
    ml = music_look(look, mood, tempo_bpm)
    if ml is None:
        n = int(round(duration * SAMPLE_RATE))
        return np.zeros((n, 2), np.float32), {"mood": "none", "bpm": None, "mode": None, "backend": "none"}
    return make_music(duration, ml, seed), {"mood": mood, "bpm": ml.music_bpm, "mode": ml.music_mode, "backend": "procedural"}


def _note_hz(semitone: float) -> float:
    return 440.0 * 2 ** ((semitone - 9) / 12)  # semitone 0 = C4


def make_music(duration: float, look: Look, seed: int) -> np.ndarray:
    """Stereo float32 samples, shape (n, 2), 48 kHz, ``duration`` seconds, peak ≈ 0.5, with
    0.5 s fade-in and 1 s fade-out. Deterministic for (duration, look, seed)."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * SAMPLE_RATE))
    t = np.arange(n) / SAMPLE_RATE
    beat = 60.0 / look.music_bpm
    bar = beat * 4
    key = int(rng.integers(-5, 5))
    prog = PROGRESSIONS[look.music_mode][int(rng.integers(0, 3))]
    third = 4 if look.music_mode == "major" else 3
    pad = np.zeros(n, np.float32)
    bass = np.zeros(n, np.float32)
    n_bars = int(np.ceil(duration / bar)) + 1
    partials = 1 + int(look.music_brightness * 4)
    for b in range(n_bars):
        root = key + prog[b % 4]
        s0, s1 = int(b * bar * SAMPLE_RATE), min(n, int((b + 1) * bar * SAMPLE_RATE))
        if s0 >= n:
            break
        tt = t[s0:s1] - b * bar
        env = np.minimum(1, tt / 0.08) * np.minimum(1, (bar - tt) / 0.15)
        for iv in (0, third, 7, 12):
            f = _note_hz(root + iv)
            for k in range(1, partials + 1):
                pad[s0:s1] += (env * np.sin(2 * np.pi * f * k * tt + k) / (k * k) * 0.12).astype(np.float32)
        fb = _note_hz(root - 24)
        for q in range(4):  # bass on each beat
            q0 = q * beat
            m = (tt >= q0) & (tt < q0 + beat)
            if not m.any():
                continue
            tq = tt[m] - q0
            bass[s0:s1][m] += (np.sin(2 * np.pi * fb * tq) * np.exp(-tq * 3.5) * 0.35).astype(np.float32)
    drums = np.zeros(n, np.float32)
    if look.music_bpm >= 95:
        kick_len = int(0.25 * SAMPLE_RATE)
        tk = np.arange(kick_len) / SAMPLE_RATE
        kick = (np.sin(2 * np.pi * (50 * tk + 60 / 12 * (1 - np.exp(-tk * 12)))) * np.exp(-tk * 14) * 0.6).astype(np.float32)
        hat_len = int(0.05 * SAMPLE_RATE)
        from scipy.signal import butter, sosfilt  # lazy: scipy.signal costs ~1 CPU-s to import (bench/render_speed.py)

        sos = butter(4, 7000, "highpass", fs=SAMPLE_RATE, output="sos")
        hat = (sosfilt(sos, rng.standard_normal(hat_len)) * np.exp(-np.arange(hat_len) / SAMPLE_RATE * 60) * 0.12).astype(np.float32)
        k = 0
        while k * beat < duration:
            s = int(k * beat * SAMPLE_RATE)
            e = min(n, s + kick_len)
            drums[s:e] += kick[: e - s]
            h = int((k + 0.5) * beat * SAMPLE_RATE)
            if h < n:
                e = min(n, h + hat_len)
                drums[h:e] += hat[: e - h]
            k += 1
    from scipy.signal import butter, sosfilt  # lazy, see above

    sos = butter(2, 1200 + 5000 * look.music_brightness, "lowpass", fs=SAMPLE_RATE, output="sos")
    pad = sosfilt(sos, pad).astype(np.float32)
    mono = pad + bass + drums
    left = mono + np.roll(pad, int(0.012 * SAMPLE_RATE)) * 0.3
    right = mono + np.roll(pad, int(0.019 * SAMPLE_RATE)) * 0.3
    out = np.stack([left, right], axis=1)
    fade = np.ones(n, np.float32)
    fi, fo = int(0.5 * SAMPLE_RATE), int(1.0 * SAMPLE_RATE)
    fade[:fi] = np.linspace(0, 1, fi)
    fade[-fo:] = np.minimum(fade[-fo:], np.linspace(1, 0, fo))
    out *= fade[:, None]
    peak = float(np.abs(out).max()) or 1.0
    return (out / peak * 0.5).astype(np.float32)


def beat_times(duration: float, bpm: float) -> list[float]:
    """The bed's beat grid: the seconds at which :func:`make_music` strikes each beat (the bass
    note, and the kick at ≥ 95 bpm), ``k · 60 / bpm`` for every beat before ``duration``. Raises
    ValueError for a tempo ≤ 0."""
    if bpm <= 0:
        raise ValueError(f"tempo must be positive, got {bpm} bpm")
    beat = 60.0 / bpm
    return [round(k * beat, 6) for k in range(int(duration / beat) + 1) if k * beat < duration]


def snap_to_beats(durations: list[float], bpm: float, *, offset: float = 0.0, step: float = 0.1,
                  min_scene: float = 1.0) -> list[float]:
    """Scene durations (seconds) whose boundaries (cuts) land on the music's beats.

    Each boundary between scenes moves to the nearest beat time minus ``offset`` (e.g. half the
    cross-fade, so the middle of a transition falls on the beat), rounded to the ``step`` grid
    (0.1 s: the Studio's Seconds field, so a cut is within ``step / 2`` of its beat); a boundary
    is left where it was when no beat within one beat keeps every scene ≥ ``min_scene`` s. The
    total is unchanged. Pure: same input, same output."""
    if len(durations) < 2 or bpm <= 0:
        return list(durations)
    beat = 60.0 / bpm
    total = round(sum(durations), 6)
    n = len(durations)
    bounds: list[float] = []
    t = 0.0
    prev = 0.0
    for i, d in enumerate(durations[:-1]):
        t += d
        k0 = round((t + offset) / beat)
        best = round(t / step) * step
        chosen = None
        for k in sorted((k0 - 1, k0, k0 + 1), key=lambda k: abs(k * beat - offset - t)):
            cand = round(round((k * beat - offset) / step) * step, 6)
            rest = n - 1 - i  # scenes after this boundary
            if cand - prev >= min_scene - 1e-9 and total - cand >= rest * min_scene - 1e-9 and abs(cand - t) <= beat:
                chosen = cand
                break
        b = chosen if chosen is not None else round(best, 6)
        bounds.append(b)
        prev = b
    edges = [0.0, *bounds, total]
    return [round(edges[i + 1] - edges[i], 3) for i in range(n)]


def bed_bpm(look: Look, mood: str = "auto", tempo_bpm: int | None = None) -> int | None:
    """The tempo (bpm) of the bed :func:`make_bed` makes for these settings; None for mood ``none``."""
    ml = music_look(look, mood, tempo_bpm)
    return ml.music_bpm if ml is not None else None
