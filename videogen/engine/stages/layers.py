"""Stage 2b, scene layers with the scene cache: for every format × scene a background plate (or, on
a clip scene, the scrim laid over the clip) and a text layer, as PNGs plus ``meta.json`` (text
position, plate offset, ink boxes).

The cache rule: with a ``cache_dir`` a scene's layers live at ``cache_dir/layers/KK/KEY`` where
KEY (:func:`layer_key`) hashes everything that changes its pixels — engine version, ratio, scene
position and JSON, the look, product name, seed, the photo's bytes (photo scenes only), the logo's
bytes, the brand font, and for a clip scene the clip's SHA-256, start and clean-up. So after a
storyboard edit of one scene only that scene's layers are drawn again. A folder is written under a
temporary name and renamed into place, so a crashed render never leaves a half entry that later
counts as a hit. Without a cache the layers go to the job's work folder and nothing is counted.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from videogen.engine.planner.schema import Scene
from videogen.engine.render.compositor import ClipInput, SceneLayers
from videogen.engine.render.formats import FormatSpec
from videogen.engine.render.layers import (
    Canvas,
    logo_layer,
    plan_layouts,
    render_picture,
    render_text_layer,
    scrim_layer,
)
from videogen.engine.render.storyboard import render_storyboard
from videogen.engine.stages.job import ENGINE_VERSION, RenderJob, file_sha, sha


def draw_storyboard(job: RenderJob, st: dict) -> None:
    """One keyframe PNG per format × scene into ``stage_dir/storyboard`` (``job.storyboard``)."""
    import time

    brief, plan = job.brief, job.the_plan
    t0 = time.monotonic()
    paths = render_storyboard(plan, job.specs, job.look, job.photos, job.logo, logo_position=brief.brand.logo_position,
                              product_name=brief.product_name, seed=brief.seed, out_dir=job.stage_dir / "storyboard",
                              brand_font=brief.brand.font, clip_frames=job.clip_frames, lang=brief.language,
                              protect=(brief.product_name, brief.call_to_action))
    st["storyboard_seconds"] = round(time.monotonic() - t0, 3)
    job.storyboard = {s.ratio: [p for p in paths if p.name.startswith(s.ratio.replace(":", "x") + "_")] for s in job.specs}


def _clip_index(scene: Scene) -> int | None:
    return scene.visual.clip_index if scene.visual.source == "uploaded_clip" else None


def layer_key(job: RenderJob, spec: FormatSpec, i: int, scene: Scene, logo_hash: str) -> str:
    """The scene cache key of scene ``i`` in ``spec`` (see the module docstring for what goes in)."""
    brief = job.brief
    k = scene.visual.image_index or 0
    ci = _clip_index(scene)
    clip_key = "-"
    if ci is not None:
        c = brief.clips[ci]
        clip_key = f"{job.clip_infos[ci][1]}|{c.start:.3f}|{','.join(sorted(c.cleanup))}"
    photo_hash = job.image_hashes[k] if scene.visual.source == "product_image" else "-"
    layout = plan_layouts(job.the_plan.scenes, job.look)[i]  # a None layout depends on the neighbours
    return sha(ENGINE_VERSION, "layers", spec.ratio, i, scene.model_dump_json(), job.look, brief.product_name,
               brief.seed, photo_hash, logo_hash, brief.brand.font, clip_key, layout)


def _draw_scene(job: RenderJob, spec: FormatSpec, cv: Canvas, i: int, scene: Scene, folder: Path) -> dict:
    """Draw scene ``i``'s plate and text layer into ``folder`` (atomically); returns its meta."""
    brief = job.brief
    k = scene.visual.image_index or 0
    ci = _clip_index(scene)
    photo = job.photos[k] if scene.visual.source == "product_image" else None
    layout = "full_bleed" if ci is not None else plan_layouts(job.the_plan.scenes, job.look)[i]
    extra: dict = {}
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    if ci is not None:  # the clip is the picture; the plate is the scrim laid over it
        sc = scrim_layer(cv)
        sc.image.save(tmp / "plate.png", compress_level=1)
        plate_y = sc.y
    else:
        pic = render_picture(scene, i, job.look, cv, photo, logo=job.logo, product_name=brief.product_name,
                             seed=brief.seed, layout=layout)
        pic.plate.save(tmp / "plate.png", compress_level=1)
        if pic.fg is not None:  # split panel / photo card: laid over the moving plate
            pic.fg.image.save(tmp / "fg.png", compress_level=1)
            extra["fg"] = [pic.fg.x, pic.fg.y, pic.fg_drift]
        extra["focus"] = list(pic.focus)
        plate_y = 0
    extra["travel"] = job.look.kb_travel
    tl = render_text_layer(scene, job.look, cv, full_bleed=layout == "full_bleed", brand_font=brief.brand.font,
                           layout=layout, lang=brief.language, protect=(brief.product_name, brief.call_to_action))
    tl.image.save(tmp / "text.png", compress_level=1)
    meta = {"text_x": tl.x, "text_y": tl.y, "plate_y": plate_y, "ink": [list(b.__dict__.values()) for b in tl.ink],
            "text_split": tl.split, **extra}
    (tmp / "meta.json").write_text(json.dumps(meta))
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)
    return meta


