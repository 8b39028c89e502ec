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


@lru_cache(maxsize=None)
def country_choices() -> tuple[tuple[str, str], ...]:
    """``(("AF", "Afghanistan (AF)"), …)`` sorted by name (pycountry's common name when it has one),
    for the ad set form's country picker."""
    named = ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries)
    return tuple((code, f"{name} ({code})") for code, name in sorted(named, key=lambda item: item[1]))


@lru_cache(maxsize=None)
def language_choices() -> tuple[tuple[str, str], ...]:
    """``(("en", "English (en)"), …)``: the ISO 639-1 languages, sorted by name."""
    named = ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2"))
    return tuple((code, f"{name} ({code})") for code, name in sorted(named, key=lambda item: item[1]))


def validate_currency(value: str) -> None:
    """``value`` must be an ISO 4217 alphabetic code in upper case, e.g. ``"USD"``."""
    if value not in _currency_codes():
        raise ValidationError(f"'{value}' is not a currency code we know; use a three-letter code such as USD, EUR or GBP.",
                              code="currency")


def validate_country(value: str) -> None:
    if value not in _country_codes():
        raise ValidationError(f"'{value}' is not a country code we know; use two-letter codes such as US, GB or DE.", code="country")


#: Targeting keys in the order a page shows them, with the words a marketer reads.
TARGETING_LABELS = {"countries": "Countries", "age_min": "Minimum age", "age_max": "Maximum age", "genders": "Gender",
                    "languages": "Languages", "interests": "Interests"}

_AGE_RULE = f"must be a whole number from {AGE_MIN} to {AGE_MAX} ({AGE_MAX} means {AGE_MAX} and over)."


def _quoted_list(items) -> str:
    """["ZZ"] → "'ZZ'"; ["ZZ", "QQ", "XX"] → "'ZZ', 'QQ' and 'XX'"."""
    quoted = [f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _normalised(value: dict) -> dict:
    """Codes in their canonical case (countries upper, languages lower), blank interests dropped,
    repeats removed (first kept); anything not a list is left for the schema to report."""
    out = dict(value)
    for key, case in (("countries", str.upper), ("languages", str.lower), ("interests", None)):
        items = out.get(key)
        if isinstance(items, list):
            cleaned = [(case(i.strip()) if case else i.strip()) if isinstance(i, str) else i for i in items]
            out[key] = list(dict.fromkeys(i for i in cleaned if i != ""))
    return out


def _plain(key: str, err: jsonschema.ValidationError) -> str | None:
    """The schema error ``err`` under targeting key ``key`` in a marketer's words (None: reported
    by the code checks instead)."""
    if key == "countries":
        return {"type": "Give the countries as a list of two-letter codes, such as [\"US\", \"GB\"].",
                "minItems": "Choose at least one country.", "maxItems": "Choose at most 250 countries."
                }.get(str(err.validator), "Country codes are two letters, such as US or GB.") if err.validator != "pattern" else None
    if key in ("age_min", "age_max"):
        return f"{TARGETING_LABELS[key]} {_AGE_RULE}"
    if key == "genders":
        return "Gender is Women, Men, or neither for everyone."
    if key == "languages":
        return None if err.validator == "pattern" else \
            "Give the languages as a list of two-letter codes, such as [\"en\", \"es\"]."
    if key == "interests":
        return {"maxItems": "Choose at most 100 interests.", "maxLength": "Each interest can be at most 100 characters long."
                }.get(str(err.validator), "Give the interests as a list of words, such as [\"coffee\", \"espresso\"].")
    return f"{key}: {err.message}."


def clean_targeting(value) -> dict:
    """Validates an ad set's targeting and returns it with defaults filled in.

    Shape: ``{"countries": ["US", ...], "age_min": 13..65, "age_max": 13..65 (65 = 65+),
    "genders": ["female"|"male"] (empty = all), "languages": ["en", ...] (ISO 639-1),
    "interests": ["coffee", ...]}``. Country codes are upper-cased, language codes lower-cased and
    repeats dropped. Raises ValidationError listing EVERY problem at once, each as
    ``"<key>: <plain sentence>"`` (key one of :data:`TARGETING_LABELS`; the form puts the sentence on
    that field, the API shows the line as is), e.g. ``"age_min: Minimum age can't be above maximum
    age."`` and one line naming every unknown country; an unknown key has no prefix.
    """
    if not isinstance(value, dict):
        raise ValidationError("Targeting must be a JSON object such as {\"countries\": [\"US\"]}.", code="targeting")
    value = _normalised(value)
    problems: dict[str, list[str]] = {}

    def add(key: str, text: str | None) -> None:
        if text and text not in problems.setdefault(key, []):
            problems[key].append(text)

    for err in jsonschema.Draft202012Validator(TARGETING_SCHEMA).iter_errors(value):
        key = str(err.absolute_path[0]) if err.absolute_path else ""
        if err.validator == "required":
            add("countries", "Choose at least one country.")
        elif err.validator == "additionalProperties":
            extra = sorted(set(value) - set(TARGETING_LABELS))
            add("", f"{_quoted_list(extra)} {'is not a targeting option' if len(extra) == 1 else 'are not targeting options'}; "
                    "use countries, age_min, age_max, genders, languages and interests.")
        else:
            add(key, _plain(key, err))
    for key, known, what, example in (("countries", _country_codes, "country", "US, GB or DE"),
                                      ("languages", _language_codes, "language", "en, es or de")):
        items = value.get(key)
        bad = [i for i in items if isinstance(i, str) and i not in known()] if isinstance(items, list) else []
        if bad:
            add(key, f"{_quoted_list(bad)} {'is not a' if len(bad) == 1 else 'are not'} {what} code{'s' if len(bad) > 1 else ''} "
                     f"we know; use two-letter codes such as {example}.")
    cleaned = {**DEFAULT_TARGETING, **value}
    ages_ok = all(isinstance(cleaned[k], int) and not isinstance(cleaned[k], bool) and AGE_MIN <= cleaned[k] <= AGE_MAX
                  for k in ("age_min", "age_max"))
    if ages_ok and cleaned["age_min"] > cleaned["age_max"]:
        add("age_min", "Minimum age can't be above maximum age.")
    if problems:
        order = [*TARGETING_LABELS, ""]
        raise ValidationError([f"{key}: {text}" if key else text
                               for key in sorted(problems, key=order.index) for text in problems[key]], code="targeting")
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


def validate_creative_file(file) -> dict:
    """An uploaded creative must be a video: extension .mp4/.mov/.m4v/.webm, content whose magic
    bytes match that container, not empty and at most :func:`creative_max_bytes` bytes, and
    readable to its end by ffprobe/FFmpeg (:func:`videogen.uploads.check_video_file`). Returns the
    probe's facts {width, height (px), duration_seconds, content_type, metadata}."""
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

    return check_video_file(file, name=PurePath(name).name, ext=ext)
