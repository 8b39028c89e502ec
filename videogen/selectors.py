"""Reads for the Video Studio, always scoped to one organization."""

import re

from django.db.models import Prefetch, Q, QuerySet

from kolony.tenancy import get_for_org_or_404, org_queryset

from .models import Asset, AssetKind, EditOperation, Render, Scene, VideoJob, WorkflowTemplate
from .render.formats import RATIOS


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
            number = numbers.get(key) or (int(key) if key.isdigit() else None)
            reason = rest
        used = _SOURCE_WORDS.get(str(entry.get("to")), str(entry.get("to") or "something else"))
        planned = _SOURCE_WORDS.get(str(entry.get("from")), str(entry.get("from") or "the plan"))
        who = f"Scene {number}" if number else ("The plan" if entry.get("stage") == "plan" else "A scene")
        verb = "was made by" if entry.get("stage") == "plan" else "used"
        out.append({"stage": str(entry.get("stage") or ""), "scene": number, "from": str(entry.get("from") or ""),
                    "to": str(entry.get("to") or ""),
                    "reason": reason, "message": f"{who} {verb} {used} instead of {planned}: {reason}"})
    return out
