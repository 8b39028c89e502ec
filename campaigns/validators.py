"""Input rules that a database constraint cannot express: ISO codes, the targeting JSON shape and
uploaded creative files. Each raises ``django.core.exceptions.ValidationError`` with a message
that names what was wrong and what was expected."""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePath

import jsonschema
import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError

from .choices import Gender

#: Meta's targeting age range: ``age_min`` 13–65, ``age_max`` 13–65 where 65 means "65+".
AGE_MIN, AGE_MAX = 13, 65

#: JSON Schema (draft 2020-12) for ``AdSet.targeting``. Countries ISO 3166-1 alpha-2,
#: languages ISO 639-1; both are also checked against pycountry's tables.
TARGETING_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["countries"],
    "properties": {
        "countries": {
            "type": "array", "minItems": 1, "maxItems": 250, "uniqueItems": True,
            "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
        },
        "age_min": {"type": "integer", "minimum": AGE_MIN, "maximum": AGE_MAX},
        "age_max": {"type": "integer", "minimum": AGE_MIN, "maximum": AGE_MAX},
        "genders": {"type": "array", "uniqueItems": True, "items": {"enum": list(Gender.values)}},
        "languages": {"type": "array", "uniqueItems": True, "items": {"type": "string", "pattern": "^[a-z]{2}$"}},
        "interests": {
            "type": "array", "maxItems": 100, "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": 100},
        },
    },
}

DEFAULT_TARGETING = {"countries": ["US"], "age_min": 18, "age_max": 65, "genders": [], "languages": [], "interests": []}

#: Video containers Meta and YouTube accept for upload, by extension.
CREATIVE_EXTENSIONS = {".mp4", ".mov", ".m4v", ".webm"}


@lru_cache(maxsize=None)
def _country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=None)
def _currency_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


@lru_cache(maxsize=None)
def _language_codes() -> frozenset[str]:
    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def validate_currency(value: str) -> None:
    """``value`` must be an ISO 4217 alphabetic code in upper case, e.g. ``"USD"``."""
    if value not in _currency_codes():
        raise ValidationError(f"'{value}' is not an ISO 4217 currency code (for example USD, EUR, GBP).", code="currency")


def validate_country(value: str) -> None:
    if value not in _country_codes():
        raise ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (for example US, GB, DE).", code="country")


def _path(error: jsonschema.ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "targeting"


def clean_targeting(value) -> dict:
    """Validates an ad set's targeting and returns it with defaults filled in.

    Shape: ``{"countries": ["US", ...], "age_min": 13..65, "age_max": 13..65 (65 = 65+),
    "genders": ["female"|"male"] (empty = all), "languages": ["en", ...] (ISO 639-1),
    "interests": ["coffee", ...]}``. Raises ValidationError listing every problem with its path.
    """
    if not isinstance(value, dict):
        raise ValidationError("Targeting must be a JSON object such as {\"countries\": [\"US\"]}.", code="targeting")
    validator = jsonschema.Draft202012Validator(TARGETING_SCHEMA)
    messages = []
    for err in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        if err.validator == "pattern" and "countries" in err.absolute_path:
            messages.append(f"{_path(err)}: '{err.instance}' is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. US).")
        elif err.validator == "pattern" and "languages" in err.absolute_path:
            messages.append(f"{_path(err)}: '{err.instance}' is not an ISO 639-1 language code (two lower-case letters, e.g. en).")
        elif err.validator == "additionalProperties":
            messages.append(f"{err.message}; allowed keys: countries, age_min, age_max, genders, languages, interests.")
        else:
            messages.append(f"{_path(err)}: {err.message}.")
    if messages:
        raise ValidationError(messages, code="targeting")
    for i, code in enumerate(value.get("countries", [])):
        if code not in _country_codes():
            messages.append(f"countries[{i}]: '{code}' is not an ISO 3166-1 alpha-2 country code.")
    for i, code in enumerate(value.get("languages", [])):
        if code not in _language_codes():
            messages.append(f"languages[{i}]: '{code}' is not an ISO 639-1 language code.")
    cleaned = {**DEFAULT_TARGETING, **value}
    if cleaned["age_min"] > cleaned["age_max"]:
        messages.append(f"age_min ({cleaned['age_min']}) must not be above age_max ({cleaned['age_max']}).")
    if messages:
        raise ValidationError(messages, code="targeting")
    return cleaned


def creative_max_bytes() -> int:
    """Upload limit for creatives in bytes (``KOLONY_CREATIVE_MAX_BYTES``, default 1 GiB; Meta's
    own limit for feed video is 4 GB)."""
    return int(getattr(settings, "KOLONY_CREATIVE_MAX_BYTES", 1024**3))


def sniff_video(head: bytes) -> str | None:
    """Container named by a file's first bytes: ``"mp4"`` (ISO BMFF / QuickTime ``ftyp`` box at
    offset 4, or a ``moov``/``mdat``/``wide`` box for old QuickTime), ``"webm"`` (EBML magic
    1A 45 DF A3), else None."""
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def validate_creative_file(file) -> None:
    """An uploaded creative must be a video: extension .mp4/.mov/.m4v/.webm, content whose magic
    bytes match that container, not empty and at most :func:`creative_max_bytes` bytes, and
    readable to its end by ffprobe/FFmpeg (:func:`videogen.uploads.check_video_file`)."""
    name = getattr(file, "name", "") or ""
    ext = PurePath(name).suffix.lower()
    if ext not in CREATIVE_EXTENSIONS:
        raise ValidationError(
            f"'{PurePath(name).name}' is not a supported video; upload an MP4, MOV or WebM file.", code="creative_extension"
        )
    size = getattr(file, "size", None)
    if size is not None and size <= 0:
        raise ValidationError("The uploaded video is empty.", code="creative_empty")
    limit = creative_max_bytes()
    if size is not None and size > limit:
        raise ValidationError(f"The video is {size / 1024**2:.0f} MiB; the limit is {limit / 1024**2:.0f} MiB.", code="creative_size")
    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        head = file.read(16)
    finally:
        if position is not None:
            file.seek(position)
    kind = sniff_video(head)
    expected = "webm" if ext == ".webm" else "mp4"
    if kind != expected:
        raise ValidationError(
            f"'{PurePath(name).name}' does not contain {'WebM' if expected == 'webm' else 'MP4/QuickTime'} video data.",
            code="creative_content",
        )
    from videogen.uploads import check_video_file  # probed and decode-checked like Studio clips

    check_video_file(file, name=PurePath(name).name, ext=ext)
