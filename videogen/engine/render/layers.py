"""Pre-rendered scene layers (Pillow): the background *plate* of each scene, its optional
*foreground* (the split layout's text panel, the card layout's photo card), its *text layer*, and
the logo. The compositor animates these in FFmpeg (the plate pans, the card floats, the text
moves in); the storyboard composites them once.

Layouts (``Scene.layout``, boxes in :func:`videogen.engine.render.formats.layout_boxes`):
``full_bleed`` — the photo fills the frame, cropped so its subject (saliency centre, OpenCV's
spectral-residual + fine-grained static saliency, no model weights) lands clear of the text, with a
dark scrim under the text; ``split`` — the photo on one part of the frame and a brand-colour text
panel on the other; ``card`` — a photo card on the style's backdrop. Scenes without a photo use the
same three names for their backdrop: a full brand gradient, a two-tone split, a text card.

Every function takes a :class:`Canvas` so the storyboard can render the same design at thumbnail
size. All coordinates are pixels in the output frame (after scaling).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter

from videogen.engine.planner.schema import Scene
from videogen.engine.render.formats import Box, FormatSpec, LayoutBoxes, layout_boxes
from videogen.engine.render.styles import Look, assign_layouts, luminance, on_color, shade
from videogen.engine.render.text import FontSet, TextBlock, draw_block, fit_text

FULL_BLEED_MAX_UPSCALE = 1.6  # above this a photo is shown as a card, not stretched to fill


@dataclass
class TextLayer:
    """An RGBA image to overlay at (``x``, ``y``); ``ink`` lists drawn text boxes in frame px."""

    image: Image.Image
    x: int
    y: int
    ink: list[Box] = field(default_factory=list)
    split: int = 0  # text layers: the (even) row where the second line group starts; 0 = one block


@dataclass(frozen=True)
class Canvas:
    """A :class:`FormatSpec` at a given scale (1.0 for video, < 1 for storyboard thumbnails)."""

    spec: FormatSpec
    scale: float

    @property
    def resample(self):
        """Lanczos for video layers; bilinear for (fast) storyboard thumbnails."""
        return Image.Resampling.LANCZOS if self.scale >= 1 else Image.Resampling.BILINEAR

    @property
    def width(self) -> int:
        return int(round(self.spec.width * self.scale))

    @property
    def height(self) -> int:
        return int(round(self.spec.height * self.scale))

    def box(self, name: str) -> Box:
        return getattr(self.spec, name).scaled(self.scale)

    def px(self, v: float) -> int:
        return max(1, int(round(v * self.scale)))


# ---------------------------------------------------------------- photos

@dataclass(frozen=True)
class Subject:
    """Where a photo's subject is, as fractions of the image: ``center`` (x, y) and ``box``
    (left, top, right, bottom) holding the most salient 60 % of the saliency mass."""

    center: tuple[float, float]
    box: tuple[float, float, float, float]


_SUBJECT_CACHE: dict[tuple[tuple[int, int], tuple[int, int], bytes], Subject] = {}


def find_subject(img: Image.Image) -> Subject:
    """The subject of ``img`` by static saliency (OpenCV contrib ``cv2.saliency``: the mean of
    the spectral-residual map, Hou & Zhang, CVPR 2007, and the fine-grained map, Montabone & Soto
    2010 — neither needs model weights), times a centre prior (Gaussian, σ = 0.35 of the side:
    product photos centre their subject), on a ≤ 256-px copy. Falls back to the image centre on a
    flat image. Cached per image content (cheap: a few ms)."""
    import cv2

    small = img.convert("RGB")
    small.thumbnail((256, 256))
    key = (img.size, small.size, hashlib.blake2b(small.tobytes(), digest_size=16).digest())
    hit = _SUBJECT_CACHE.get(key)
    if hit is not None:
        return hit
    a = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2BGR)
    maps = []
    sal_mod: Any = getattr(cv2, "saliency")  # noqa: B009 - opencv-contrib; the bundled stubs lack it
    for make in (sal_mod.StaticSaliencySpectralResidual_create, sal_mod.StaticSaliencyFineGrained_create):
        ok, m = make().computeSaliency(a)
        if ok:
            m = cv2.GaussianBlur(np.asarray(m, np.float32), (0, 0), max(1.0, a.shape[1] / 64))
            if m.max() > 0:
                maps.append(m / m.max())
    h, w = a.shape[:2]
    if not maps:
        return Subject((0.5, 0.5), (0.25, 0.25, 0.75, 0.75))
    sal = sum(maps) / len(maps)
    ys, xs = np.mgrid[0:h, 0:w]
    prior = np.exp(-(((xs / max(1, w - 1) - 0.5) ** 2) + ((ys / max(1, h - 1) - 0.5) ** 2)) / (2 * 0.35 ** 2))
    sal = sal * prior
    thr = np.quantile(sal, 0.85)
    wts = np.where(sal >= thr, sal, 0)
    total = float(wts.sum())
    if total <= 0:
        return Subject((0.5, 0.5), (0.25, 0.25, 0.75, 0.75))
    cx = float((wts * xs).sum() / total / max(1, w - 1))
    cy = float((wts * ys).sum() / total / max(1, h - 1))

    def span(profile: np.ndarray) -> tuple[float, float]:
        c = np.cumsum(profile) / profile.sum()
        return float(np.searchsorted(c, 0.2) / len(c)), float((np.searchsorted(c, 0.8) + 1) / len(c))

    x0, x1 = span(wts.sum(axis=0))
    y0, y1 = span(wts.sum(axis=1))
    subject = Subject((cx, cy), (x0, y0, x1, y1))
    if len(_SUBJECT_CACHE) > 64:
        _SUBJECT_CACHE.clear()
    _SUBJECT_CACHE[key] = subject
    return subject


def subject_center(img: Image.Image) -> tuple[float, float]:
    """The subject's centre (x, y) as fractions of ``img`` (see :func:`find_subject`)."""
    return find_subject(img).center


