"""Storyboard: one keyframe PNG per scene per aspect ratio, rendered with Pillow from the same
layer code the video uses, at 540 px wide so a whole board takes well under a second."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render.formats import FormatSpec
from videogen.engine.render.layers import (
    Canvas,
    clip_plate,
    composite_keyframe,
    logo_layer,
    plan_layouts,
    render_picture,
    render_text_layer,
)
from videogen.engine.render.styles import Look

STORYBOARD_WIDTH = 540  # px; half of the 1080-px output width


def keyframe_name(spec: FormatSpec, index: int, role: str) -> str:
    """e.g. ``9x16_s01_hook.png``."""
    return f"{spec.ratio.replace(':', 'x')}_s{index + 1:02d}_{role}.png"


def render_storyboard(
    plan: ScenePlan, specs: list[FormatSpec], look: Look, photos: list[Image.Image], logo: Image.Image | None,
    *, logo_position: str, product_name: str, seed: int, out_dir: Path, brand_font: str | None = None,
    clip_frames: dict[int, Image.Image] | None = None, lang: str | None = None, protect: tuple[str, ...] = (),
) -> list[Path]:
    """Write keyframes (plan order, then format order) to ``out_dir``; return their paths.

    ``clip_frames`` maps a clip index (``Visual.clip_index``) to its keyframe (RGB, see
    :func:`videogen.engine.render.clips.extract_keyframe`); an ``uploaded_clip`` scene whose clip is
    there shows that frame reframed like the video (cover + centre crop, scrim, white text).
    Each scene is drawn in its layout (``Scene.layout``, or when None the renderer's choice,
    :func:`videogen.engine.render.layers.plan_layouts`, so consecutive scenes differ), the picture
    as it stands when the scene's text has arrived.
    Deterministic: the same inputs give byte-identical PNGs (no timestamps are written).
    """
    clip_frames = clip_frames or {}
    layouts = plan_layouts(plan.scenes, look)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    pool = ThreadPoolExecutor(max_workers=2)  # PNG (zlib) encoding releases the GIL
    pending = []
    small_photos: dict[int, Image.Image] = {}
    for spec in specs:
        cv = Canvas(spec, STORYBOARD_WIDTH / spec.width)
        for i, scene in enumerate(plan.scenes):
            clip_index = scene.visual.clip_index if scene.visual.source == "uploaded_clip" else None
            frame = clip_frames.get(clip_index) if clip_index is not None else None
            if frame is not None:
                plate = clip_plate(frame, cv)
                layers = [render_text_layer(scene, look, cv, full_bleed=True, brand_font=brand_font, layout="full_bleed",
                                            lang=lang, protect=protect)]
                if logo is not None and scene.role != "end_card":
                    layers.append(logo_layer(logo, look, cv, logo_position))
                path = out_dir / keyframe_name(spec, i, scene.role)
                pending.append(pool.submit(composite_keyframe(plate, layers).save, path, format="PNG", compress_level=1))
                paths.append(path)
                continue
            photo = None
            if scene.visual.source != "solid_brand" and photos:
                k = min(scene.visual.image_index or 0, len(photos) - 1)
                if k not in small_photos:
                    p = photos[k].copy()
                    p.thumbnail((1400, 1400), Image.Resampling.BILINEAR)
                    small_photos[k] = p
                photo = small_photos[k]
            pic = render_picture(scene, i, look, cv, photo, logo=logo, product_name=product_name, seed=seed, layout=layouts[i])
            plate = pic.flat()
            layers = [render_text_layer(scene, look, cv, full_bleed=pic.layout == "full_bleed", brand_font=brand_font,
                                        layout=pic.layout, lang=lang, protect=protect)]
            if logo is not None and scene.role != "end_card":
                layers.append(logo_layer(logo, look, cv, logo_position))
            path = out_dir / keyframe_name(spec, i, scene.role)
            frame = composite_keyframe(plate, layers)
            pending.append(pool.submit(frame.save, path, format="PNG", compress_level=1))
            paths.append(path)
    for f in pending:
        f.result()
    pool.shutdown()
    return paths
