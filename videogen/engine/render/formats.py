"""Output formats: frame sizes, safe zones, layout boxes and encoder settings per aspect ratio.

Sources for the numbers:

* Sizes and the 9:16 safe zone (keep text out of the top 14 % and the bottom 35 %) come from
  Meta's Reels/Stories ad specs, as summarised in ``shared/DESIGN.md`` §6.
* For 1:1, 4:5 and 16:9 we keep text inside the 90 % "title safe" area (5 % margins), the
  broadcast convention of SMPTE ST 2046-1, which also clears Feed and YouTube overlays.
* Encoding: H.264 High, yuv420p, 30 fps CFR, AAC-LC 48 kHz stereo ≥ 128 kb/s, faststart, no
  edit lists (DESIGN §6; Meta video ad specs; YouTube recommended upload encoding settings).
"""

from __future__ import annotations

from dataclasses import dataclass

FPS = 30
AUDIO_RATE = 48_000
AUDIO_BITRATE = "192k"
# x264 settings, chosen at equal visual quality (helper 8, issue 14 §3). Measured on the 15 s coffee
# ad's composed 9:16 frames (lossless FFV1 source, 2 cores, FFmpeg 9.0.2 from imageio-ffmpeg), SSIM
# against a slow CRF 16 reference encode / x264 CPU-s (decode of the source subtracted) / file size:
#   veryfast CRF 21 (previous)  SSIM 0.99479  ~9.5 CPU-s  2.63 MB (1.40 Mb/s)
#   superfast CRF 24 (chosen)   SSIM 0.99475  ~6.9 CPU-s  3.32 MB (1.77 Mb/s)
#   superfast CRF 21            SSIM 0.99608  ~6.4 CPU-s  4.58 MB
#   veryfast CRF 21 tune=animation / stillimage: SSIM 0.99464 / 0.99464, no CPU gain
# superfast CRF 24 keeps the SSIM (Δ 0.00004, inside the 0.002 allowance) for ~27 % less x264 CPU at
# ~26 % more bytes; every format of a job is encoded with it.
X264_PRESET = "superfast"
X264_CRF = 24
GOP_FRAMES = 2 * FPS  # a keyframe every 2 s: fast seeking in players and review UIs
TARGET_LUFS = -14.0  # integrated loudness, EBU R128 / ITU-R BS.1770 (DESIGN §6)
TARGET_TRUE_PEAK = -1.0  # dBTP ceiling (DESIGN §6)


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels: left, top, right, bottom (right/bottom exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def contains(self, other: "Box") -> bool:
        return (
            other.left >= self.left
            and other.top >= self.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def scaled(self, factor: float) -> "Box":
        return Box(*(int(round(v * factor)) for v in (self.left, self.top, self.right, self.bottom)))


@dataclass(frozen=True)
class FormatSpec:
    """One placement format.

    ``safe`` is where text may go; ``photo`` is where the product photo card sits in the card
    layout; ``headline`` holds the on-screen text; ``captions`` holds the burned-in captions
    (bottom-aligned). All boxes are in output pixels and lie inside ``safe`` except ``photo``
    (a picture, not text).
    """

    ratio: str
    width: int
    height: int
    safe: Box
    photo: Box
    headline: Box
    captions: Box
    logo_height: int
    layout: str  # "stack" (photo above text) or "split" (text left, photo right)

    @property
    def stem(self) -> str:
        """File stem, e.g. ``ad_9x16`` for 9:16."""
        return "ad_" + self.ratio.replace(":", "x")

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


def _title_safe(w: int, h: int) -> Box:
    return Box(round(w * 0.05), round(h * 0.05), w - round(w * 0.05), h - round(h * 0.05))


FORMATS: dict[str, FormatSpec] = {
    # Reels/Stories: top 14 % (269 px) and bottom 35 % (672 px) are covered by platform UI;
    # 6 % side margins clear the like/comment rail.
    "9:16": FormatSpec(
        ratio="9:16", width=1080, height=1920,
        safe=Box(65, 269, 1015, 1248),
        photo=Box(120, 372, 960, 905),
        headline=Box(65, 918, 1015, 1146),
        captions=Box(65, 1150, 1015, 1248),
        logo_height=72, layout="stack",
    ),
    "1:1": FormatSpec(
        ratio="1:1", width=1080, height=1080,
        safe=_title_safe(1080, 1080),
        photo=Box(150, 140, 930, 620),
        headline=Box(54, 636, 1026, 880),
        captions=Box(54, 890, 1026, 1026),
        logo_height=64, layout="stack",
    ),
    "4:5": FormatSpec(
        ratio="4:5", width=1080, height=1350,
        safe=_title_safe(1080, 1350),
        photo=Box(90, 160, 990, 780),
        headline=Box(54, 800, 1026, 1120),
        captions=Box(54, 1130, 1026, 1282),
        logo_height=68, layout="stack",
    ),
    "16:9": FormatSpec(
        ratio="16:9", width=1920, height=1080,
        safe=_title_safe(1920, 1080),
        photo=Box(1000, 140, 1824, 820),
        headline=Box(96, 200, 940, 820),
        captions=Box(96, 850, 1824, 1026),
        logo_height=64, layout="split",
    ),
}

RATIOS: tuple[str, ...] = tuple(FORMATS)


def get_format(ratio: str) -> FormatSpec:
    """Return the :class:`FormatSpec` for ``ratio`` ("9:16", "1:1", "4:5", "16:9").

    Raises ``KeyError`` with the accepted values for anything else.
    """
    try:
        return FORMATS[ratio]
    except KeyError:
        raise KeyError(f"unknown aspect ratio {ratio!r}; expected one of {', '.join(RATIOS)}") from None


# ---------------------------------------------------------------- layout families
#: The three photo layouts (``Scene.layout``): the photo filling the frame, the photo beside a
#: brand-colour text panel, and a photo card on a styled backdrop.
LAYOUTS: tuple[str, ...] = ("full_bleed", "split", "card")


@dataclass(frozen=True)
class LayoutBoxes:
    """Where a layout puts things in one format, output pixels.

    ``photo``: the picture (the whole frame for full-bleed; may reach into the platform-UI bands,
    pictures may go there); ``text``: the headline block, inside ``FormatSpec.safe`` and above the
    captions box; ``panel``: the brand-colour text panel of the split layout (None otherwise);
    ``anchor``: where the photo's subject (saliency centre) should land, as fractions of
    ``photo`` (clear of the text); ``scrim``: "bottom" (dark ramp up from the bottom, stacked
    formats), "left" (ramp from the left edge, 16:9) or "none"."""

    photo: Box
    text: Box
    panel: Box | None
    anchor: tuple[float, float]
    scrim: str


def _stack_boxes(w: int, h: int, safe: Box, captions: Box, card_photo: Box, card_text: Box, split_at: int,
                 bleed_text_top: int) -> dict[str, LayoutBoxes]:
    text_bottom = captions.top - 8
    # the subject lands between the top of the safe zone and the text
    bleed_anchor_y = (safe.top + (bleed_text_top - safe.top) * 0.45) / h
    split_anchor_y = min(0.62, (safe.top + (split_at - safe.top) * 0.5) / split_at)
    return {
        "full_bleed": LayoutBoxes(Box(0, 0, w, h), Box(safe.left, bleed_text_top, safe.right, text_bottom), None,
                                  (0.5, bleed_anchor_y), "bottom"),
        "split": LayoutBoxes(Box(0, 0, w, split_at), Box(safe.left, split_at + round(h * 0.022), safe.right, text_bottom),
                             Box(0, split_at, w, h), (0.5, split_anchor_y), "none"),
        "card": LayoutBoxes(card_photo, card_text, None, (0.5, 0.5), "none"),
    }


LAYOUT_BOXES: dict[str, dict[str, LayoutBoxes]] = {
    # 9:16: text between 14 % and 65 % of the height (Reels UI), the picture everywhere
    "9:16": {
        **_stack_boxes(1080, 1920, FORMATS["9:16"].safe, FORMATS["9:16"].captions,
                       Box(110, 340, 970, 890), Box(65, 905, 1015, 1142), split_at=880, bleed_text_top=820),
        # split: the brand panel on top holds the text (from the 14 % line down), the photo fills
        # the lower 62 % — the Reels UI band at the bottom covers picture, never text
        "split": LayoutBoxes(Box(0, 720, 1080, 1920), Box(65, 396, 1015, 700), Box(0, 0, 1080, 720), (0.5, 0.36), "none"),
        # card: the headline up top, a big card below reaching into the UI band (picture only)
        "card": LayoutBoxes(Box(80, 650, 1000, 1400), Box(65, 396, 1015, 630), None, (0.5, 0.5), "none"),
    },
    "1:1": _stack_boxes(1080, 1080, FORMATS["1:1"].safe, FORMATS["1:1"].captions,
                        FORMATS["1:1"].photo, FORMATS["1:1"].headline, split_at=590, bleed_text_top=560),
    "4:5": _stack_boxes(1080, 1350, FORMATS["4:5"].safe, FORMATS["4:5"].captions,
                        FORMATS["4:5"].photo, FORMATS["4:5"].headline, split_at=770, bleed_text_top=740),
    "16:9": {
        "full_bleed": LayoutBoxes(Box(0, 0, 1920, 1080), Box(96, 250, 1000, 830), None, (0.68, 0.5), "left"),
        "split": LayoutBoxes(Box(860, 0, 1920, 1080), Box(96, 170, 780, 830), Box(0, 0, 860, 1080), (0.5, 0.45), "none"),
        "card": LayoutBoxes(FORMATS["16:9"].photo, FORMATS["16:9"].headline, None, (0.5, 0.5), "none"),
    },
}


def layout_boxes(spec: FormatSpec, layout: str) -> LayoutBoxes:
    """The :class:`LayoutBoxes` of ``layout`` (one of :data:`LAYOUTS`) in ``spec``'s format.
    Raises KeyError naming the accepted layouts for anything else."""
    try:
        return LAYOUT_BOXES[spec.ratio][layout]
    except KeyError:
        raise KeyError(f"unknown layout {layout!r} for {spec.ratio}; expected one of {', '.join(LAYOUTS)}") from None