def crop_window(
    size: tuple[int, int], width: int, height: int, center: tuple[float, float], anchor: tuple[float, float] = (0.5, 0.5),
    zoom: float = 1.0,
) -> tuple[float, float, float, float]:
    """The (left, top, right, bottom) window in an image of ``size`` px, with the aspect of
    ``width``×``height``, as large as fits divided by ``zoom`` (≥ 1), placed so the point
    ``center`` (fractions of the image) lands at ``anchor`` (fractions of the window) as nearly
    as the image's edges allow."""
    iw, ih = size
    target = width / height
    cw: float
    ch: float
    if iw / ih > target:
        cw, ch = ih * target, ih
    else:
        cw, ch = iw, iw / target
    cw, ch = cw / max(1.0, zoom), ch / max(1.0, zoom)
    x0 = min(max(0.0, center[0] * iw - anchor[0] * cw), iw - cw)
    y0 = min(max(0.0, center[1] * ih - anchor[1] * ch), ih - ch)
    return (x0, y0, x0 + cw, y0 + ch)


MAX_SUBJECT_ZOOM = 1.2  # how much a crop may tighten to bring the subject to its anchor


def subject_window(
    size: tuple[int, int], width: int, height: int, center: tuple[float, float], anchor: tuple[float, float],
    max_zoom: float = MAX_SUBJECT_ZOOM,
) -> tuple[float, float, float, float]:
    """:func:`crop_window` tightened (zoom 1.0 → ``max_zoom`` in 0.1 steps) until the subject
    ``center`` lands within 6 % of ``anchor`` — a photo with no slack along the needed axis is
    cropped a little tighter so its subject clears the text; the least zoom that works, else the
    one that comes closest."""
    best: tuple[float, tuple[float, float, float, float]] | None = None
    z = 1.0
    while z <= max_zoom + 1e-9:
        # a tightened crop stays centred on the image along the axis the anchor leaves free
        # (≤ 1.2× keeps anything between 8 % and 92 % of that side in frame)
        c = center if z == 1.0 else (center[0] if abs(anchor[0] - 0.5) > 0.01 else 0.5,
                                     center[1] if abs(anchor[1] - 0.5) > 0.01 else 0.5)
        win = crop_window(size, width, height, c, anchor, zoom=z)
        fx = (center[0] * size[0] - win[0]) / (win[2] - win[0])
        fy = (center[1] * size[1] - win[1]) / (win[3] - win[1])
        # only the axes the anchor asks for (an anchor of 0.5 on an axis means "centred, any is fine")
        err = max(abs(fx - anchor[0]) if abs(anchor[0] - 0.5) > 0.01 else 0.0,
                  abs(fy - anchor[1]) if abs(anchor[1] - 0.5) > 0.01 else 0.0)
        if err < 0.06:
            return win
        if best is None or err < best[0] - 0.02:
            best = (err, win)
        z += 0.1
    return best[1] if best else crop_window(size, width, height, center, anchor)


def crop_to_fill(
    img: Image.Image, width: int, height: int, center: tuple[float, float], resample=Image.Resampling.LANCZOS,
    anchor: tuple[float, float] = (0.5, 0.5),
) -> Image.Image:
    """Crop ``img`` to the aspect of ``width``×``height`` with the point ``center`` (fractions)
    at ``anchor`` of the result (see :func:`crop_window`), resized to exactly that size."""
    return img.resize((width, height), resample, box=crop_window(img.size, width, height, center, anchor))


def grade(img: Image.Image, look: Look) -> Image.Image:
    """Colour grade a photo for the style: saturation, contrast, warmth (RGB in, RGB out)."""
    sat, con, warm = look.grade
    out = ImageEnhance.Color(img.convert("RGB")).enhance(sat)
    out = ImageEnhance.Contrast(out).enhance(con)
    if warm:
        r, g, b = out.split()
        r = r.point(lambda v: min(255, int(v * (1 + 0.08 * warm))))
        b = b.point(lambda v: min(255, int(v * (1 - 0.08 * warm))))
        out = Image.merge("RGB", (r, g, b))
    return out


def uses_full_bleed(photo: Image.Image, spec: FormatSpec) -> bool:
    """Full-bleed when filling the frame needs at most ``FULL_BLEED_MAX_UPSCALE``× upscaling."""
    return max(spec.width / photo.width, spec.height / photo.height) <= FULL_BLEED_MAX_UPSCALE


# ---------------------------------------------------------------- backgrounds

