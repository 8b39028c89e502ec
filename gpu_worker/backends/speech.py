"""Speech: Whisper speech-to-text (transformers ``pipeline("automatic-speech-recognition")`` with word
timestamps) and neural text-to-speech with Kokoro-82M.

Kokoro needs the ``kokoro`` package (and its ``misaki`` G2P, which fetches a spaCy model on first use), none
of which installs without downloads here, so it is *not* in requirements-gpu.txt: on a worker without it,
``synthesize_speech`` answers error_kind "not_available" with that reason, and the heartbeat lists no voices.
With it installed and ``KOLONY_MODELS_DIR/kokoro-82m/`` holding ``config.json``, ``kokoro-v1_0.pth`` and
``voices/<voice>.pt``, the backend below runs it from those local files.
"""

from __future__ import annotations

import importlib.util
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..contract import TranscriptOutput, Word
from .clips import ffmpeg_exe

WHISPER_RATE = 16000
KOKORO_RATE = 24000


def decode_audio(path: Path, rate: int = WHISPER_RATE) -> np.ndarray:
    """Any audio ffmpeg reads (webm/opus from MediaRecorder, wav, mp3) → mono float32 at ``rate`` Hz."""
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise ValueError(f"the audio could not be decoded: {proc.stderr.decode(errors='replace')[-300:]}")
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()


@dataclass
class Transcriber:
    pipe: Any
    max_new_tokens: int = 440

    def transcribe(self, audio: np.ndarray, language: str | None, word_timestamps: bool) -> TranscriptOutput:
        generate_kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens}
        if language:
            generate_kwargs["language"] = language
        out = self.pipe({"raw": audio, "sampling_rate": WHISPER_RATE},
                        return_timestamps="word" if word_timestamps else False, generate_kwargs=generate_kwargs)
        words = []
        for chunk in out.get("chunks") or []:
            start, end = chunk.get("timestamp") or (None, None)
            text = str(chunk.get("text", "")).strip()
            if text and start is not None:
                words.append(Word(word=text, start=float(start), end=float(end if end is not None else start)))
        return TranscriptOutput(text=str(out.get("text", "")).strip(), language=language, words=words)


def load_whisper(directory: Path, device: str) -> Transcriber:
    """A transformers Whisper checkpoint (model + tokenizer + feature extractor) from ``directory``."""
    from transformers import (
        AutoFeatureExtractor,
        AutoTokenizer,
        GenerationConfig,
        WhisperForConditionalGeneration,
        pipeline,
    )

    model: Any = WhisperForConditionalGeneration.from_pretrained(str(directory), local_files_only=True)
    model = model.to(device).eval()
    if (directory / "generation_config.json").is_file():  # Whisper's timestamp/language ids live there
        model.generation_config = GenerationConfig.from_pretrained(str(directory), local_files_only=True)
    tok = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    fe = AutoFeatureExtractor.from_pretrained(str(directory), local_files_only=True)
    asr = pipeline("automatic-speech-recognition", model=model, tokenizer=tok, feature_extractor=fe, device=device)
    limit = getattr(model.generation_config, "max_length", 448) or 448
    return Transcriber(asr, max_new_tokens=max(1, min(440, int(limit) - 8)))


class SpeechNotAvailable(Exception):
    pass


def kokoro_available() -> str | None:
    """None when Kokoro can run here, else why not."""
    if importlib.util.find_spec("kokoro") is None:
        return "neural TTS needs the `kokoro` package (pip install kokoro; it is not in requirements-gpu.txt), not installed on this worker"
    return None


def kokoro_voices(directory: Path) -> list[str]:
    return sorted(p.stem for p in (directory / "voices").glob("*.pt")) if (directory / "voices").is_dir() else []


def synthesize_kokoro(directory: Path, device: str, text: str, voice: str, speed: float) -> np.ndarray:
    """Mono float32 at 24 kHz. Raises SpeechNotAvailable (package or voice missing)."""
    why = kokoro_available()
    if why:
        raise SpeechNotAvailable(why)
    voice_file = directory / "voices" / f"{voice}.pt"
    if not voice_file.is_file():
        raise SpeechNotAvailable(f"voice {voice!r} is not installed: expected {voice_file}")
    import kokoro  # type: ignore[import-not-found]
    import torch

    weights = next(iter(sorted(directory.glob("*.pth"))), None)
    if weights is None:
        raise SpeechNotAvailable(f"no Kokoro weights (*.pth) in {directory}")
    model = kokoro.KModel(repo_id="hexgrad/Kokoro-82M", config=str(directory / "config.json"), model=str(weights)).to(device).eval()
    pipe = kokoro.KPipeline(lang_code=voice[0], repo_id="hexgrad/Kokoro-82M", model=model)
    chunks = [r.audio.detach().cpu().numpy() for r in pipe(text, voice=str(voice_file), speed=speed) if r.audio is not None]
    if not chunks:
        raise SpeechNotAvailable("Kokoro produced no audio for this text")
    with torch.no_grad():
        return np.concatenate(chunks).astype(np.float32)


def write_wav(samples: np.ndarray, rate: int, path: Path) -> float:
    """16-bit mono WAV; returns the duration in seconds."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return len(pcm) / rate