def scene_layers(job: RenderJob, spec: FormatSpec, i: int, scene: Scene, logo_hash: str) -> tuple[SceneLayers, dict, bool]:
    """Scene ``i``'s layers in ``spec``: from the cache when there (hit = True), else drawn.
    Returns (layers, meta, hit)."""
    cv = Canvas(spec, 1.0)
    if job.cache_dir:
        key = layer_key(job, spec, i, scene, logo_hash)
        folder = job.cache_dir / "layers" / key[:2] / key
    else:
        folder = job.work / "layers" / f"{spec.stem}_{i}"
    meta_path = folder / "meta.json"
    hit = bool(job.cache_dir) and meta_path.exists()
    meta = json.loads(meta_path.read_text()) if hit else _draw_scene(job, spec, cv, i, scene, folder)
    ci = _clip_index(scene)
    clip_in = None
    if ci is not None:
        c = job.brief.clips[ci]
        clip_in = ClipInput(c.path, c.start, tuple(c.cleanup), job.clip_infos[ci][0].duration)
    fg = meta.get("fg")
    sl = SceneLayers(folder / "plate.png", folder / "text.png", meta["text_x"], meta["text_y"], clip=clip_in,
                     plate_y=meta.get("plate_y", 0), fg=folder / "fg.png" if fg else None,
                     fg_x=fg[0] if fg else 0, fg_y=fg[1] if fg else 0, fg_drift=fg[2] if fg else 0,
                     focus=tuple(meta.get("focus", (0.5, 0.5))), travel=meta.get("travel", 0.08),
                     text_split=meta.get("text_split", 0))
    return sl, meta, hit


def format_logo(job: RenderJob, spec: FormatSpec) -> None:
    """The logo overlay of ``spec`` (``job.logos[ratio]``, None without a logo) and its ink box."""
    if job.logo is None:
        job.logos[spec.ratio] = None
        return
    ll = logo_layer(job.logo, job.look, Canvas(spec, 1.0), job.brief.brand.logo_position)
    lp = job.work / f"logo_{spec.stem}.png"
    ll.image.save(lp, compress_level=1)
    job.logos[spec.ratio] = (lp, (ll.x, ll.y))
    job.text_boxes.setdefault(spec.ratio, []).extend(
        {"scene_key": "", "kind": "logo", "box": [b.left, b.top, b.right, b.bottom]} for b in ll.ink)


def build_layers(job: RenderJob, st: dict) -> None:
    """Every format's scene layers (``job.layers``), logo overlays and text boxes; cache counts go
    to ``st["cache"]`` ({hits, misses, enabled})."""
    hits = misses = 0
    logo_hash = file_sha(job.brief.brand.logo)
    for fi, spec in enumerate(job.specs):
        job.layers[spec.ratio] = []
        for i, scene in enumerate(job.the_plan.scenes):
            job.check_cancel()
            sl, meta, hit = scene_layers(job, spec, i, scene, logo_hash)
            hits += hit
            misses += bool(job.cache_dir) and not hit
            job.layers[spec.ratio].append(sl)
            job.text_boxes.setdefault(spec.ratio, []).extend(
                {"scene_key": scene.id, "kind": "text", "box": list(b)} for b in meta.get("ink", []))
        format_logo(job, spec)
        job.progress.update("scenes", 0.3 + 0.7 * (fi + 1) / len(job.specs))
    st["cache"] = {"hits": hits, "misses": misses, "enabled": job.cache_dir is not None}
