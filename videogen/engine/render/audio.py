"""The ad's soundtrack: voiceover + music bed ducked under the voice (FFmpeg
``sidechaincompress``), normalised with two-pass ``loudnorm`` to −14 LUFS integrated and a true
peak under −1 dBTP (DESIGN §6; EBU R128 / ITU-R BS.1770 measurement)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from videogen.engine.render.ffmpeg import run_ffmpeg
from videogen.engine.render.formats import AUDIO_BITRATE, AUDIO_RATE, TARGET_LUFS, TARGET_TRUE_PEAK

# Broadcast-style bus compression and a brick-wall limiter keep the peak-to-loudness ratio under
# ~11 dB so the second loudnorm pass can stay linear (pure gain) and land on −14 LUFS.
_DYNAMICS = "acompressor=threshold=0.125:ratio=3:attack=5:release=120:makeup=1.5,alimiter=limit=0.5:attack=2:release=40:level=false"

# Aim 0.5 dB under the true-peak ceiling: the AAC encoder can overshoot slightly.
TP_AIM = TARGET_TRUE_PEAK - 0.5


def _loudnorm_json(stderr: str) -> dict:
    m = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr, re.S)
    if not m:
        raise RuntimeError("loudnorm printed no measurement")
    return json.loads(m[-1])


def mix_soundtrack(
    voice: np.ndarray, music: np.ndarray, duration: float, out_path: Path, work: Path,
    *, should_cancel: Callable[[], bool] | None = None,
) -> dict:
    """Mix mono ``voice`` (48 kHz float) and stereo ``music`` (n×2, 48 kHz float) into a 48 kHz
    stereo 16-bit WAV at ``out_path`` lasting exactly ``duration`` seconds.

    Music sits about 12 dB under the voice and is ducked further while the voice speaks.
    Returns the loudnorm measurements (``input_i``, ``output_i``, ``output_tp``... as strings).
    Raises :class:`videogen.engine.render.ffmpeg.FFmpegError`.
    """
    n = int(round(duration * AUDIO_RATE))
    v = np.zeros(n, np.float32)
    v[: min(n, len(voice))] = voice[:n]
    m = np.zeros((n, 2), np.float32)
    m[: min(n, len(music))] = music[:n]
    from scipy.io import wavfile  # lazy: scipy.io costs ~0.2 CPU-s to import; only the mix needs it

    vpath, mpath, mixpath = work / "voice.wav", work / "music.wav", work / "mix.wav"
    wavfile.write(vpath, AUDIO_RATE, np.stack([v, v], axis=1))
    wavfile.write(mpath, AUDIO_RATE, m)
    has_voice = bool(np.abs(v).max() > 1e-4)
    if has_voice:
        graph = (
            "[0:a]asplit=2[vsc][vmix];"
            "[1:a]volume=0.30[bed];"
            "[bed][vsc]sidechaincompress=threshold=0.015:ratio=8:attack=20:release=400:makeup=1[duck];"
            f"[duck][vmix]amix=inputs=2:normalize=0:duration=first,{_DYNAMICS},atrim=0:{duration:.6f}[out]"
        )
    else:
        graph = f"[1:a]volume=0.8,{_DYNAMICS},atrim=0:{duration:.6f}[out]"
    run_ffmpeg(["-i", str(vpath), "-i", str(mpath), "-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_f32le", str(mixpath)],
               should_cancel=should_cancel)
    target = f"I={TARGET_LUFS}:TP={TP_AIM}:LRA=11"
    err = run_ffmpeg(["-i", str(mixpath), "-af", f"loudnorm={target}:print_format=json", "-f", "null", "-"], should_cancel=should_cancel)
    meas = _loudnorm_json(err)
    second = (
        f"loudnorm={target}:measured_I={meas['input_i']}:measured_TP={meas['input_tp']}:"
        f"measured_LRA={meas['input_lra']}:measured_thresh={meas['input_thresh']}:offset={meas['target_offset']}:"
        "linear=true:print_format=json"
    )
    err = run_ffmpeg(
        ["-i", str(mixpath), "-af", f"{second},aresample={AUDIO_RATE},apad=whole_len={n},atrim=end_sample={n}",
         "-ar", str(AUDIO_RATE), "-ac", "2", "-c:a", "pcm_s16le", str(out_path)],
        should_cancel=should_cancel,
    )
    return _loudnorm_json(err)


def encode_aac(wav_path: Path, out_path: Path, *, should_cancel: Callable[[], bool] | None = None) -> Path:
    """Encode the finished soundtrack once per job as AAC-LC, ``AUDIO_BITRATE``, 48 kHz stereo,
    in an M4A (MP4) file whose stream every format's MP4 copies (``-c:a copy``): the audio is the
    same for all aspect ratios, so it is encoded once, not once per format. The M4A keeps the
    encoder delay, so the copied stream decodes to exactly the samples an in-place encode gives.
    Raises :class:`videogen.engine.render.ffmpeg.FFmpegError`."""
    run_ffmpeg(["-i", str(wav_path), "-map", "0:a", "-c:a", "aac", "-profile:a", "aac_low", "-b:a", AUDIO_BITRATE,
                "-ar", str(AUDIO_RATE), "-ac", "2", "-map_metadata", "-1", "-f", "mp4", str(out_path)],
               should_cancel=should_cancel)
    return out_path
