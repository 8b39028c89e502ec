"""Storing a job's scene plan as :class:`~videogen.models.Scene` rows, and back.

The engine's :class:`videogen.engine.planner.schema.ScenePlan` refers to photos by ``image_index`` into
``brief.images``; the Studio stores the photo as an asset on each scene, so a swap is one field.
A *snapshot* is the plain list of scene dicts (with ``image_asset_id``) used by edit history.
"""

from __future__ import annotations

from videogen.engine.planner.schema import Scene as PlanScene
from videogen.engine.planner.schema import ScenePlan, Visual

from .models import Scene, VideoJob

LAYOUT_KEYS = ("motion", "text_animation", "transition", "clip")


def scene_to_snapshot(scene: Scene) -> dict:
    return {
        "scene_key": scene.scene_key,
        "role": scene.role,
        "duration": scene.duration_seconds,
        "voiceover": scene.voiceover,
        "on_screen_text": scene.on_screen_text,
        "subtext": scene.subtext,
        "visual_source": scene.visual_source,
        "image_asset_id": scene.image_id,
        "layout": scene.entity_layout or {},
    }


def plan_snapshot(job: VideoJob) -> list[dict]:
    """The job's current scenes as a list of plain dicts, in order."""
    return [scene_to_snapshot(s) for s in job.scenes.order_by("number")]


def replace_scenes(job: VideoJob, snapshot: list[dict]) -> list[Scene]:
    """Replaces every scene of ``job`` with ``snapshot`` (call inside a transaction)."""
    job.scenes.all().delete()
    rows = [
        Scene(
            job=job, number=i + 1, scene_key=s["scene_key"], role=s["role"], duration_seconds=round(float(s["duration"]), 3),
            voiceover=s.get("voiceover", ""), on_screen_text=s.get("on_screen_text", ""), subtext=s.get("subtext", ""),
            visual_source=s.get("visual_source", "product_image"), image_id=s.get("image_asset_id"),
            entity_layout=s.get("layout", {}),
            description=f"{s['role'].replace('_', ' ').title()}: {s.get('on_screen_text') or s.get('voiceover', '')}"[:200],
        )
        for i, s in enumerate(snapshot)
    ]
    return Scene.objects.bulk_create(rows)


def snapshot_from_plan(plan: ScenePlan, image_asset_ids: list[int]) -> list[dict]:
    """Scene dicts from an engine plan; ``image_asset_ids[i]`` is the asset of ``brief.images[i]``."""
    out = []
    for scene in plan.scenes:
        index = scene.visual.image_index
        asset_id = image_asset_ids[index] if index is not None and index < len(image_asset_ids) else None
        out.append({
            "scene_key": scene.id,
            "role": scene.role,
            "duration": scene.duration,
            "voiceover": scene.voiceover,
            "on_screen_text": scene.on_screen_text,
            "subtext": scene.subtext,
            "visual_source": scene.visual.source,
            "image_asset_id": asset_id,
            "layout": {"motion": scene.motion, "text_animation": scene.text_animation, "transition": scene.transition,
                       **({"layout": scene.layout} if scene.layout else {}),
                       **({"generation": scene.generation.model_dump()} if scene.generation is not None else {})},
        })
    return out


def plan_from_snapshot(snapshot: list[dict], *, seed: int, planner: str, image_asset_ids: list[int]) -> ScenePlan:
    """The engine plan for a snapshot. ``image_asset_ids`` lists the assets handed to the engine as
    ``brief.images`` (in that order). Raises pydantic ValidationError when the plan is invalid."""
    scenes = []
    clip_count = 0
    for s in snapshot:
        asset_id = s.get("image_asset_id")
        index = image_asset_ids.index(asset_id) if asset_id in image_asset_ids else None
        layout = s.get("layout") or {}
        source = s.get("visual_source", "product_image")
        if source == "product_image" and index is None:
            source = "solid_brand"
        clip_index = None
        if source == "uploaded_clip" and layout.get("clip"):
            clip_index, clip_count = clip_count, clip_count + 1
        scenes.append(PlanScene(
            id=s["scene_key"], role=s["role"], duration=s["duration"], voiceover=s.get("voiceover", ""),
            on_screen_text=s.get("on_screen_text", ""), subtext=s.get("subtext", ""),
            visual=Visual.model_validate({"source": source, "image_index": index, "clip_index": clip_index}),
            **{k: layout[k] for k in ("motion", "text_animation", "transition", "layout") if k in layout},
            # a generated scene's request (prompt, seed, model): videogen.generation turns it into a clip
            generation=layout.get("generation") if source == "generated_clip" else None,
        ))
    return ScenePlan(seed=seed, planner=planner or "rules", scenes=scenes)


def images_for_snapshot(brief_image_ids: list[int], snapshot: list[dict]) -> list[int]:
    """Asset ids to hand to the engine as ``brief.images``: the brief's photos, then any photo a
    scene was swapped to, without repeats."""
    ids = list(dict.fromkeys(brief_image_ids))
    for s in snapshot:
        if s.get("image_asset_id") and s["image_asset_id"] not in ids:
            ids.append(s["image_asset_id"])
    return ids


def clip_sources(snapshot: list[dict]) -> list[dict]:
    """The clips the plan's scenes use, in scene order — ``plan_from_snapshot`` numbers
    ``clip_index`` the same way. Each: {"asset_id", "start" (seconds), "cleanup": [...]}."""
    return [dict(s["layout"]["clip"]) for s in snapshot
            if s.get("visual_source") == "uploaded_clip" and (s.get("layout") or {}).get("clip")]
