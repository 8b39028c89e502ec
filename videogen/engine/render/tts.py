"""Text to speech behind one small interface; default backend: Debian's ``espeak-ng``.

Each voiceover phrase is synthesised on its own and measured, so caption timing comes from the
TTS itself (issue 5 §4). Word timings for word-by-word captions (issue 14 §2) come from the same
synthesis: :meth:`EspeakTTS.synthesize_words` runs the same text, voice and rate through
libespeak-ng (the library behind the ``espeak-ng`` command) via ``ctypes`` and records its
``espeakEVENT_WORD`` events — the audio position, in ms, at which the engine starts each word
(measured: the library's audio matches the command's to under 1 ms in length) — so a
highlighted word starts when it is heard; each word ends at its last voiced 10 ms
frame before the next word (pauses at commas are not highlighted). Why not the other ways: one
synthesis per word changes the prosody and costs a process start per word; timings proportional
to characters drift by 100–300 ms inside long words and numbers ("19,99" is four spoken words).
Without the library (another platform), the command line is used and word times are spread
over the measured phrase in proportion to letters (:func:`proportional_words`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import io
import os
import re
import shutil
import subprocess
import threading
import wave
from dataclasses import dataclass
from typing import Protocol

import numpy as np

SAMPLE_RATE = 48_000


class TTSUnavailable(RuntimeError):
    """The TTS engine is not installed."""


@dataclass(frozen=True)
class VoiceInfo:
    """An installed voice: ``id`` as passed to the engine, language code, display name."""

    id: str
    language: str
    name: str


@dataclass(frozen=True)
class WordTime:
    """One spoken word: ``start``/``end`` in seconds from the start of its phrase's samples, and
    the word as written (a whitespace-separated token of the phrase, punctuation included)."""

    start: float
    end: float
    text: str


class TTSBackend(Protocol):
    name: str

    def synthesize(self, text: str, *, voice: str, rate_wpm: int) -> np.ndarray:
        """Return mono float32 samples at 48 kHz in −1..1 (leading/trailing silence trimmed)."""


def proportional_words(text: str, duration: float) -> list[WordTime]:
    """Word times spread over ``duration`` seconds in proportion to each word's letters and
    digits (at least 2 per word; a digit counts 2, numbers are read as several words) — the
    fallback for backends without word events. One entry per whitespace token of ``text``."""
    toks = re.sub(r"\s+", " ", text).strip().split(" ") if text.strip() else []
    weights = [max(2.0, sum(2.0 if ch.isdigit() else 1.0 for ch in t if ch.isalnum())) for t in toks]
    total = sum(weights) or 1.0
    out, t = [], 0.0
    for tok, w in zip(toks, weights, strict=True):
        d = duration * w / total
        out.append(WordTime(round(t, 4), round(t + d, 4), tok))
        t += d
    return out


def synthesize_words(tts: TTSBackend, text: str, *, voice: str, rate_wpm: int) -> tuple[np.ndarray, list[WordTime]]:
    """Samples (as :meth:`TTSBackend.synthesize`) and one :class:`WordTime` per whitespace token
    of ``text``: the backend's own word timings when it has them (``synthesize_words``), else
    :func:`proportional_words` over the measured samples."""
    own = getattr(tts, "synthesize_words", None)
    if own is not None:
        return own(text, voice=voice, rate_wpm=rate_wpm)
    x = tts.synthesize(text, voice=voice, rate_wpm=rate_wpm)
    return x, proportional_words(text, len(x) / SAMPLE_RATE)


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if not exe:
        raise TTSUnavailable("espeak-ng is not installed; install the Debian package espeak-ng or set voice.engine to \"none\"")
    return exe


@functools.cache
def list_voices() -> tuple[VoiceInfo, ...]:
    """Installed espeak-ng voices (``espeak-ng --voices``), for the voice library.

    Both the language code (``en-us``) and the file id (``gmw/en-US``) are accepted as ids; the
    language code is listed. Raises :class:`TTSUnavailable` when espeak-ng is missing.
    """
    out = subprocess.run([_espeak(), "--voices"], capture_output=True, text=True, timeout=30).stdout  # noqa: S603 - argument list (no shell), program resolved by path
    voices = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5:
            lang, name, file_id = parts[1], parts[3], parts[4]
            voices.append(VoiceInfo(id=lang, language=lang, name=name.replace("_", " ")))
            voices.append(VoiceInfo(id=file_id, language=lang, name=name.replace("_", " ")))
    return tuple(voices)


def _trim_range(x: np.ndarray, threshold: float = 0.01) -> tuple[int, int]:
    """(first, end) sample indices of ``x`` without its leading/trailing silence, 20 ms kept."""
    idx = np.flatnonzero(np.abs(x) > threshold)
    if idx.size == 0:
        return 0, 0
    pad = int(0.02 * SAMPLE_RATE)
    return max(0, int(idx[0]) - pad), int(idx[-1]) + pad


def _trim(x: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    a, b = _trim_range(x, threshold)
    return x[a:b]


def _to_48k(x: np.ndarray, rate: int) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly  # lazy: scipy.signal costs ~1 CPU-s to import (bench/render_speed.py)

    g = gcd(SAMPLE_RATE, rate)
    return resample_poly(x, SAMPLE_RATE // g, rate // g).astype(np.float32)


class _Event(ctypes.Structure):
    """``espeak_EVENT`` (speak_lib.h)."""

    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


class _VoiceSpec(ctypes.Structure):
    """``espeak_VOICE`` (speak_lib.h), for selecting a voice by language."""

    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte), ("xx1", ctypes.c_ubyte),
                ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_EVENT_WORD, _RATE_PARAM, _SYNCHRONOUS, _DONT_EXIT, _POS_CHARACTER, _CHARS_UTF8 = 1, 1, 2, 0x8000, 1, 1


class _EspeakLib:
    """libespeak-ng in this process: initialised once per process (re-initialised after a fork),
    one synthesis at a time (the library keeps global state)."""

    _lock = threading.Lock()
    _state: "tuple[int, ctypes.CDLL, int, object] | None" = None  # (pid, lib, sample rate, callback)
    _chunks: list[np.ndarray] = []
    _events: list[tuple[int, int]] = []

    @classmethod
    def _callback(cls, wav, n, events) -> int:
        if wav and n > 0:
            cls._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != 0:  # espeakEVENT_LIST_TERMINATED
            if events[i].type == _EVENT_WORD:
                cls._events.append((events[i].text_position, events[i].audio_position))
            i += 1
        return 0

    @classmethod
    def load(cls) -> "tuple[ctypes.CDLL, int] | None":
        if cls._state and cls._state[0] == os.getpid():
            return cls._state[1], cls._state[2]
        try:
            lib = ctypes.CDLL("libespeak-ng.so.1")  # Debian's libespeak-ng1
        except OSError:
            name = ctypes.util.find_library("espeak-ng")  # slow (runs ldconfig), so only as a fallback
            if not name:
                return None
            try:
                lib = ctypes.CDLL(name)
            except OSError:
                return None
        rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, None, _DONT_EXIT)
        if rate <= 0:
            return None
        cb = _CALLBACK(cls._callback)
        lib.espeak_SetSynthCallback(cb)
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        cls._state = (os.getpid(), lib, rate, cb)
        return lib, rate

    @classmethod
    def synth(cls, text: str, voice: str, rate_wpm: int) -> "tuple[np.ndarray, int, list[tuple[int, int]]] | None":
        """(int16 samples, sample rate, [(1-based character position, audio ms)] per word event),
        or None without the library. Raises :class:`TTSUnavailable` for an unknown voice."""
        with cls._lock:
            loaded = cls.load()
            if loaded is None:
                return None
            lib, rate = loaded
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                # a language code ("fr-fr") rather than a voice name: select by language, as the CLI does
                lang, _, variant = voice.partition("+")
                props = _VoiceSpec(None, lang.encode(), None, 0, 0, 0, 0, 0, None)
                if lib.espeak_SetVoiceByProperties(ctypes.byref(props)) != 0:
                    raise TTSUnavailable(f"espeak-ng failed for voice {voice!r}: no such voice")
            lib.espeak_SetParameter(_RATE_PARAM, int(rate_wpm), 0)
            cls._chunks, cls._events = [], []
            data = text.encode()
            err = lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            lib.espeak_Synchronize()
            if err != 0:
                raise TTSUnavailable(f"espeak-ng failed for voice {voice!r}: error {err}")
            x = np.concatenate(cls._chunks) if cls._chunks else np.zeros(0, np.int16)
            return x, rate, list(cls._events)


def _voiced_end(x: np.ndarray, a: int, b: int, threshold: float = 0.01) -> int:
    """The end (sample index) of the last voiced 10 ms frame of ``x[a:b]``, or ``a`` if none."""
    frame = SAMPLE_RATE // 100
    seg = np.abs(x[a:b])
    if seg.size == 0:
        return a
    n = seg.size // frame
    if n == 0:
        return b if seg.max() > threshold else a
    peaks = seg[: n * frame].reshape(n, frame).max(axis=1)
    voiced = np.flatnonzero(peaks > threshold)
    tail = seg[n * frame:]
    if tail.size and tail.max() > threshold:
        return b
    return a + (int(voiced[-1]) + 1) * frame if voiced.size else a


def word_times_from_events(text: str, events: list[tuple[int, int]], x48: np.ndarray, offset: int) -> list[WordTime]:
    """Map espeak word events (1-based character position, ms) onto the whitespace tokens of
    ``text``: a token starts at its first event; a token without one (a dash, an emoji) starts
    where the next one does. Times are relative to ``x48[offset:]`` (the trimmed samples); each
    word ends at its last voiced frame before the next word starts."""
    toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    starts: list[float | None] = [None] * len(toks)
    for pos, ms in events:
        c = pos - 1
        for k, (a, b, _) in enumerate(toks):
            if a <= c < b or (c < a and (k == 0 or toks[k - 1][1] <= c)):
                t = ms / 1000.0
                cur = starts[k]
                starts[k] = t if cur is None else min(cur, t)
                break
    total = len(x48) / SAMPLE_RATE
    nxt = total
    filled: list[float] = [0.0] * len(toks)
    for k in range(len(toks) - 1, -1, -1):
        sk = starts[k]
        filled[k] = nxt if sk is None else min(sk, nxt)
        nxt = filled[k]
    out = []
    for k, (_, _, tok) in enumerate(toks):
        t0 = max(0.0, filled[k] - offset / SAMPLE_RATE)
        limit = filled[k + 1] if k + 1 < len(toks) else total
        b_idx = _voiced_end(x48, int(round(filled[k] * SAMPLE_RATE)), int(round(limit * SAMPLE_RATE)))
        t1 = max(t0, b_idx / SAMPLE_RATE - offset / SAMPLE_RATE)
        end_cap = (len(x48) - offset) / SAMPLE_RATE
        out.append(WordTime(round(min(t0, end_cap), 4), round(min(t1, end_cap), 4), tok))
    return out


class EspeakTTS:
    """espeak-ng backend: runs ``espeak-ng --stdout`` and resamples 22.05 kHz → 48 kHz."""

    name = "espeak-ng"

    def synthesize(self, text: str, *, voice: str, rate_wpm: int) -> np.ndarray:
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            return np.zeros(0, dtype=np.float32)
        return _trim(self._synthesize_cli(text, voice=voice, rate_wpm=rate_wpm))

    def synthesize_words(self, text: str, *, voice: str, rate_wpm: int) -> tuple[np.ndarray, list[WordTime]]:
        """Samples exactly as :meth:`synthesize` (the command line: a fresh engine per phrase,
        so the same text always gives the same samples) plus one :class:`WordTime` per
        whitespace token of the (whitespace-normalised) text, from libespeak-ng's word events for
        the same text, voice and rate (see the module docstring; the library keeps wave-generator
        state between utterances, which moves samples by a fraction of a millisecond, so its
        events are used and its samples are not). Without the library: :func:`proportional_words`."""
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            return np.zeros(0, dtype=np.float32), []
        x48 = self._synthesize_cli(text, voice=voice, rate_wpm=rate_wpm)
        a, b = _trim_range(x48)
        got = _EspeakLib.synth(text, voice, rate_wpm)
        if got is None:
            return x48[a:b], proportional_words(text, (b - a) / SAMPLE_RATE)
        return x48[a:b], word_times_from_events(text, got[2], x48[:b], a)

    def _synthesize_cli(self, text: str, *, voice: str, rate_wpm: int) -> np.ndarray:
        """Untrimmed 48 kHz samples from ``espeak-ng --stdout``."""
        res = subprocess.run(  # noqa: S603 - argument list (no shell), program resolved by path
            [_espeak(), "-v", voice, "-s", str(int(rate_wpm)), "--stdout", "--", text],
            capture_output=True, timeout=60,
        )
        if res.returncode != 0 or not res.stdout:
            raise TTSUnavailable(f"espeak-ng failed for voice {voice!r}: {res.stderr.decode(errors='replace').strip()[:200]}")
        with wave.open(io.BytesIO(res.stdout)) as w:
            rate = w.getframerate()
            raw = w.readframes(w.getnframes())
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        return _to_48k(x, rate)


def get_backend(engine: str) -> TTSBackend | None:
    """The TTS backend for a brief's ``voice.engine`` ("espeak-ng"), or None for "none"."""
    if engine == "none":
        return None
    if engine == "espeak-ng":
        return EspeakTTS()
    raise ValueError(f"unknown TTS engine {engine!r}")
