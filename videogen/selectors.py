"""Reads for the Video Studio, always scoped to one organization."""

import re

from django.db.models import Prefetch, Q, QuerySet

from kolony.core.request_validation import parse_id
from kolony.tenancy import get_for_org_or_404, org_queryset

from .engine.render.formats import RATIOS
from .models import Asset, AssetKind, EditOperation, Render, Scene, VideoJob, Voice, WorkflowTemplate


def video_job_list(*, organization, status: str = "") -> QuerySet[VideoJob]:
    qs = org_queryset(VideoJob, organization).select_related("created_by").prefetch_related(
        Prefetch("renders", queryset=Render.objects.select_related("poster").order_by("-number"))
    )
    return qs.filter(status=status) if status else qs


def video_job_get(*, organization, job_id) -> VideoJob:
    """The job with its scenes and renders; Http404 for another organization's id."""
    return get_for_org_or_404(
        VideoJob.objects.select_related("created_by").prefetch_related(
            Prefetch("scenes", queryset=Scene.objects.select_related("image").order_by("number")),
            Prefetch("renders", queryset=Render.objects.select_related("poster").order_by("-number")),
        ),
        organization, pk=job_id,
    )


def render_assets(*, render: Render) -> dict[str, Asset]:
    """{ratio: Asset} of a render's MP4s, in the order the brief asked for the placements (its
    ``aspect_ratios``; the JSON column doesn't keep the outputs' key order), others after. Each
    asset gets ``poster``: its own format's poster frame (an Asset), or None when the render has none."""
    scoped = org_queryset(Asset, render.job.organization)
    assets = {a.pk: a for a in scoped.filter(pk__in=list(render.outputs.values()))}
    wanted = [r for r in (render.job.brief or {}).get("aspect_ratios") or [] if r in render.outputs]
    ordered = wanted + sorted((r for r in render.outputs if r not in wanted), key=lambda r: RATIOS.index(r) if r in RATIOS else 99)
    out = {ratio: assets[render.outputs[ratio]] for ratio in ordered if render.outputs[ratio] in assets}
    poster_ids = [i for i in ((a.metadata or {}).get("poster") for a in out.values()) if isinstance(i, int)]
    posters = {p.pk: p for p in scoped.filter(pk__in=poster_ids)}
    for asset in out.values():
        asset.poster = posters.get((asset.metadata or {}).get("poster"))
        if asset.poster is None and len(out) == 1 and render.poster_id:
            asset.poster = render.poster  # a render from before per-format posters: its one poster fits its one format
    return out


def voice_list(*, all_voices: bool = False) -> list[Voice]:
    """The voice library (shared by every organization, not tenant data): the curated voices in
    menu order (see :data:`videogen.library.CURATED_VOICES`), or with ``all_voices`` every active
    voice, curated first."""
    from .library import is_curated, voice_choices

    voices = list(Voice.objects.filter(is_active=True))
    order = {vid: i for i, (vid, _) in enumerate(voice_choices(voices, curated_only=not all_voices))}
    return sorted((v for v in voices if all_voices or is_curated(v)), key=lambda v: order.get(v.engine_voice_id, 10**6))


def asset_list(*, organization, kind: str = "") -> QuerySet[Asset]:
    qs = org_queryset(Asset, organization)
    return qs.filter(kind=kind) if kind else qs


def photo_list(*, organization) -> QuerySet[Asset]:
    return org_queryset(Asset, organization).filter(kind__in=[AssetKind.IMAGE, AssetKind.LOGO])


def edit_history(*, job: VideoJob) -> QuerySet[EditOperation]:
    return job.edits.select_related("user").order_by("-id")


def template_list(*, organization) -> QuerySet[WorkflowTemplate]:
    """Built-in templates and the organization's own."""
    return WorkflowTemplate.objects.filter(Q(organization__isnull=True) | Q(organization=organization))


_SOURCE_WORDS = {
    "uploaded_clip": "the uploaded clip", "generated_clip": "a generated clip", "product_image": "the photo",
    "solid_brand": "the brand background", "llm": "the AI planner", "rules": "the built-in planner",
    "cpu_template": "the animated scenes", "storyboard_stills": "the storyboard stills",  # issue 15's last fallback
}


