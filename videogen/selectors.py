"""Reads for the Video Studio, always scoped to one organization."""

from django.db.models import Prefetch, Q, QuerySet

from kolony.tenancy import get_for_org_or_404, org_queryset

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
    """{ratio: Asset} of a render's MP4s."""
    assets = {a.pk: a for a in Asset.objects.filter(pk__in=list(render.outputs.values()), organization_id=render.job.organization_id)}
    return {ratio: assets[pk] for ratio, pk in render.outputs.items() if pk in assets}


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


def voice_list() -> QuerySet[Voice]:
    return Voice.objects.filter(is_active=True)
