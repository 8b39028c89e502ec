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


# Languages espeak-ng speaks that no ad audience speaks: constructed (Esperanto, Interlingua, Ido,
# Lojban, Lingua Franca Nova, Klingon, Pyash, Belta, Quenya, Sindarin) and historic ones (Ancient
# Greek, Latin, Classical Nahuatl). Listed under "all voices" only, marked as such.
CONSTRUCTED_LANGUAGES = frozenset({"eo", "ia", "io", "jbo", "lfn", "piqd", "py", "qdb", "qya", "sjn"})
HISTORIC_LANGUAGES = frozenset({"grc", "la", "nci"})

# The curated list shown by default: {espeak-ng language code: (language as a marketer reads it,
# how well espeak-ng speaks it)}. "good": clear, natural stress (espeak-ng's best-maintained
# languages); "fair": understandable, noticeably robotic; everything else is "basic".
CURATED_VOICES: dict[str, tuple[str, str]] = {
    "en-us": ("English (US)", "good"), "en-gb": ("English (UK)", "good"), "es": ("Spanish (Spain)", "good"),
    "es-419": ("Spanish (Latin America)", "good"), "fr-fr": ("French (France)", "good"), "de": ("German", "good"),
    "it": ("Italian", "good"), "pt-br": ("Portuguese (Brazil)", "good"), "pt": ("Portuguese (Portugal)", "good"),
    "nl": ("Dutch", "good"), "sv": ("Swedish", "good"), "da": ("Danish", "fair"), "nb": ("Norwegian", "good"),
    "fi": ("Finnish", "good"), "pl": ("Polish", "good"), "cs": ("Czech", "good"), "ro": ("Romanian", "fair"),
    "hu": ("Hungarian", "fair"), "el": ("Greek", "fair"), "tr": ("Turkish", "fair"), "ru": ("Russian", "fair"),
    "uk": ("Ukrainian", "fair"), "id": ("Indonesian", "fair"), "vi": ("Vietnamese", "fair"), "hi": ("Hindi", "fair"),
    "ar": ("Arabic", "fair"), "he": ("Hebrew", "fair"), "ja": ("Japanese", "fair"), "ko": ("Korean", "fair"),
    "cmn": ("Chinese (Mandarin)", "fair"),
}
# Curated languages that also get a female voice (espeak-ng's "+f3" variant).
FEMALE_VARIANT = "f3"
FEMALE_LANGUAGES = ("en-us", "en-gb", "es", "es-419", "fr-fr", "de", "it", "pt-br", "nl")


def voice_profile(language: str, *, gender: str = "male") -> dict:
    """``Voice.emotion_profile`` for an espeak-ng voice of ``language``: ``{style, gender,
    quality ("good" | "fair" | "basic"), curated (bool: in the default list), kind ("living",
    "constructed" or "historic")}``."""
    kind = "constructed" if language in CONSTRUCTED_LANGUAGES else "historic" if language in HISTORIC_LANGUAGES else "living"
    curated = CURATED_VOICES.get(language)
    return {"style": "neutral", "gender": gender, "quality": curated[1] if curated else "basic",
            "curated": curated is not None, "kind": kind}


def voice_label(voice) -> str:
    """A voice as a menu shows it: "English (US) · female · good" (language, gender, quality);
    constructed and historic languages say so."""
    p = voice.emotion_profile or {}
    bits = [voice.name, p.get("gender") or "", p.get("quality") and f"{p['quality']} quality" or ""]
    if p.get("kind") in ("constructed", "historic"):
        bits.append(f"{p['kind']} language")
    return " · ".join(b for b in bits if b)


def is_curated(voice) -> bool:
    return bool((voice.emotion_profile or {}).get("curated"))


def voice_choices(voices, *, curated_only: bool = True, keep: str = "") -> list[tuple[str, str]]:
    """``[(engine_voice_id, label)]`` for a menu: the curated voices (in :data:`CURATED_VOICES`
    order, female after male) or, with ``curated_only=False``, every voice (curated first, then
    the rest by language). ``keep`` (a voice id) stays in the list even when not curated."""
    voices = list(voices)
    order = list(CURATED_VOICES)

    def key(v):
        base = v.engine_voice_id.split("+")[0]
        return (0, order.index(base), "+" in v.engine_voice_id) if base in CURATED_VOICES and is_curated(v) else (1, v.language, v.name)

    picked = [v for v in voices if not curated_only or is_curated(v) or (keep and v.engine_voice_id == keep)]
    return [(v.engine_voice_id, voice_label(v)) for v in sorted(picked, key=key)]


def voice_library_sync() -> int:
    """Mirrors the installed espeak-ng voices into the voice library: one row per language code,
    plus a female variant (``<code>+f3``) of :data:`FEMALE_LANGUAGES`; each row's
    ``emotion_profile`` from :func:`voice_profile` (curated list, gender, quality).
    Returns the number of active voices; 0 (and a warning) when espeak-ng is missing."""
    from videogen.engine.render.tts import TTSUnavailable, list_voices

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
            curated = CURATED_VOICES.get(v.id)
            name = curated[0] if curated else v.name
            Voice.objects.update_or_create(engine="espeak-ng", engine_voice_id=v.id,
                                           defaults={"name": name, "language": v.language, "is_active": True,
                                                     "emotion_profile": voice_profile(v.language)})
            if v.id in FEMALE_LANGUAGES and curated:
                fid = f"{v.id}+{FEMALE_VARIANT}"
                seen.add(fid)
                Voice.objects.update_or_create(engine="espeak-ng", engine_voice_id=fid,
                                               defaults={"name": name, "language": v.language, "is_active": True,
                                                         "emotion_profile": voice_profile(v.language, gender="female")})
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

    from videogen.engine.render.tts import SAMPLE_RATE, get_backend

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
