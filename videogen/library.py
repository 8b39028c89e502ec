"""Built-in workflow templates and the voice library, kept in step with the code and the TTS
engines installed on this server (run after every ``migrate``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

BUILTIN_TEMPLATES: list[dict[str, Any]] = [
    {"name": "Product hero 15 s", "description": "Hook, three benefits, product close-up, offer and end card.",
     "parameters": {"request_type": "marketing_video", "duration": 15, "style": "vibrant",
                    "aspect_ratios": ["9:16", "1:1", "4:5", "16:9"]}},
    {"name": "Offer countdown 6 s bumper", "description": "A 6-second bumper: the offer, the product, the call to action.",
     "parameters": {"request_type": "social_media", "duration": 6, "style": "vibrant", "aspect_ratios": ["9:16", "16:9"],
                    "call_to_action": "Shop now"}},
    {"name": "Testimonial 30 s", "description": "A calmer story: problem, customer words, product, offer.",
     "parameters": {"request_type": "story", "duration": 30, "style": "casual", "aspect_ratios": ["9:16", "4:5"]}},
    {"name": "Explainer 30 s", "description": "How it works in four steps, professional look.",
     "parameters": {"request_type": "explainer", "duration": 30, "style": "professional", "aspect_ratios": ["16:9", "1:1"]}},
    {"name": "Minimal launch 10 s", "description": "Clean type on brand colour for a product launch.",
     "parameters": {"request_type": "product_demo", "duration": 10, "style": "minimalist", "aspect_ratios": ["9:16", "1:1"]}},
]


@transaction.atomic
def builtin_templates_sync() -> int:
    """Creates or updates the built-in templates (organization null). Returns how many exist."""
    from .models import WorkflowTemplate

    for spec in BUILTIN_TEMPLATES:
        WorkflowTemplate.objects.update_or_create(
            organization=None, name=spec["name"], defaults={"description": spec["description"], "parameters": spec["parameters"]}
        )
    return len(BUILTIN_TEMPLATES)


def voice_library_sync() -> int:
    """Mirrors the installed espeak-ng voices into the voice library (one row per language code).
    Returns the number of active voices; 0 (and a warning) when espeak-ng is missing."""
    from videogen.render.tts import TTSUnavailable, list_voices

    from .models import Voice

    try:
        installed = list_voices()
    except (TTSUnavailable, FileNotFoundError, OSError) as exc:
        logger.warning("voice library not synced: %s", exc)
        return 0
    seen = set()
    with transaction.atomic():
        for v in installed:
            if "/" in v.id or v.id in seen:  # keep the language-code ids (en-us), not file ids
                continue
            seen.add(v.id)
            Voice.objects.update_or_create(engine="espeak-ng", engine_voice_id=v.id,
                                           defaults={"name": v.name.title(), "language": v.language, "is_active": True,
                                                     "emotion_profile": {"style": "neutral"}})
        Voice.objects.filter(engine="espeak-ng").exclude(engine_voice_id__in=seen).update(is_active=False)
    return len(seen)


def sync_after_migrate(sender, **kwargs) -> None:
    builtin_templates_sync()
    voice_library_sync()


SAMPLE_SENTENCE = "Smooth cold brew for busy mornings. Order today."


def voice_sample(voice) -> Path:
    """The voice's sample (WAV, 48 kHz mono 16-bit), spoken once through its TTS engine and kept in
    ``Voice.sample_audio``. Raises TTSUnavailable when the engine cannot speak it."""
    import io
    import wave

    import numpy as np
    from django.core.files.base import ContentFile

    from videogen.render.tts import SAMPLE_RATE, get_backend

    if voice.sample_audio and voice.sample_audio.storage.exists(voice.sample_audio.name):
        return Path(voice.sample_audio.path)
    backend = get_backend(voice.engine)
    if backend is None:
        raise ValueError(f"voice {voice.pk} has no speaking engine ({voice.engine!r})")
    samples = backend.synthesize(SAMPLE_SENTENCE, voice=voice.engine_voice_id, rate_wpm=165)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    voice.sample_audio.save(f"{voice.engine}-{voice.engine_voice_id.replace('/', '_')}.wav", ContentFile(buf.getvalue()), save=True)
    return Path(voice.sample_audio.path)
