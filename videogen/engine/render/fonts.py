"""Font lookup: fonts come from Debian packages, found at run time, never downloaded.

* Latin, Greek, Cyrillic, Arabic, Hebrew: DejaVu (``fonts-dejavu-core``)
* Chinese, Japanese, Korean: Noto Sans CJK (``fonts-noto-cjk``)
* Emoji: Noto Color Emoji (``fonts-noto-color-emoji``), a CBDT bitmap font that only renders at
  109 px; we render at that size and scale the bitmap.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from PIL import ImageFont


class FontNotFoundError(RuntimeError):
    """A font the renderer needs is not installed. The message names the Debian package."""


# role -> (candidate files, fontconfig pattern, Debian package)
_FONTS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "sans": (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",), "DejaVu Sans", "fonts-dejavu-core"),
    "sans-bold": (("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",), "DejaVu Sans:bold", "fonts-dejavu-core"),
    "sans-light": (
        ("/usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        "DejaVu Sans:light", "fonts-dejavu-core",
    ),
    "condensed-bold": (
        ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
        "DejaVu Sans Condensed:bold", "fonts-dejavu-core",
    ),
    "serif-bold": (("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",), "DejaVu Serif:bold", "fonts-dejavu-core"),
    "cjk": (("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",), "Noto Sans CJK SC", "fonts-noto-cjk"),
    "cjk-bold": (
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
        "Noto Sans CJK SC:bold", "fonts-noto-cjk",
    ),
    "emoji": (("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",), "Noto Color Emoji", "fonts-noto-color-emoji"),
}

EMOJI_NATIVE_SIZE = 109  # the only strike in NotoColorEmoji.ttf


@functools.cache
def font_path(role: str) -> Path:
    """Path of the font file for ``role`` (sans, sans-bold, sans-light, condensed-bold, serif-bold,
    cjk, cjk-bold, emoji).

    Raises :class:`FontNotFoundError` naming the Debian package to install.
    """
    candidates, pattern, package = _FONTS[role]
    for c in candidates:
        if Path(c).is_file():
            return Path(c)
    fc = shutil.which("fc-match")
    if fc:
        out = subprocess.run([fc, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10).stdout.strip()  # noqa: S603 - argument list (no shell), program resolved by path
        family = pattern.split(":")[0].split()[0].lower()
        if out and Path(out).is_file() and family in Path(out).name.lower():
            return Path(out)
    raise FontNotFoundError(f"font {pattern!r} ({role}) is not installed; install the Debian package {package}")


def resolve_brand_font(name_or_path: str) -> Path:
    """Resolve a brand kit font: an existing file path, or a family name known to fontconfig.

    Raises :class:`FontNotFoundError` when nothing matches.
    """
    p = Path(name_or_path)
    if p.suffix.lower() in {".ttf", ".otf", ".ttc"} and p.is_file():
        return p
    fc = shutil.which("fc-match")
    if fc:
        out = subprocess.run([fc, "-f", "%{file}\n%{family}", name_or_path], capture_output=True, text=True, timeout=10).stdout  # noqa: S603 - argument list (no shell), program resolved by path
        parts = out.split("\n", 1)
        if len(parts) == 2 and Path(parts[0]).is_file():
            wanted = name_or_path.split(":")[0].strip().lower()
            if wanted in parts[1].lower():
                return Path(parts[0])
    raise FontNotFoundError(f"brand font {name_or_path!r} is not installed (not a font file and unknown to fontconfig)")


@functools.lru_cache(maxsize=256)
def load_font(path: str, size: int, index: int = 0) -> ImageFont.FreeTypeFont:
    """Load a FreeType font at ``size`` pixels, using libraqm layout (bidi, shaping) when present."""
    layout = ImageFont.Layout.RAQM if ImageFont.core.HAVE_RAQM else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, index=index, layout_engine=layout)


def check_fonts() -> list[str]:
    """Return one message per missing required font (empty list when all are installed)."""
    problems = []
    for role in ("sans", "sans-bold", "cjk", "emoji"):
        try:
            font_path(role)
        except FontNotFoundError as exc:
            problems.append(str(exc))
    return problems