_ABS_PATH_RE = re.compile(r"(?<![\w.])(?:/[^\s/:'\"()\[\]]+)+/([^\s/:'\"()\[\]]+)")
_TOOL_PREFIX_RE = re.compile(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*")


def _user_safe(text: str) -> str:
    """A trace reason fit for the page: server paths cut to the file's name, FFmpeg's
    ``[h264 @ 0x…]`` prefixes dropped, whitespace collapsed."""
    return " ".join(_TOOL_PREFIX_RE.sub("", _ABS_PATH_RE.sub(r"\1", text)).split())


def job_fallbacks(*, job: VideoJob) -> list[dict]:
    """Every fallback the job's latest render took (from its trace), for the job page and the API:
    ``[{stage, scene, from, to, reason, message}]`` — ``scene`` is the 1-based scene number (None
    for the plan stage), ``message`` a sentence such as "Scene 3 used the photo instead of the
    uploaded clip: clips[0] unusable: …". Empty when the render used everything as planned."""
    trace = job.trace or {}
    entries = trace.get("fallbacks") or []
    if not entries:
        return []
    rendered = ((trace.get("plan") or {}).get("scenes") or []) if isinstance(trace.get("plan"), dict) else []
    numbers = {str(s.get("id")): i for i, s in enumerate(rendered, start=1) if isinstance(s, dict)}
    numbers = numbers or {s.scene_key: s.number for s in job.scenes.all()}
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        reason = _user_safe(str(entry.get("reason") or ""))
        number = None
        head, sep, rest = reason.partition(": ")
        if sep and head.startswith("scene "):
            key = head.removeprefix("scene ").strip()
            number = numbers.get(key) or parse_id(key)
            reason = rest
        used = _SOURCE_WORDS.get(str(entry.get("to")), str(entry.get("to") or "something else"))
        planned = _SOURCE_WORDS.get(str(entry.get("from")), str(entry.get("from") or "the plan"))
        who = f"Scene {number}" if number else {"plan": "The plan", "render": "The video"}.get(str(entry.get("stage")), "A scene")
        verb = "was made by" if entry.get("stage") == "plan" else "used"
        out.append({"stage": str(entry.get("stage") or ""), "scene": number, "from": str(entry.get("from") or ""),
                    "to": str(entry.get("to") or ""),
                    "reason": reason, "message": f"{who} {verb} {used} instead of {planned}: {reason}"})
    return out


def render_quality(*, render: Render, assets: dict[str, Asset] | None = None) -> dict[str, dict]:
    """``{ratio: QualityReport dict}`` of ``render`` (loudness in LUFS, true peak in dBTP, scores
    0..1): the job's trace when ``render`` is its latest, else each MP4's stored checks."""
    trace = render.job.trace or {}
    latest = max((r.number for r in render.job.renders.all()), default=render.number) == render.number
    assets = assets if assets is not None else render_assets(render=render)
    quality = (trace.get("quality") if latest else None) or {r: (a.metadata or {}).get("quality") or {} for r, a in assets.items()}
    return {r: q for r, q in quality.items() if isinstance(q, dict) and q}


def render_findings(*, render: Render, assets: dict[str, Asset] | None = None) -> list[dict]:
    """What the marketer can act on in ``render`` (see :func:`videogen.engine.render.quality.findings`):
    ``[{kind, text, ratios}]``. Reads the job's trace when ``render`` is its latest (scene
    numbers, voiceover and logo notes), else each MP4's stored checks; photos from the render's
    plan snapshot. ``assets``: :func:`render_assets` of the render when already fetched."""
    from .engine.render.quality import findings

    job = render.job
    trace = job.trace or {}
    latest = max((r.number for r in job.renders.all()), default=render.number) == render.number
    quality = render_quality(render=render, assets=assets)
    raw_plan = trace.get("plan") if latest else None
    plan: dict = raw_plan if isinstance(raw_plan, dict) else {}
    scenes = plan.get("scenes") or [
        {"id": s.get("scene_key"), "duration": s.get("duration")} for s in render.plan_snapshot or [] if isinstance(s, dict)]
    notes = [str(n) for st in (trace.get("stages") or []) if latest and isinstance(st, dict) for n in st.get("notes") or []]
    ids = [s.get("image_asset_id") if isinstance(s, dict) and s.get("visual_source") == "product_image" else None
           for s in render.plan_snapshot or []]
    pics = {a.pk: a for a in org_queryset(Asset, job.organization).filter(pk__in=[i for i in ids if isinstance(i, int)])}
    photos = [(n, pics[i].width or 0, pics[i].height or 0) for n, i in enumerate(ids, start=1) if i in pics]
    return findings(quality, scenes=scenes, notes=notes, photos=photos)


def campaign_videos(*, organization, campaign) -> list[VideoJob]:
    """The video jobs of ``campaign`` (made for it, or whose renders its ads use), newest first,
    each with its renders (``job.renders.all()``, newest version first, poster loaded). Two queries."""
    from campaigns.models import Ad

    used = org_queryset(Ad, organization).filter(ad_set__campaign=campaign, creative_render__isnull=False) \
        .values("creative_render__job_id")
    return list(
        org_queryset(VideoJob, organization).filter(Q(campaign=campaign) | Q(pk__in=used))
        .prefetch_related(Prefetch("renders", queryset=Render.objects.select_related("poster").order_by("-number")))
        .order_by("-created_at", "-id")[:50]
    )


def job_ads(*, organization, job: VideoJob) -> list:
    """The campaign ads that use one of ``job``'s renders as their creative (ad set and campaign
    loaded), by render version (newest first) then ad. One query."""
    from campaigns.models import Ad

    return list(
        org_queryset(Ad, organization).filter(creative_render__job=job)
        .select_related("ad_set__campaign", "creative_render").order_by("-creative_render__number", "ad_set_id", "id")
    )


_BRIEF_LABELS = {
    "product_name": "Product", "text_prompt": "Message", "request_type": "Type", "style": "Style", "duration": "Duration",
    "aspect_ratios": "Placements", "call_to_action": "Call to action", "landing_url": "Landing URL",
    "brand.colors": "Brand colours", "brand.logo": "Logo", "brand.logo_position": "Logo position", "brand.font": "Font",
    "voice.engine": "Voiceover", "voice.voice": "Voice", "voice.rate_wpm": "Speaking rate", "music.mood": "Music",
    "music.tempo_bpm": "Music tempo", "images": "Photos", "seed": "Variation", "language": "Language",
    "script": "Script", "source_text": "Source text", "clips": "Clips",
}
_SCENE_FIELDS = (("on_screen_text", "text"), ("subtext", "subtext"), ("voiceover", "voiceover"), ("duration", "duration"))


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, dict) and k in ("brand", "voice", "music"):
            out.update(_flat(v, f"{k}."))
        else:
            out[prefix + k] = v
    return out


