"""Reads of creative variant tests (issue 17), always scoped to one organization."""

from __future__ import annotations

from django.db.models import QuerySet

from kolony.tenancy import get_for_org_or_404, org_queryset
from videogen.engine.planner.variants import level_label
from videogen.models import Asset, Render, VariantSet, VideoJob
from videogen.review.models import APPROVED_STATES


def variant_set_list(*, organization, job_id: int | None = None) -> QuerySet[VariantSet]:
    """The organization's variant sets, newest first; ``job_id``: those made from that job."""
    qs = org_queryset(VariantSet, organization).select_related("base_job", "ad_set")
    return qs.filter(base_job_id=job_id) if job_id else qs


def variant_set_get(*, organization, set_id: int) -> VariantSet:
    """One variant set of ``organization``; Http404 for another organization's id."""
    return get_for_org_or_404(VariantSet.objects.select_related("base_job", "ad_set", "ad_set__campaign"), organization, pk=set_id)


def variant_jobs(variant_set: VariantSet) -> list[VideoJob]:
    """The set's video jobs in level order (v1, the control, first)."""
    return list(variant_set.jobs.order_by("pk"))


def latest_render(job: VideoJob, states: tuple[str, ...] | None = None) -> Render | None:
    """``job``'s newest version (of those in ``states`` when given), or None."""
    qs = job.renders.all()
    if states is not None:
        qs = qs.filter(review_status__in=states)
    return qs.select_related("poster").order_by("-number").first()


def variant_labels(job: VideoJob, factor: str, values: list[str]) -> list[str]:
    """How ``values`` (levels of ``factor``) read: the photo's file name for ``first_scene_image``."""
    if factor == "first_scene_image":
        ids = [int(v) for v in values if str(v).isdigit()]
        names = dict(org_queryset(Asset, job.organization).filter(pk__in=ids).values_list("pk", "original_name"))
        return [str(names[int(v)]) if str(v).isdigit() and int(v) in names else f"photo {v}" for v in values]
    return [level_label(factor, v) for v in values]


def variant_set_members(variant_set: VariantSet) -> list[dict]:
    """Per variant, in level order: ``{"index" (1 = the control), "job", "level", "label",
    "render" (latest version or None), "approved" (bool), "is_control"}`` — what the set page and
    the API show."""
    out = []
    for i, job in enumerate(variant_jobs(variant_set), start=1):
        render = latest_render(job)
        out.append({"index": i, "job": job, "level": job.variant_level,
                    "label": variant_labels(job, variant_set.factor, [job.variant_level])[0], "render": render,
                    "approved": bool(render and render.review_status in APPROVED_STATES), "is_control": i == 1})
    return out
