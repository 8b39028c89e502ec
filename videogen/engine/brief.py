"""The ad brief: schema, validation and loading.

A brief is a JSON document (see ``examples/*.json``). :func:`load_brief` and
:func:`brief_from_dict` validate it and resolve image paths; every problem is reported as one
line naming the field, collected in :class:`BriefError`.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Annotated, Literal

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from videogen.engine.render.formats import RATIOS

# Image limits. Photos above MAX_IMAGE_PIXELS are refused as possible decompression bombs
# (Pillow's own default warning threshold is ~89 MP); longer sides are downscaled on load.
MAX_IMAGE_PIXELS = 50_000_000
MAX_IMAGE_SIDE = 20_000
WORKING_IMAGE_SIDE = 3840  # images are downscaled to this long side before rendering
MAX_IMAGES = 10
MAX_CLIPS = 10

RequestType = Literal["marketing_video", "explainer", "product_demo", "social_media", "story"]
Style = Literal["professional", "casual", "minimalist", "vibrant", "corporate"]
Priority = Literal["quality", "speed", "balanced"]
HexColor = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class BriefError(ValueError):
    """The brief is invalid. ``problems`` holds one human-readable line per problem,
    each starting with the field path (e.g. ``images[0]: file not found: shot.png``)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class BrandKit(BaseModel):
    """Brand colours (1–5 hex colours; first = primary, second = accent), optional logo file
    (PNG with alpha preferred), logo corner and optional font (family name or font file)."""

    model_config = ConfigDict(extra="forbid")
    colors: list[HexColor] = Field(default_factory=lambda: ["#1E3A8A", "#F59E0B"], min_length=1, max_length=5)
    logo: Path | None = None
    logo_position: Literal["top_left", "top_right", "bottom_left", "bottom_right"] = "top_right"
    font: str | None = Field(default=None, max_length=200)


class VoiceSettings(BaseModel):
    """Voiceover: TTS engine ("espeak-ng" or "none" for music only), voice id, speaking rate in
    words per minute (80–400)."""

    model_config = ConfigDict(extra="forbid")
    engine: Literal["espeak-ng", "none"] = "espeak-ng"
    voice: str = Field(default="en-us", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_+\-/]+$")
    rate_wpm: int = Field(default=165, ge=80, le=400)


MusicMood = Literal["auto", "upbeat", "warm", "calm", "confident", "serious", "none"]


class MusicSettings(BaseModel):
    """The music bed. ``mood``: one of the procedural moods of :mod:`videogen.engine.render.music`
    (``auto`` = the style's own, as before this setting existed; ``none`` = no music, the voice
    alone). ``tempo_bpm`` (60–160 beats per minute) overrides the mood's tempo; None keeps it."""

    model_config = ConfigDict(extra="forbid")
    mood: MusicMood = "auto"
    tempo_bpm: int | None = Field(default=None, ge=60, le=160)


class ClipSource(BaseModel):
    """An uploaded video clip a scene can show instead of a photo (``Visual(source=
    "uploaded_clip", clip_index=i)`` points at ``Brief.clips[i]``).

    ``path``: the clip file (any container/codec FFmpeg decodes; absolute after loading).
    ``start``: seconds into the clip where the scene's footage begins (≥ 0 and before the
    clip's end; checked by :func:`brief_from_dict`). ``cleanup``: optional FFmpeg clean-up, any
    of ``denoise`` (hqdn3d), ``color`` (eq contrast/saturation) and ``fps`` (conversion to
    30 fps, which the compositor always does since the output is 30 fps CFR); filters from
    :data:`videogen.engine.render.clips.CLEANUP_FILTERS`.
    """

    model_config = ConfigDict(extra="forbid")
    path: Path
    start: float = Field(default=0.0, ge=0, le=3600)
    cleanup: list[Literal["denoise", "color", "fps"]] = Field(default_factory=list, max_length=3)

    @field_validator("cleanup")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists a clean-up twice")
        return v