def _brief_defaults() -> dict:
    """The brief's optional fields at their defaults (what a brief that leaves them out means), flattened."""
    from pydantic import BaseModel

    from .engine.brief import Brief

    out = {}
    for name, f in Brief.model_fields.items():
        if not f.is_required():
            value = f.get_default(call_default_factory=True)
            out[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return _flat(out)


def _show(value, field: str = "") -> str:
    if field == "music.mood":
        from .engine.render.music import MOOD_LABELS

        return MOOD_LABELS.get(str(value), str(value))
    if value in (None, "", []):
        return "none"
    if field == "duration":
        return f"{float(value):g} s"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    text = str(value)
    return f"“{text[:60]}{'…' if len(text) > 60 else ''}”" if field in ("text", "subtext", "voiceover") or " " in text else text


def _lcs(a: list, b: list) -> set:
    """The items of a longest common subsequence of ``a`` and ``b`` (lists of distinct keys)."""
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            t[i][j] = t[i + 1][j + 1] + 1 if a[i] == b[j] else max(t[i + 1][j], t[i][j + 1])
    out, i, j = set(), 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            out.add(a[i])
            i, j = i + 1, j + 1
        elif t[i + 1][j] >= t[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def version_changes(*, before: Render, after: Render) -> dict:
    """What changed from version ``before`` to ``after`` of one job, for the compare page:
    ``{"scenes": [{scene, change, fields, text}], "brief": [{field, label, before, after, text}], "same": bool}``.

    Scenes are matched by their stable ``scene_key``: ``change`` is ``added``/``removed`` or
    ``edited`` (``fields`` lists ``text``, ``subtext``, ``voiceover``, ``duration``, ``picture``,
    ``animation`` and ``order`` for a scene moved among the others); ``scene`` is its number in
    ``after`` (in ``before`` when removed). ``text`` is a sentence such as "Scene 2: text
    “Hot deal” → “Cold brew”; duration 3 s → 4 s". Brief fields compare the versions' brief
    snapshots (not recorded before this feature: then no brief lines)."""
    old = [s for s in before.plan_snapshot or [] if isinstance(s, dict)]
    new = [s for s in after.plan_snapshot or [] if isinstance(s, dict)]
    old_by = {s.get("scene_key"): (i, s) for i, s in enumerate(old, start=1)}
    new_by = {s.get("scene_key"): (i, s) for i, s in enumerate(new, start=1)}
    common_old = [s.get("scene_key") for s in old if s.get("scene_key") in new_by]
    common_new = [s.get("scene_key") for s in new if s.get("scene_key") in old_by]
    stayed = _lcs(common_old, common_new)  # the scenes that kept their order; the others moved
    scenes = []
    for n, s in enumerate(new, start=1):
        key = s.get("scene_key")
        if key not in old_by:
            scenes.append({"scene": n, "change": "added", "fields": [],
                           "text": f"Scene {n} is new: {_show(s.get('on_screen_text') or s.get('voiceover'), 'text')}."})
            continue
        m, o = old_by[key]
        fields, parts = [], []
        for attr, name in _SCENE_FIELDS:
            if (o.get(attr) or "") != (s.get(attr) or ""):
                fields.append(name)
                parts.append(f"{name} {_show(o.get(attr), name)} → {_show(s.get(attr), name)}")
        layout_o, layout_n = o.get("layout") or {}, s.get("layout") or {}
        if (o.get("visual_source"), o.get("image_asset_id"), layout_o.get("clip")) != (
                s.get("visual_source"), s.get("image_asset_id"), layout_n.get("clip")):
            fields.append("picture")
            parts.append("picture changed")
        if any(layout_o.get(k) != layout_n.get(k) for k in ("motion", "text_animation", "transition")):
            fields.append("animation")
            parts.append("animation changed")
        if key not in stayed:
            fields.append("order")
            parts.append(f"moved from position {m} to {n}")
        if fields:
            scenes.append({"scene": n, "change": "edited", "fields": fields, "text": f"Scene {n}: " + "; ".join(parts) + "."})
    for key, (m, o) in old_by.items():
        if key not in new_by:
            what = _show(o.get("on_screen_text") or o.get("voiceover"), "text")
            scenes.append({"scene": m, "change": "removed", "fields": [], "text": f"Scene {m} of v{before.number} was removed: {what}."})
    brief = []
    if before.brief_snapshot and after.brief_snapshot:
        defaults = _brief_defaults()
        fb, fa = {**defaults, **_flat(before.brief_snapshot)}, {**defaults, **_flat(after.brief_snapshot)}
        for field in sorted(set(fb) | set(fa), key=lambda f: list(_BRIEF_LABELS).index(f) if f in _BRIEF_LABELS else 99):
            if fb.get(field) != fa.get(field):
                label = _BRIEF_LABELS.get(field, field.replace("_", " ").replace(".", " ").capitalize())
                kind = field if field in ("duration", "music.mood") else ""
                brief.append({"field": field, "label": label, "before": fb.get(field), "after": fa.get(field),
                              "text": f"{label}: {_show(fb.get(field), kind)} → {_show(fa.get(field), kind)}"})
    return {"scenes": scenes, "brief": brief, "same": not scenes and not brief}


def with_photo_warnings(scenes: list[Scene], ratios) -> list[Scene]:
    """``scenes`` with ``scene.photo_warnings`` set: one sentence
    (:func:`videogen.uploads.photo_size_summary`) for a scene showing a photo too small for one of
    ``ratios`` ("… will look soft …"); [] otherwise. No query (``scene.image`` is loaded)."""
    from .uploads import asset_warnings, photo_size_summary

    for scene in scenes:
        image = scene.image if scene.image_id and scene.visual_source == "product_image" else None
        summary = photo_size_summary(asset_warnings(image, ratios)) if image is not None else ""
        scene.photo_warnings = [summary] if summary else []
    return scenes