def gradient(width: int, height: int, top: tuple, bottom: tuple, diagonal: bool = False) -> Image.Image:
    """Linear gradient (vertical, or top-left → bottom-right), RGB. Computed on a 1/8-size grid
    and upscaled bilinearly (a smooth ramp loses nothing)."""
    gw, gh = (max(2, width // 8), max(2, height // 8)) if diagonal else (1, max(2, height // 4))
    if diagonal:
        t = np.linspace(0, 1, gw)[None, :] * 0.4 + np.linspace(0, 1, gh)[:, None] * 0.6
    else:
        t = np.linspace(0, 1, gh)[:, None] * np.ones((1, gw))
    t = t[..., None]
    arr = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    return Image.fromarray(arr.round().astype(np.uint8)).resize((width, height), Image.Resampling.BILINEAR)


def _shapes(plate: Image.Image, look: Look, cv: Canvas, rng: random.Random, strong: bool) -> None:
    w, h = plate.size
    over = Image.new("RGBA", plate.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    if look.shapes == "circles":
        for k in range(3):
            r = int(min(w, h) * rng.uniform(0.25, 0.5))
            cx, cy = int(w * rng.choice([0.0, 1.0]) + rng.uniform(-0.1, 0.1) * w), int(h * rng.uniform(0.05, 0.95))
            a = 70 if strong else 45
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=look.accent + (a - k * 12,))
    elif look.shapes == "blobs":
        for _ in range(3):
            rw, rh = int(w * rng.uniform(0.3, 0.6)), int(h * rng.uniform(0.15, 0.35))
            cx, cy = int(w * rng.uniform(0, 1)), int(h * rng.uniform(0, 1))
            d.ellipse((cx - rw, cy - rh, cx + rw, cy + rh), fill=shade(look.accent, 0.75) + (110,))
        over = over.filter(ImageFilter.GaussianBlur(cv.px(30)))
    elif look.shapes == "bars":
        y = cv.box("safe").top
        d.rectangle((0, y - cv.px(8), int(w * 0.35), y - cv.px(2)), fill=look.accent + (255,))
        d.rectangle((int(w * 0.65), h - y + cv.px(2), w, h - y + cv.px(8)), fill=look.accent + (160,))
    elif look.shapes == "band":
        d.rectangle((0, 0, cv.px(18), h), fill=look.accent + (255,))
        d.polygon([(w, int(h * 0.78)), (w, h), (int(w * 0.55), h)], fill=look.primary + (200,))
    plate.paste(over, (0, 0), over) if plate.mode == "RGB" else plate.alpha_composite(over)


def _backdrop(look: Look, cv: Canvas, photo: Image.Image | None, rng: random.Random, strong: bool,
              role: str = "") -> Image.Image:
    w, h = cv.width, cv.height
    base = gradient(w, h, look.bg_top, look.bg_bottom, diagonal=look.style == "vibrant")
    if look.style == "vibrant" and strong and role != "end_card":
        base = gradient(w, h, shade(look.accent, 0.5, 1.2), shade(look.primary, 0.3, 1.3), diagonal=True)
    elif look.style == "vibrant" and role == "end_card":
        base = gradient(w, h, shade(look.primary, 0.34, 1.3), shade(look.primary, 0.12, 1.2), diagonal=True)
    elif role == "offer" and look.style in ("corporate", "professional"):
        base = gradient(w, h, shade(look.primary, 0.3, 0.9), shade(look.accent, 0.22, 0.9), diagonal=True)
    if look.backdrop == "blurred_photo" and photo is not None and not strong:
        small = crop_to_fill(photo, max(8, w // 12), max(8, h // 12), (0.5, 0.5)).filter(ImageFilter.GaussianBlur(3))
        blurred = small.resize((w, h), Image.Resampling.BILINEAR)
        base = Image.blend(blurred, base, 0.62)
    _shapes(base, look, cv, rng, strong)
    return base


def _card(photo: Image.Image, look: Look, box: Box, cv: Canvas, center) -> tuple[Image.Image, int, int]:
    """The photo as a card fitted in ``box``: rounded corners, border, shadow, tilt."""
    box_aspect = box.width / box.height
    aspect = min(max(photo.width / photo.height, box_aspect * 0.7), box_aspect * 1.4)
    cw, ch = (box.width, int(box.width / aspect)) if aspect >= box_aspect else (int(box.height * aspect), box.height)
    pad = cv.px(40)
    cw, ch = cw - (pad if look.card_tilt else 0), ch - (pad if look.card_tilt else 0)
    pic = crop_to_fill(photo, cw, ch, center, cv.resample).convert("RGBA")
    bw = cv.px(look.card_border) if look.card_border else 0
    border_col = (255, 255, 255, 255) if look.style in ("vibrant", "casual") else look.accent + (255,)
    card = Image.new("RGBA", (cw + 2 * bw, ch + 2 * bw), border_col if bw else (0, 0, 0, 0))
    card.paste(pic, (bw, bw))
    radius = cv.px(look.card_radius) if look.card_radius else 0
    if radius:
        mask = Image.new("L", card.size, 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, card.width - 1, card.height - 1), radius=radius, fill=255)
        card.putalpha(mask)
    if look.card_tilt:
        card = card.rotate(look.card_tilt, resample=Image.Resampling.BICUBIC if cv.scale >= 1 else Image.Resampling.BILINEAR, expand=True)
    shadow_pad = cv.px(40)
    out = Image.new("RGBA", (card.width + 2 * shadow_pad, card.height + 2 * shadow_pad), (0, 0, 0, 0))
    if look.style != "minimalist":
        sh = Image.new("RGBA", out.size, (0, 0, 0, 0))
        alpha = card.getchannel("A").point(lambda v: v * 0.45)
        sh.paste((0, 0, 0, 255), (shadow_pad, shadow_pad + cv.px(14)), alpha)
        out = sh.filter(ImageFilter.GaussianBlur(cv.px(18)))
    out.alpha_composite(card, (shadow_pad, shadow_pad))
    x = box.left + (box.width - card.width) // 2 - shadow_pad
    y = box.top + (box.height - card.height) // 2 - shadow_pad
    return out, x, y


@dataclass
class Picture:
    """A scene's picture in one format: ``plate`` (RGB, full frame; the compositor pans or zooms
    it), ``fg`` (an RGBA layer laid over the plate — the split layout's text panel, the card
    layout's photo card — or None), the resolved ``layout``, ``focus`` (the subject's centre as
    fractions of the frame, where Ken Burns zooms and pans end; the frame centre without a photo)
    and ``fg_drift`` (px the foreground floats up over the scene: parallax against the plate)."""

    plate: Image.Image
    fg: TextLayer | None
    layout: str
    focus: tuple[float, float] = (0.5, 0.5)
    fg_drift: int = 0

    def flat(self) -> Image.Image:
        """Plate and foreground as one RGB image (the keyframe's picture)."""
        if self.fg is None:
            return self.plate
        out = self.plate.convert("RGBA")
        out.alpha_composite(self.fg.image, (max(0, self.fg.x), max(0, self.fg.y)))
        return out.convert("RGB")


def scene_layout(scene: Scene, full_bleed: bool | None = None) -> str:
    """The layout a scene is drawn with: a clip scene is ``full_bleed``; otherwise
    ``scene.layout`` when set, else (older plans, the renderer choosing) ``full_bleed`` when the
    photo is sharp enough (``full_bleed`` hint) or ``card``. Use :func:`plan_layouts` to fill a
    whole plan so consecutive scenes differ."""
    if scene.visual.source == "uploaded_clip":
        return "full_bleed"
    if scene.layout:
        return scene.layout
    if scene.role == "end_card":
        return "card"
    return "full_bleed" if full_bleed else "card"


def plan_layouts(scenes: list[Scene], look: Look) -> list[str]:
    """Every scene's layout (see :func:`videogen.engine.render.styles.assign_layouts`): given
    ones kept, the rest chosen from ``look.layouts`` so consecutive scenes differ."""
    return assign_layouts([s.role for s in scenes], [s.visual.source for s in scenes], [s.layout for s in scenes],
                          look.layouts)


def _boxes(cv: Canvas, layout: str) -> LayoutBoxes:
    lb = layout_boxes(cv.spec, layout)
    f = cv.scale
    return LayoutBoxes(lb.photo.scaled(f), lb.text.scaled(f), lb.panel.scaled(f) if lb.panel else None, lb.anchor, lb.scrim)


def _focus_in(window: tuple[float, float, float, float], center: tuple[float, float], size: tuple[int, int],
              box: Box, cv: Canvas) -> tuple[float, float]:
    """The subject centre (image fractions) mapped through a crop ``window`` drawn into ``box``,
    as fractions of the frame."""
    x0, y0, x1, y1 = window
    fx = (center[0] * size[0] - x0) / max(1e-6, x1 - x0)
    fy = (center[1] * size[1] - y0) / max(1e-6, y1 - y0)
    return (min(1.0, max(0.0, (box.left + fx * box.width) / cv.width)), min(1.0, max(0.0, (box.top + fy * box.height) / cv.height)))


def render_picture(
    scene: Scene, index: int, look: Look, cv: Canvas, photo: Image.Image | None, *, logo: Image.Image | None,
    product_name: str, seed: int, layout: str | None = None, full_bleed: bool | None = None,
) -> Picture:
    """The scene's picture (see :class:`Picture`) in ``layout`` (default :func:`scene_layout`):

    * photo, ``full_bleed``: the photo cropped to the frame with its subject at the layout's
      anchor (above the text in stacked formats, right of it in 16:9) and the scrim baked in;
    * photo, ``split``: the photo in the layout's photo box (drawn a little past it, so a pan
      never shows an edge) and the brand-colour panel as the foreground, an accent rule on the seam;
    * photo, ``card``: the style's backdrop as the plate, the photo card as the foreground;
    * no photo: a brand backdrop (``full_bleed``: the strong gradient, ``split``: two-tone,
      ``card``: a panel behind the text); the end card carries the big logo (or a wordmark).
    """
    rng = random.Random(f"{seed}:{index}:{scene.role}")  # noqa: S311 - seeded for reproducible output, not for security
    w, h = cv.width, cv.height
    use_photo = photo if scene.visual.source != "solid_brand" else None
    layout = layout or scene_layout(scene, full_bleed if full_bleed is not None else
                                    (use_photo is not None and uses_full_bleed(use_photo, cv.spec)))
    lb = _boxes(cv, layout)
    if use_photo is not None and layout == "full_bleed":
        subj = find_subject(use_photo)
        win = subject_window(use_photo.size, w, h, subj.center, lb.anchor)
        plate = use_photo.resize((w, h), cv.resample, box=win)
        _sharpen(plate, use_photo.size, win, w, cv)
        sc = scrim_layer(cv, layout="full_bleed")
        plate.paste(sc.image, (sc.x, sc.y), sc.image)
        return Picture(_ensure_rgb(plate), None, layout, _focus_in(win, subj.center, use_photo.size, Box(0, 0, w, h), cv))
    if use_photo is not None and layout == "split":
        subj = find_subject(use_photo)
        plate = Image.new("RGB", (w, h), look.panel)
        pb = lb.photo
        m = int(round(max(w, h) * (look.kb_travel + 0.04)))  # drawn past the seam: room for the pan
        ext = Box(pb.left - (m if pb.left > 0 else 0), pb.top - (m if pb.top > 0 else 0), pb.right,
                  pb.bottom + (m if pb.bottom < h else 0))
        win = crop_window(use_photo.size, ext.width, ext.height, subj.center, lb.anchor)
        pic = use_photo.resize((ext.width, ext.height), cv.resample, box=win)
        _sharpen(pic, use_photo.size, win, ext.width, cv)
        plate.paste(pic, (ext.left, ext.top))
        panel = _split_panel(look, cv, lb)
        return Picture(plate, panel, layout, _focus_in(win, subj.center, use_photo.size, ext, cv))
    strong = scene.role in ("offer", "end_card") or (use_photo is None and layout == "full_bleed")
    plate = _backdrop(look, cv, photo, rng, strong=strong, role=scene.role)
    if use_photo is None and layout == "split":
        _two_tone(plate, look, cv)
    if use_photo is not None:
        subj = find_subject(use_photo)
        card, x, y = _card(use_photo, look, lb.photo, cv, subj.center)
        cx = (x + card.width / 2) / w
        cy = (y + card.height / 2) / h
        return Picture(plate, TextLayer(card, x, y, []), layout, (cx, cy), cv.px(look.card_drift))
    if scene.role == "end_card":
        area = _end_logo_box(cv)
        if logo is not None:
            lg = logo.copy()
            lg.thumbnail((area.width, area.height), Image.Resampling.LANCZOS)
            lg = _readable_logo(lg, look, cv, look.bg_top)
            plate.paste(lg, (area.left + (area.width - lg.width) // 2, area.top + (area.height - lg.height) // 2), lg)
        else:
            fonts = FontSet.for_role(look.headline_font)
            block = fit_text(product_name, fonts, area.width, area.height, max_size=cv.px(110), min_size=cv.px(40), max_lines=2)
            layer = Image.new("RGBA", plate.size, (0, 0, 0, 0))
            draw_block(layer, block, area.left, area.top + (area.height - block.height) // 2, area.width,
                       fill=on_color(look.bg_top) + (255,))
            plate.paste(layer, (0, 0), layer)
    elif layout == "card":
        tb = text_box(scene, cv, False)
        over = Image.new("RGBA", plate.size, (0, 0, 0, 0))
        pad = cv.px(36)
        ImageDraw.Draw(over).rounded_rectangle((tb.left - pad // 2, tb.top - pad, tb.right + pad // 2, tb.bottom + pad // 3),
                                               radius=cv.px(max(8, look.card_radius)), fill=shade(look.primary, 0.14, 0.9) + (150,))
        plate.paste(over, (0, 0), over)
    return Picture(plate, None, layout)


def _ensure_rgb(img: Image.Image) -> Image.Image:
    return img if img.mode == "RGB" else img.convert("RGB")


def _sharpen(img: Image.Image, src_size: tuple[int, int], win: tuple[float, float, float, float], out_w: int, cv: Canvas) -> None:
    """An enlarged photo (more than 1.5×) gets a light unsharp mask, in place, so edges stay crisp."""
    if cv.scale < 1:
        return
    up = out_w / max(1e-6, win[2] - win[0])
    if up > 1.5:
        img.paste(img.filter(ImageFilter.UnsharpMask(radius=max(1, int(up)), percent=60, threshold=2)))


def _split_panel(look: Look, cv: Canvas, lb: LayoutBoxes) -> TextLayer:
    """The split layout's text panel: ``look.panel`` filled, an accent rule along the seam."""
    pb = lb.panel or Box(0, 0, cv.width, cv.height)
    img = Image.new("RGBA", (pb.width, pb.height), look.panel + (255,))
    d = ImageDraw.Draw(img)
    t = cv.px(10 if look.style in ("vibrant", "corporate") else 6)
    accent = look.accent if look.panel != look.accent else look.primary
    rule_w = pb.width if look.style != "minimalist" else int(pb.width * 0.3)
    if pb.top > 0:  # panel below the photo: rule on its top edge
        d.rectangle((0, 0, rule_w, t - 1), fill=accent + (255,))
    elif pb.width == cv.width:  # panel above the photo: rule on its bottom edge
        d.rectangle((0, pb.height - t, rule_w, pb.height - 1), fill=accent + (255,))
    else:  # panel left of the photo: rule on its right edge
        d.rectangle((pb.width - t, 0, pb.width - 1, pb.height), fill=accent + (255,))
    if look.style == "corporate":
        d.polygon([(pb.width, pb.height - cv.px(140)), (pb.width, pb.height), (pb.width - cv.px(260), pb.height)],
                  fill=look.accent + (200,))
    return TextLayer(img, pb.left, pb.top, [])


def _two_tone(plate: Image.Image, look: Look, cv: Canvas) -> None:
    """A photo-less split scene: a diagonal block of the panel colour across the lower part."""
    w, h = plate.size
    over = Image.new("RGBA", plate.size, (0, 0, 0, 0))
    col = look.accent if look.style in ("vibrant",) else look.panel
    if w > h:
        ImageDraw.Draw(over).polygon([(int(w * 0.62), 0), (w, 0), (w, h), (int(w * 0.48), h)], fill=col + (235,))
    else:
        ImageDraw.Draw(over).polygon([(0, int(h * 0.74)), (w, int(h * 0.66)), (w, h), (0, h)], fill=col + (235,))
    plate.paste(over, (0, 0), over)


SCRIM_RGB = (8, 10, 18)


def scrim_layer(cv: Canvas, layout: str | None = None) -> TextLayer:
    """The dark gradient laid over full-bleed pictures (photos and clips) behind the headline
    and captions: RGBA, full frame width, from 200 px (scaled) above the text box to the bottom,
    alpha ramping 0 → 78 % (stacked formats); in 16:9 also a ramp from the left edge (0.8 → 0
    across 60 % of the width) behind the left-aligned text. Positioned at (``x``, ``y``)."""
    w, h = cv.width, cv.height
    lb = _boxes(cv, "full_bleed")
    top = max(0, min(lb.text.top, cv.box("captions").top) - cv.px(200))
    ramp = np.clip(np.linspace(0, 1.5, h - top), 0, 1) ** 1.4 * 0.78
    alpha = np.repeat(ramp[:, None], w, axis=1)
    if lb.scrim == "left":
        side = np.clip(1 - np.linspace(0, 1, w) / 0.6, 0, 1) ** 1.6 * 0.8
        # the left ramp covers the whole height: the layer starts at the top
        full = np.maximum(alpha, np.repeat(side[None, :], h - top, axis=0))
        alpha = np.concatenate([np.repeat(side[None, :], top, axis=0), full], axis=0)
        top = 0
    img = Image.new("RGBA", (w, h - top), SCRIM_RGB + (0,))
    img.putalpha(Image.fromarray((alpha * 255).astype(np.uint8)))
    return TextLayer(img, 0, top, [])


def clip_plate(frame: Image.Image, cv: Canvas) -> Image.Image:
    """A clip frame as a scene plate (storyboard keyframe): scaled to cover the frame and
    centre-cropped like the video (the compositor's ``scale=...:force_original_aspect_ratio=
    increase,crop``), with the scrim on top. RGB, ``cv.width``×``cv.height``."""
    plate = crop_to_fill(frame.convert("RGB"), cv.width, cv.height, (0.5, 0.5), cv.resample)
    sc = scrim_layer(cv)
    plate.paste(sc.image, (sc.x, sc.y), sc.image)
    return plate


def render_plate(
    scene: Scene, index: int, look: Look, cv: Canvas, photo: Image.Image | None, *, logo: Image.Image | None,
    product_name: str, seed: int, full_bleed: bool | None = None, layout: str | None = None,
) -> Image.Image:
    """The scene's picture flattened (plate + foreground), RGB, ``cv.width``×``cv.height`` px:
    :func:`render_picture` for callers that move the whole picture as one plate."""
    return render_picture(scene, index, look, cv, photo, logo=logo, product_name=product_name, seed=seed,
                          layout=layout, full_bleed=full_bleed).flat()


def _end_logo_box(cv: Canvas) -> Box:
    s = cv.box("safe")
    cap = cv.box("captions")
    usable_bottom = cap.top
    return Box(s.left + s.width // 6, s.top + cv.px(20), s.right - s.width // 6, s.top + int((usable_bottom - s.top) * 0.42))


def text_box(scene: Scene, cv: Canvas, full_bleed: bool, layout: str | None = None) -> Box:
    """Where a scene's text goes (inside the safe zone, above the captions): the layout's text
    box (:func:`videogen.engine.render.formats.layout_boxes`); offer and end-card scenes without
    a photo use the whole safe zone above the captions (the end card: below its logo)."""
    if scene.role == "end_card":
        s, cap = cv.box("safe"), cv.box("captions")
        logo = _end_logo_box(cv)
        return Box(s.left, logo.bottom + cv.px(20), s.right, cap.top - cv.px(10))
    if scene.visual.source == "solid_brand":
        s, cap = cv.box("safe"), cv.box("captions")
        return Box(s.left, s.top + cv.px(60), s.right, cap.top - cv.px(10))
    return _boxes(cv, layout or scene_layout(scene, full_bleed)).text


def _text_colours(scene: Scene, look: Look, layout: str) -> tuple[tuple[int, int, int], tuple[int, int, int], bool]:
    """(headline colour, subtext colour, on a photo) for a scene in ``layout``."""
    if scene.visual.source != "solid_brand" and layout == "full_bleed":
        return (255, 255, 255), (236, 236, 236), True
    if scene.visual.source != "solid_brand" and layout == "split":
        sub = shade(look.accent, 0.75) if luminance(look.panel) < 0.3 else shade(look.primary, 0.35)
        if look.panel == look.accent:
            sub = look.panel_text
        return look.panel_text, sub, False
    return look.text, look.subtext, False


def render_text_layer(scene: Scene, look: Look, cv: Canvas, *, full_bleed: bool, brand_font: str | None = None,
                      layout: str | None = None, lang: str | None = None, protect: tuple[str, ...] = ()) -> TextLayer:
    """The scene's on-screen text (headline, subtext; end card: CTA button and URL) as an RGBA
    image the size of its box (:func:`text_box`). Text is wrapped/shrunk to fit the box, which lies
    in the safe zone. ``layout`` defaults to :func:`scene_layout` (``full_bleed`` as its hint);
    the headline and body use ``brand_font`` (a font file) when given, else the style's fonts.
    ``lang`` (the brief's language) and ``protect`` (product name, call to action) go to
    :func:`~videogen.engine.render.text.fit_text`: protected spans never wrap or shorten, and no line
    ends on a stop word of ``lang``."""
    layout = layout or scene_layout(scene, full_bleed)
    box = text_box(scene, cv, full_bleed, layout)
    img = Image.new("RGBA", (box.width, box.height), (0, 0, 0, 0))
    head_fonts = FontSet.for_role(look.headline_font, brand_font)
    body_fonts = FontSet.for_role(look.body_font, brand_font)
    text_col, sub_col, on_photo = _text_colours(scene, look, layout)
    shadow = (0, 0, 0, 130) if on_photo or luminance(text_col) > 0.5 and look.style != "corporate" else None
    side = cv.spec.width > cv.spec.height
    solid = scene.visual.source == "solid_brand" or scene.role == "end_card"
    align = (look.align if side else look.stack_align) if not solid else "center"
    base = min(cv.width, cv.height)
    big = scene.role in ("offer", "end_card") or scene.visual.source == "solid_brand"
    head_max = int(base * (0.115 if big else 0.08 if layout == "card" else 0.092) * look.scale)
    headline = scene.on_screen_text.upper() if look.uppercase else scene.on_screen_text
    ink: list[Box] = []

    if scene.role == "end_card":
        cta_fonts = FontSet.for_role("sans-bold", brand_font)
        pad_x, pad_y = cv.px(48), cv.px(26)
        cta = fit_text(headline, cta_fonts, box.width - 2 * pad_x, int(box.height * 0.45) - 2 * pad_y,
                       max_size=int(base * 0.085), min_size=cv.px(28), max_lines=2, lang=lang, protect=protect)
        url = fit_text(scene.subtext, body_fonts, box.width, int(box.height * 0.3),
                       max_size=int(base * 0.045), min_size=cv.px(20), max_lines=2, lang=lang, protect=protect)
        gap = cv.px(28)
        total = cta.height + 2 * pad_y + (gap + url.height if url.lines else 0)
        y = (box.height - total) // 2
        pill_w = cta.width + 2 * pad_x
        px0 = (box.width - pill_w) // 2
        d = ImageDraw.Draw(img)
        radius = (cta.height + 2 * pad_y) // 2 if look.card_radius else cv.px(6)
        d.rounded_rectangle((px0, y, px0 + pill_w, y + cta.height + 2 * pad_y), radius=radius, fill=look.accent + (255,))
        bb = draw_block(img, cta, px0 + pad_x, y + pad_y, cta.width, fill=on_color(look.accent) + (255,))
        ink.append(Box(*bb))
        ink.append(Box(px0, y, px0 + pill_w, y + cta.height + 2 * pad_y))
        if url.lines:
            url_col = on_color(look.bg_bottom)
            bb = draw_block(img, url, 0, y + cta.height + 2 * pad_y + gap, box.width, fill=url_col + (255,))
            ink.append(Box(*bb))
        placed = [Box(b.left + box.left, b.top + box.top, b.right + box.left, b.bottom + box.top) for b in ink]
        split = _even(y + cta.height + 2 * pad_y + gap // 2) if url.lines else 0
        return TextLayer(img, box.left, box.top, placed, split)

    sub = scene.subtext.strip()
    head_h = int(box.height * (0.66 if sub else 1.0))
    hb = fit_text(headline, head_fonts, box.width, head_h, max_size=head_max, min_size=cv.px(30), max_lines=3,
                  lang=lang, protect=protect)
    pill = look.text_panel == "pill" and sub
    pad = cv.px(22) if pill else 0
    sb: TextBlock | None = None
    gap = cv.px(18)
    bar = look.text_panel == "bar"
    bar_room = cv.px(30) if bar else 0
    if sub:
        sb = fit_text(sub, body_fonts, box.width - 2 * pad, box.height - hb.height - gap - 2 * pad - bar_room,
                      max_size=max(cv.px(26), int(hb.size * 0.55)), min_size=cv.px(22), max_lines=2,
                      lang=lang, protect=protect)
    total = hb.height + bar_room + ((gap + sb.height + 2 * pad) if sb and sb.lines else 0)
    # stacked full-bleed text sits low (near the captions); panels and cards centre it
    y = max(0, (box.height - total) if layout == "full_bleed" and not side else (box.height - total) // 2)
    bb = draw_block(img, hb, 0, y, box.width, align=align, fill=text_col + (255,), shadow=shadow)
    ink.append(Box(*bb))
    d = ImageDraw.Draw(img)
    if bar:
        bar_w = min(cv.px(120), box.width)
        bx = bb[0] if align == "left" else (box.width - bar_w) // 2
        by = min(box.height - cv.px(10), bb[3] + cv.px(16))
        d.rectangle((bx, by, bx + bar_w, min(box.height - 1, by + cv.px(8))), fill=look.accent + (255,))
        ink.append(Box(bx, by, bx + bar_w, min(box.height - 1, by + cv.px(8))))
    if sb and sb.lines:
        sy = y + hb.height + gap + bar_room
        if pill:
            pw = sb.width + 2 * pad
            px0 = 0 if align == "left" else (box.width - pw) // 2
            pill_col = look.accent if not (layout == "split" and look.panel == look.accent) else look.primary
            d.rounded_rectangle((px0, sy, px0 + pw, sy + sb.height + 2 * pad), radius=cv.px(20), fill=pill_col + (240,))
            bb = draw_block(img, sb, px0 + pad, sy + pad, sb.width, align="center", fill=on_color(pill_col) + (255,))
            ink.append(Box(px0, sy, px0 + pw, sy + sb.height + 2 * pad))
        else:
            bb = draw_block(img, sb, 0, sy, box.width, align=align, fill=sub_col + (255,), shadow=shadow)
        ink.append(Box(*bb))
    split = _even(y + hb.height + bar_room + gap // 2) if sb and sb.lines else 0
    return TextLayer(img, box.left, box.top, [Box(b.left + box.left, b.top + box.top, b.right + box.left, b.bottom + box.top)
                                              for b in ink], split)


def _even(v: int) -> int:
    return max(0, v - v % 2)


# ---------------------------------------------------------------- logo

def prepare_logo(logo: Image.Image) -> tuple[Image.Image, str | None]:
    """Make a logo overlay-ready (RGBA). A logo without transparency gets its flat background
    keyed out when the border is one colour; otherwise it is kept as an opaque badge.
    Returns the image and a note for the trace (None when the logo had alpha)."""
    logo = logo.convert("RGBA")
    a = np.asarray(logo)
    if a[..., 3].min() < 250:
        return logo, None
    border = np.concatenate([a[0, :, :3], a[-1, :, :3], a[:, 0, :3], a[:, -1, :3]]).astype(np.float32)
    if border.std(axis=0).max() < 12:
        bg = np.median(border, axis=0)
        dist = np.abs(a[..., :3].astype(np.float32) - bg).max(axis=2)
        alpha = np.clip((dist - 18) / 40, 0, 1) * 255
        out = a.copy()
        out[..., 3] = alpha.astype(np.uint8)
        img = Image.fromarray(out)
        bbox = img.getbbox()
        return (img.crop(bbox) if bbox else img), "logo had no transparency; its flat background was keyed out"
    return logo, "logo has no transparency and no flat background; shown as an opaque badge"


def _readable_logo(lg: Image.Image, look: Look, cv: Canvas, bg: tuple) -> Image.Image:
    """A light logo on a light background (or dark on dark) gets a contrasting rounded badge."""
    arr = np.asarray(lg).astype(np.float32)
    wts = arr[..., 3] / 255
    mean = (arr[..., :3] * wts[..., None]).sum((0, 1)) / max(1.0, wts.sum())
    lum, bg_lum = luminance(tuple(mean)), luminance(bg)
    if abs(lum - bg_lum) > 0.3:
        return lg
    pad = max(4, lg.height // 5)
    badge = Image.new("RGBA", (lg.width + 2 * pad, lg.height + 2 * pad), (0, 0, 0, 0))
    fill = shade(look.primary, 0.25) if lum > 0.5 else (250, 250, 250)
    ImageDraw.Draw(badge).rounded_rectangle((0, 0, badge.width - 1, badge.height - 1), radius=pad, fill=fill + (240,))
    badge.alpha_composite(lg, (pad, pad))
    return badge


def logo_layer(logo: Image.Image, look: Look, cv: Canvas, position: str, *, max_height: int | None = None) -> TextLayer:
    """The logo scaled to the format's logo height, placed in the requested corner of the safe
    zone (bottom corners sit on the photo box so they stay clear of captions)."""
    h = max_height or cv.px(cv.spec.logo_height)
    lg = logo.copy()
    lg.thumbnail((int(cv.width * 0.4), h), Image.Resampling.LANCZOS)
    lg = _readable_logo(lg, look, cv, look.bg_top)
    s = cv.box("safe")
    m = cv.px(12)
    x = s.left + m if position.endswith("left") else s.right - lg.width - m
    if position.startswith("top"):
        y = s.top + m
    else:
        y = cv.box("photo").bottom - lg.height - m
    return TextLayer(lg, x, y, [Box(x, y, x + lg.width, y + lg.height)])


def composite_keyframe(plate: Image.Image, layers: list[TextLayer]) -> Image.Image:
    """Plate + layers at their final positions (the storyboard keyframe), RGB."""
    frame = plate.convert("RGBA")
    for layer in layers:
        frame.alpha_composite(layer.image, (max(0, layer.x), max(0, layer.y)))
    return frame.convert("RGB")


__all__ = [
    "Canvas", "TextLayer", "Picture", "Subject", "find_subject", "crop_window", "render_picture", "scene_layout",
    "plan_layouts", "render_plate", "scrim_layer", "clip_plate", "render_text_layer", "prepare_logo", "logo_layer",
    "composite_keyframe", "subject_center", "crop_to_fill", "grade", "uses_full_bleed", "text_box",
    "ImageChops",
]