class Brief(BaseModel):
    """A validated ad brief. Durations in seconds; image paths absolute after loading.

    ``images``/``brand.logo`` hold paths; :func:`brief_from_dict` checks each is a readable image
    within the limits above. ``clips`` (optional) are uploaded video clips that scenes may use
    as their picture (see :class:`ClipSource`); each is probed with ffprobe on loading.
    """

    model_config = ConfigDict(extra="forbid")
    product_name: str = Field(min_length=1, max_length=80)
    text_prompt: str = Field(min_length=10, max_length=500)
    request_type: RequestType = "marketing_video"
    duration: float = Field(default=15, ge=6, le=60)
    style: Style = "vibrant"
    aspect_ratios: list[str] = Field(default_factory=lambda: list(RATIOS), min_length=1, max_length=4)
    call_to_action: str = Field(default="Learn more", min_length=1, max_length=40)
    landing_url: str | None = Field(default=None, max_length=200)
    brand: BrandKit = Field(default_factory=BrandKit)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    music: MusicSettings = Field(default_factory=MusicSettings)
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    priority: Priority = "balanced"
    images: list[Path] = Field(default_factory=list, max_length=MAX_IMAGES)
    clips: list[ClipSource] = Field(default_factory=list, max_length=MAX_CLIPS)
    script: list[Annotated[str, Field(min_length=1, max_length=300)]] | None = Field(default=None, max_length=12)
    source_text: str | None = Field(default=None, max_length=20_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("product_name", "text_prompt", "call_to_action")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("must not be blank")
        return v

    @field_validator("aspect_ratios")
    @classmethod
    def _known_ratios(cls, v: list[str]) -> list[str]:
        bad = [r for r in v if r not in RATIOS]
        if bad:
            raise ValueError(f"unknown aspect ratio {', '.join(map(repr, bad))}; expected some of {', '.join(RATIOS)}")
        if len(set(v)) != len(v):
            raise ValueError("lists a ratio twice")
        return v

    @field_validator("landing_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", v):
            raise ValueError("must be an http(s) URL such as https://example.com/offer")
        return v

    @model_validator(mode="after")
    def _enough_to_say(self) -> "Brief":
        return self

    @property
    def display_url(self) -> str:
        """The landing URL as shown on the end card: no scheme, no trailing slash."""
        if not self.landing_url:
            return ""
        return re.sub(r"^https?://(www\.)?", "", self.landing_url).rstrip("/")

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")


MAX_ID = 2**63 - 1

# espeak-ng voice variants a voice id may add after "+" (e.g. "en-us+f3"): female 1–5, male 1–7.
ESPEAK_VARIANTS = frozenset({f"f{i}" for i in range(1, 6)} | {f"m{i}" for i in range(1, 8)})


def is_asset_id(value) -> bool:
    """True for an id as a brief names uploaded assets (the Studio's ``images``, ``brand.logo``): a
    JSON whole number 1 … 2**63-1. ``true``/``false`` (Python bools are ints), ``1.0`` and ``"1"``
    are not ids."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "brief"


def _pydantic_problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        msg = err["msg"]
        msg = msg.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "literal_error":
            msg = msg.replace("Input should be", "expected")
        elif err["type"] == "string_too_long":
            msg = f"{msg} (got {len(err.get('input') or '')})"
        problems.append(f"{_loc(err['loc'])}: {msg}")
    return problems


def check_image(path: Path, field: str) -> list[str]:
    """Check that ``path`` is a readable raster image within the size limits.

    Returns problem lines (empty when fine). Reads only the header and then verifies the data,
    so a decompression bomb is refused before it is decoded.
    """
    if not path.exists():
        return [f"{field}: file not found: {path}"]
    if not path.is_file():
        return [f"{field}: not a file: {path}"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_IMAGE_PIXELS:
                    return [
                        f"{field}: image is {w}×{h} = {w * h:,} pixels, over the {MAX_IMAGE_PIXELS:,}-pixel limit "
                        f"(refused as a possible decompression bomb): {path.name}"
                    ]
                if max(w, h) > MAX_IMAGE_SIDE:
                    return [f"{field}: image side {max(w, h):,} px is over the {MAX_IMAGE_SIDE:,} px limit: {path.name}"]
                im.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return [f"{field}: refused as a possible decompression bomb ({exc}): {path.name}"]
    except UnidentifiedImageError:
        return [f"{field}: not a readable image (PNG, JPEG or WebP expected): {path.name}"]
    except PermissionError:
        return [f"{field}: permission denied reading {path}"]
    except (OSError, SyntaxError, ValueError) as exc:
        return [f"{field}: image data is corrupt or truncated ({exc}): {path.name}"]
    return []


def check_clip(path: Path, start: float, field: str) -> list[str]:
    """Check that ``path`` is a video clip ffprobe can read and that ``start`` (s) lies before its
    end. Returns problem lines naming ``field`` (e.g. ``clips[0].path: ...``, ``clips[0].start: ...``)."""
    from videogen.engine.render.clips import ClipError, probe_clip

    try:
        info = probe_clip(path)
    except ClipError as exc:
        return [f"{field}.path: {exc}"]
    except FileNotFoundError as exc:  # no ffprobe binary
        return [f"{field}.path: cannot probe the clip ({exc})"]
    if start >= info.duration:
        return [f"{field}.start: {start:g} s is at or past the end of {path.name} ({info.duration:g} s long)"]
    return []


def load_image(path: Path) -> Image.Image:
    """Open a checked image as RGBA (EXIF orientation applied), long side ≤ WORKING_IMAGE_SIDE px."""
    from PIL import ImageOps

    with Image.open(path) as opened:
        opened.draft("RGB", (WORKING_IMAGE_SIDE, WORKING_IMAGE_SIDE))  # cheap JPEG downscale on decode
        im: Image.Image = ImageOps.exif_transpose(opened) or opened
        if im.mode not in ("RGBA", "RGB"):
            im = im.convert("RGBA" if ("A" in im.getbands() or "transparency" in im.info) else "RGB")
        if max(im.size) > WORKING_IMAGE_SIDE:
            im.thumbnail((WORKING_IMAGE_SIDE, WORKING_IMAGE_SIDE), Image.Resampling.LANCZOS)
        return im.convert("RGBA") if im.mode != "RGBA" else im.copy()


def brief_from_dict(
    data: dict, base_dir: Path | str | None = None, *, images: list[Path] | None = None
) -> Brief:
    """Validate brief ``data`` (parsed JSON) and resolve its file paths.

    Relative ``images``, ``clips[].path`` and ``brand.logo`` paths are resolved against
    ``base_dir`` (the brief file's folder; the current directory when None). ``images`` (e.g. the
    CLI's ``--image``) replaces the brief's images; those paths are taken as given. Every image
    is checked with :func:`check_image`, every clip with :func:`check_clip`; the voice must be
    installed when the engine is espeak-ng.

    Raises :class:`BriefError` listing every problem, one line each.
    """
    if not isinstance(data, dict):
        raise BriefError(["brief: expected a JSON object"])
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    data = dict(data)
    if images is not None:
        data["images"] = [str(Path(p).resolve()) for p in images]
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        # report file problems too, so the marketer fixes everything in one go
        problems: list[str] = _pydantic_problems(exc)
        bad_fields = {p.split(":")[0] for p in problems}
        raw_images: list = data["images"] if isinstance(data.get("images"), list) else []
        for i, p in enumerate(raw_images):
            if isinstance(p, str) and f"images[{i}]" not in bad_fields:
                full = Path(p) if Path(p).is_absolute() else base / p
                problems += check_image(full, f"images[{i}]")
        logo = (data.get("brand") or {}).get("logo") if isinstance(data.get("brand"), dict) else None
        if isinstance(logo, str) and "brand.logo" not in bad_fields:
            problems += check_image(Path(logo) if Path(logo).is_absolute() else base / logo, "brand.logo")
        raw_clips: list = data["clips"] if isinstance(data.get("clips"), list) else []
        for i, c in enumerate(raw_clips):
            p = c.get("path") if isinstance(c, dict) else None
            if isinstance(p, str) and not any(f.startswith(f"clips[{i}]") for f in bad_fields):
                start = c.get("start", 0)
                problems += check_clip(Path(p) if Path(p).is_absolute() else base / p,
                                       float(start) if isinstance(start, (int, float)) else 0.0, f"clips[{i}]")
        raise BriefError(problems) from None

    problems = []
    resolved = []
    for i, p in enumerate(brief.images):
        full = p if p.is_absolute() else (base / p)
        resolved.append(full.resolve())
        problems += check_image(full, f"images[{i}]")
    brief.images = resolved
    for i, clip in enumerate(brief.clips):
        full = clip.path if clip.path.is_absolute() else base / clip.path
        clip.path = full.resolve()
        problems += check_clip(clip.path, clip.start, f"clips[{i}]")
    if brief.brand.logo is not None:
        full = brief.brand.logo if brief.brand.logo.is_absolute() else base / brief.brand.logo
        brief.brand.logo = full.resolve()
        problems += check_image(full, "brand.logo")
    if brief.brand.font:
        from videogen.engine.render.fonts import FontNotFoundError, resolve_brand_font

        font = brief.brand.font
        if not Path(font).is_absolute() and (base / font).is_file():
            font = str((base / font).resolve())
        try:
            brief.brand.font = str(resolve_brand_font(font))
        except FontNotFoundError as exc:
            problems.append(f"brand.font: {exc}")
    if brief.music.mood == "none" and brief.voice.engine == "none":
        problems.append("music.mood: 'none' with no voiceover (voice.engine 'none') would make a silent ad; pick a mood or a voice")
    if brief.music.mood == "none" and brief.music.tempo_bpm is not None:
        problems.append("music.tempo_bpm: a tempo needs music, but music.mood is 'none'")
    if brief.voice.engine == "espeak-ng":
        from videogen.engine.render.tts import TTSUnavailable, list_voices

        try:
            ids = {v.id for v in list_voices()}
            lang, plus, variant = brief.voice.voice.partition("+")  # "en-us+f3": a language voice with a variant
            if (lang not in ids) or (plus and variant not in ESPEAK_VARIANTS):
                problems.append(
                    f"voice.voice: {brief.voice.voice!r} is not an installed espeak-ng voice (e.g. en-us, en-gb, de, fr, es, ja)"
                )
        except TTSUnavailable as exc:
            problems.append(f"voice.engine: {exc}")
    if problems:
        raise BriefError(problems)
    return brief


def load_brief(path: Path | str, *, images: list[Path] | None = None) -> Brief:
    """Read a brief JSON file and validate it (see :func:`brief_from_dict`).

    Raises :class:`BriefError` (file missing, not JSON, or invalid fields).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BriefError([f"brief: file not found: {path}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BriefError([f"brief: cannot read {path}: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BriefError([f"brief: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"]) from None
    return brief_from_dict(data, path.parent, images=images)
