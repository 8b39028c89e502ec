"""Stage 2a, scene sources: load and grade the photos once, probe the clips, and settle what each
scene shows. The fallback rules (each one a ``scenes`` fallback in the trace, with the reason):

* ``uploaded_clip`` with no ``clip_index``, an index past ``brief.clips``, or a clip ffprobe cannot
  read (or whose ``start`` is at/after its end) → ``product_image`` (image ``image_index`` or 0),
  or ``solid_brand`` when the brief has no images;
* ``generated_clip`` → ``product_image`` (image 0) or ``solid_brand``: the CPU engine makes no clips;
* ``product_image`` with no images → ``solid_brand``; an ``image_index`` past the images → image 0
  (a note, not a fallback).

A usable clip is listed in the trace's ``clips`` (scene, clip_index, file, sha256, start, cleanup,
clip_seconds, size, used_seconds, held_last_frame_seconds) and its storyboard keyframe (the frame at
``start + 0.5 s``) is extracted once per clip.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from PIL import Image

from videogen.engine.brief import load_image
from videogen.engine.planner.schema import Scene
from videogen.engine.render.clips import ClipError, ClipInfo, extract_keyframe, keyframe_time, probe_clip
from videogen.engine.render.compositor import TRANSITION_SECONDS
from videogen.engine.render.layers import grade, prepare_logo
from videogen.engine.stages.job import RenderJob, file_sha

Prober = Callable[[Path], ClipInfo]
KeyframeGrabber = Callable[..., Image.Image]


def load_pictures(job: RenderJob, st: dict) -> None:
    """Decode each photo once (``job.photos_raw``), grade it for the look (``job.photos``), hash
    its bytes for the scene cache, and prepare the logo (a note in ``st`` when it was altered)."""
    brief = job.brief
    job.photos_raw = [load_image(p) for p in brief.images]
    job.photos = [grade(p, job.look) for p in job.photos_raw]
    job.image_hashes = [file_sha(p) for p in brief.images]
    if brief.brand.logo:
        job.logo, note = prepare_logo(load_image(brief.brand.logo))
        if note:
            st["notes"].append(note)


def _clip_problem(job: RenderJob, scene: Scene, probe: Prober, keyframe: KeyframeGrabber) -> str | None:
    """Why ``scene``'s clip cannot be used, or None (then ``job.clip_infos`` has it)."""
    ci = scene.visual.clip_index
    clips = job.brief.clips
    if ci is None:
        return f"scene {scene.id}: no clip_index given"
    if ci >= len(clips):
        return f"scene {scene.id}: clip_index {ci} out of range (the brief has {len(clips)} clips)"
    if ci in job.clip_infos:
        return None
    c = clips[ci]
    try:
        info = probe(c.path)
        if c.start >= info.duration:
            raise ClipError(f"start {c.start:g} s is at or past the clip's end ({info.duration:g} s)")
        job.clip_infos[ci] = (info, file_sha(c.path))
        job.clip_frames[ci] = keyframe(c.path, keyframe_time(c.start, info.duration), job.work / f"clip{ci}_keyframe.png",
                                       cleanup=c.cleanup)
    except (ClipError, OSError) as exc:
        job.clip_infos.pop(ci, None)
        return f"scene {scene.id}: clips[{ci}] unusable: {exc}"
    return None


def _clip_entry(job: RenderJob, scene: Scene, i: int, ci: int) -> dict:
    c, (info, digest) = job.brief.clips[ci], job.clip_infos[ci]
    need = scene.duration + (TRANSITION_SECONDS if i < len(job.the_plan.scenes) - 1 else 0)
    return {
        "scene": scene.id, "clip_index": ci, "file": c.path.name, "sha256": digest, "start": c.start,
        "cleanup": list(c.cleanup), "clip_seconds": info.duration, "size": [info.width, info.height],
        "used_seconds": round(min(need, info.duration - c.start), 3),
        "held_last_frame_seconds": round(max(0.0, need - (info.duration - c.start)), 3),
    }


def resolve_sources(job: RenderJob, st: dict, *, probe: Prober = probe_clip, keyframe: KeyframeGrabber = extract_keyframe) -> None:
    """Apply the module's fallback rules to every scene of ``job.plan`` in place (``scene.visual``
    source / image_index / clip_index), recording fallbacks in ``job.trace``, notes and the clips
    used in ``st`` (the ``scenes`` trace stage). ``probe``/``keyframe`` default to ffprobe/FFmpeg
    (:func:`probe_clip`, :func:`extract_keyframe`); tests pass stand-ins."""
    trace, has_photos = job.trace, bool(job.photos)
    still: Literal["product_image", "solid_brand"] = "product_image" if has_photos else "solid_brand"
    st.setdefault("clips", [])
    for i, scene in enumerate(job.the_plan.scenes):
        v, src = scene.visual, scene.visual.source
        if src == "uploaded_clip":
            reason = _clip_problem(job, scene, probe, keyframe)
            if reason is None and v.clip_index is not None:
                st["clips"].append(_clip_entry(job, scene, i, v.clip_index))
                continue
            trace.fallback("scenes", src, still, reason or "")
            v.source, v.clip_index = still, None
            v.image_index = (v.image_index or 0) if has_photos else None
        elif src == "generated_clip":
            trace.fallback("scenes", src, still, f"scene {scene.id}: the CPU engine renders no {src.replace('_', ' ')}s")
            v.source, v.image_index = still, (0 if has_photos else None)
        if v.source == "product_image":
            if not has_photos:
                trace.fallback("scenes", "product_image", "solid_brand", f"scene {scene.id}: the brief has no images")
                v.source, v.image_index = "solid_brand", None
            elif (v.image_index or 0) >= len(job.photos):
                st["notes"].append(f"scene {scene.id}: image_index {v.image_index} out of range; using image 0")
                v.image_index = 0
