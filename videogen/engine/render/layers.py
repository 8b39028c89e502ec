"""Pre-rendered scene layers (Pillow): the background *plate* of each scene, its *text layer*,
and the logo. The compositor animates these in FFmpeg; the storyboard composites them once.

Every function takes a ``scale`` so the storyboard can render the same design at thumbnail size.
All coordinates are pixels in the output frame (after scaling).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter

from videogen.engine.planner.schema import Scene
from videogen.engine.render.formats import Box, FormatSpec
from videogen.engine.render.styles import Look, luminance, on_color, shade
from videogen.engine.render.text import FontSet, TextBlock, draw_block, fit_text

FULL_BLEED_MAX_UPSCALE = 1.6  # above this a photo is shown as a card, not stretched to fill


@dataclass
class TextLayer:
    """An RGBA image to overlay at (``x``, ``y``); ``ink`` lists drawn text boxes in frame px."""

    image: Image.Image
    x: int
    y: int
    ink: list[Box] = field(default_factory=list)


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

def subject_center(img: Image.Image) -> tuple[float, float]:
    """Where the subject probably is, as fractions (x, y) of the image: the centroid of edge
    energy (gradient magnitude) on a 128-px greyscale copy, pulled 40 % toward the centre."""
    small = img.convert("L")
    small.thumbnail((128, 128))
    a = np.asarray(small, dtype=np.float32)
    gy, gx = np.gradient(a)
    e = np.hypot(gx, gy)
    e[e < np.percentile(e, 70)] = 0
    total = e.sum()
    if total <= 0:
        return (0.5, 0.5)
    ys, xs = np.mgrid[0: a.shape[0], 0: a.shape[1]]
    cx = float((e * xs).sum() / total / max(1, a.shape[1] - 1))
    cy = float((e * ys).sum() / total / max(1, a.shape[0] - 1))
    return (0.5 + (cx - 0.5) * 0.6, 0.5 + (cy - 0.5) * 0.6)


def crop_to_fill(
    img: Image.Image, width: int, height: int, center: tuple[float, float], resample=Image.Resampling.LANCZOS
) -> Image.Image:
    """Crop ``img`` to the aspect of ``width``×``height`` around ``center`` (fractions), keeping
    the subject in frame, then resize to exactly that size (Lanczos)."""
    iw, ih = img.size
    target = width / height
    cw: float
    ch: float
    if iw / ih > target:
        cw, ch = ih * target, ih
    else:
        cw, ch = iw, iw / target
    x0 = min(max(0.0, center[0] * iw - cw / 2), iw - cw)
    y0 = min(max(0.0, center[1] * ih - ch / 2), ih - ch)
    return img.resize((width, height), resample, box=(x0, y0, x0 + cw, y0 + ch))


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


def _backdrop(look: Look, cv: Canvas, photo: Image.Image | None, rng: random.Random, strong: bool) -> Image.Image:
    w, h = cv.width, cv.height
    base = gradient(w, h, look.bg_top, look.bg_bottom, diagonal=look.style == "vibrant")
    if look.style == "vibrant" and strong:
        base = gradient(w, h, shade(look.accent, 0.5, 1.2), shade(look.primary, 0.3, 1.3), diagonal=True)
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


def render_plate(
    scene: Scene, index: int, look: Look, cv: Canvas, photo: Image.Image | None, *, logo: Image.Image | None,
    product_name: str, seed: int, full_bleed: bool | None = None,
) -> Image.Image:
    """The scene's background plate, RGB, ``cv.width``×``cv.height`` px: backdrop, shapes and
    the photo (full-bleed or card). The end card carries the big logo (or a wordmark)."""
    rng = random.Random(f"{seed}:{index}:{scene.role}")  # noqa: S311 - seeded for reproducible output, not for security
    w, h = cv.width, cv.height
    use_photo = photo if scene.visual.source != "solid_brand" else None
    if full_bleed is None:
        full_bleed = use_photo is not None and uses_full_bleed(use_photo, cv.spec)
    if use_photo is not None and full_bleed:
        plate = crop_to_fill(use_photo, w, h, subject_center(use_photo), cv.resample)
        sc = scrim_layer(cv)  # for legibility behind the headline and captions
        plate.paste(sc.image, (sc.x, sc.y), sc.image)
        return plate
    plate = _backdrop(look, cv, photo, rng, strong=scene.role in ("offer", "end_card"))
    if use_photo is not None:
        card, x, y = _card(use_photo, look, cv.box("photo"), cv, subject_center(use_photo))
        plate.paste(card, (x, y), card)
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
    return plate


SCRIM_RGB = (8, 10, 18)


def scrim_layer(cv: Canvas) -> TextLayer:
    """The dark gradient laid over full-bleed pictures (photos and clips) behind the headline
    and captions: RGBA, full frame width, from 160 px (scaled) above the headline box to the
    bottom, alpha ramping 0 → 72 %. Positioned at (``x``, ``y``) = (0, top of the ramp)."""
    w, h = cv.width, cv.height
    top = max(0, cv.box("headline").top - cv.px(160))
    ramp = (np.clip(np.linspace(0, 1.6, h - top), 0, 1) * 0.72 * 255).astype(np.uint8)
    alpha = Image.fromarray(np.repeat(ramp[:, None], w, axis=1))
    img = Image.new("RGBA", (w, h - top), SCRIM_RGB + (0,))
    img.putalpha(alpha)
    return TextLayer(img, 0, top, [])


def clip_plate(frame: Image.Image, cv: Canvas) -> Image.Image:
    """A clip frame as a scene plate (storyboard keyframe): scaled to cover the frame and
    centre-cropped like the video (the compositor's ``scale=...:force_original_aspect_ratio=
    increase,crop``), with the scrim on top. RGB, ``cv.width``×``cv.height``."""
    plate = crop_to_fill(frame.convert("RGB"), cv.width, cv.height, (0.5, 0.5), cv.resample)
    sc = scrim_layer(cv)
    plate.paste(sc.image, (sc.x, sc.y), sc.image)
    return plate


def _end_logo_box(cv: Canvas) -> Box:
    s = cv.box("safe")
    cap = cv.box("captions")
    usable_bottom = cap.top
    return Box(s.left + s.width // 6, s.top + cv.px(20), s.right - s.width // 6, s.top + int((usable_bottom - s.top) * 0.42))


def text_box(scene: Scene, cv: Canvas, full_bleed: bool) -> Box:
    """Where a scene's text goes: the headline box; offer and end-card scenes (no photo card)
    use the whole safe zone above the captions."""
    if scene.role == "end_card":
        s, cap = cv.box("safe"), cv.box("captions")
        logo = _end_logo_box(cv)
        return Box(s.left, logo.bottom + cv.px(20), s.right, cap.top - cv.px(10))
    if scene.visual.source == "solid_brand":
        s, cap = cv.box("safe"), cv.box("captions")
        return Box(s.left, s.top + cv.px(60), s.right, cap.top - cv.px(10))
    return cv.box("headline")


def render_text_layer(scene: Scene, look: Look, cv: Canvas, *, full_bleed: bool, brand_font: str | None = None) -> TextLayer:
    """The scene's on-screen text (headline, subtext; end card: CTA button and URL) as an RGBA
    image the size of its box. Text is wrapped/shrunk to fit the box, which lies in the safe zone."""
    box = text_box(scene, cv, full_bleed)
    img = Image.new("RGBA", (box.width, box.height), (0, 0, 0, 0))
    head_fonts = FontSet.for_role(look.headline_font, brand_font)
    body_fonts = FontSet.for_role(look.body_font, brand_font)
    text_col = (255, 255, 255) if full_bleed else look.text
    sub_col = (235, 235, 235) if full_bleed else look.subtext
    shadow = (0, 0, 0, 110) if luminance(text_col) > 0.5 else None
    split = cv.spec.layout == "split" and scene.role != "end_card" and scene.visual.source != "solid_brand"
    align = look.align if split else "center"
    base = min(cv.width, cv.height)
    big = scene.role in ("offer", "end_card") or scene.visual.source == "solid_brand"
    head_max = int(base * (0.115 if big else 0.078))
    headline = scene.on_screen_text.upper() if look.uppercase else scene.on_screen_text
    ink: list[Box] = []

    if scene.role == "end_card":
        cta_fonts = FontSet.for_role("sans-bold", brand_font)
        pad_x, pad_y = cv.px(48), cv.px(26)
        cta = fit_text(headline, cta_fonts, box.width - 2 * pad_x, int(box.height * 0.45) - 2 * pad_y,
                       max_size=int(base * 0.085), min_size=cv.px(28), max_lines=2)
        url = fit_text(scene.subtext, body_fonts, box.width, int(box.height * 0.3),
                       max_size=int(base * 0.045), min_size=cv.px(20), max_lines=2)
        gap = cv.px(28)
        total = cta.height + 2 * pad_y + (gap + url.height if url.lines else 0)
        y = (box.height - total) // 2
        pill_w = cta.width + 2 * pad_x
        px0 = (box.width - pill_w) // 2
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((px0, y, px0 + pill_w, y + cta.height + 2 * pad_y), radius=(cta.height + 2 * pad_y) // 2,
                            fill=look.accent + (255,))
        bb = draw_block(img, cta, px0 + pad_x, y + pad_y, cta.width, fill=on_color(look.accent) + (255,))
        ink.append(Box(*bb))
        ink.append(Box(px0, y, px0 + pill_w, y + cta.height + 2 * pad_y))
        if url.lines:
            url_col = on_color(look.bg_bottom) if not full_bleed else (255, 255, 255)
            bb = draw_block(img, url, 0, y + cta.height + 2 * pad_y + gap, box.width, fill=url_col + (255,))
            ink.append(Box(*bb))
        placed = [Box(b.left + box.left, b.top + box.top, b.right + box.left, b.bottom + box.top) for b in ink]
        return TextLayer(img, box.left, box.top, placed)

    sub = scene.subtext.strip()
    head_h = int(box.height * (0.66 if sub else 1.0))
    hb = fit_text(headline, head_fonts, box.width, head_h, max_size=head_max, min_size=cv.px(30), max_lines=3)
    pill = look.text_panel == "pill" and sub
    pad = cv.px(22) if pill else 0
    sb: TextBlock | None = None
    gap = cv.px(18)
    if sub:
        sb = fit_text(sub, body_fonts, box.width - 2 * pad, box.height - hb.height - gap - 2 * pad,
                      max_size=max(cv.px(26), int(hb.size * 0.55)), min_size=cv.px(22), max_lines=2)
    total = hb.height + ((gap + sb.height + 2 * pad) if sb and sb.lines else 0)
    y = max(0, (box.height - total) // 2)
    bb = draw_block(img, hb, 0, y, box.width, align=align, fill=text_col + (255,), shadow=shadow)
    ink.append(Box(*bb))
    d = ImageDraw.Draw(img)
    if look.text_panel == "bar":
        bar_w = min(cv.px(120), box.width)
        bx = bb[0] if align == "left" else (box.width - bar_w) // 2
        d.rectangle((bx, min(box.height - cv.px(8), bb[3] + cv.px(8)), bx + bar_w, min(box.height - 1, bb[3] + cv.px(14))),
                    fill=look.accent + (255,))
    if sb and sb.lines:
        sy = y + hb.height + gap
        if pill:
            pw = sb.width + 2 * pad
            px0 = 0 if align == "left" else (box.width - pw) // 2
            d.rounded_rectangle((px0, sy, px0 + pw, sy + sb.height + 2 * pad), radius=cv.px(20), fill=look.accent + (235,))
            bb = draw_block(img, sb, px0 + pad, sy + pad, sb.width, align="center", fill=on_color(look.accent) + (255,))
        else:
            bb = draw_block(img, sb, 0, sy, box.width, align=align, fill=sub_col + (255,), shadow=shadow)
        ink.append(Box(*bb))
    return TextLayer(img, box.left, box.top, [Box(b.left + box.left, b.top + box.top, b.right + box.left, b.bottom + box.top) for b in ink])


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
    "Canvas", "TextLayer", "render_plate", "scrim_layer", "clip_plate", "render_text_layer", "prepare_logo", "logo_layer",
    "composite_keyframe", "subject_center", "crop_to_fill", "grade", "uses_full_bleed", "text_box",
    "ImageChops",
]
