"""Text to speech behind one small interface; default backend: Debian's ``espeak-ng``.

Each caption phrase is synthesised on its own and measured, so caption timing comes from the
TTS itself (issue 5 §4).
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import wave
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.signal import resample_poly

SAMPLE_RATE = 48_000


class TTSUnavailable(RuntimeError):
    """The TTS engine is not installed."""


@dataclass(frozen=True)
class VoiceInfo:
    """An installed voice: ``id`` as passed to the engine, language code, display name."""

    id: str
    language: str
    name: str


class TTSBackend(Protocol):
    name: str

    def synthesize(self, text: str, *, voice: str, rate_wpm: int) -> np.ndarray:
        """Return mono float32 samples at 48 kHz in −1..1 (leading/trailing silence trimmed)."""


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


def _trim(x: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    idx = np.flatnonzero(np.abs(x) > threshold)
    if idx.size == 0:
        return x[:0]
    pad = int(0.02 * SAMPLE_RATE)
    return x[max(0, idx[0] - pad): idx[-1] + pad]


class EspeakTTS:
    """espeak-ng backend: runs ``espeak-ng --stdout`` and resamples 22.05 kHz → 48 kHz."""

    name = "espeak-ng"

    def synthesize(self, text: str, *, voice: str, rate_wpm: int) -> np.ndarray:
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            return np.zeros(0, dtype=np.float32)
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
        from math import gcd

        g = gcd(SAMPLE_RATE, rate)
        x = resample_poly(x, SAMPLE_RATE // g, rate // g).astype(np.float32)
        return _trim(x)


def get_backend(engine: str) -> TTSBackend | None:
    """The TTS backend for a brief's ``voice.engine`` ("espeak-ng"), or None for "none"."""
    if engine == "none":
        return None
    if engine == "espeak-ng":
        return EspeakTTS()
    raise ValueError(f"unknown TTS engine {engine!r}")
