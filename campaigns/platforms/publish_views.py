"""Pages of publishing: the Publish form's POST (from an approved render's review page), a
publication's page with live progress and every step, Retry, and Activate / Pause of a published
ad (from the campaign page). Thin: the work is in :mod:`campaigns.platforms.publishing`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Ad, AdSet, Publication
from kolony.core.request_validation import parse_id
from kolony.core.service_errors import errors_as_text
from kolony.tenancy import current_membership, get_for_org_or_404, org_required, role_can
from videogen.models import Render

from . import publishing
from .progress import state_message
from .registry import adapter_for


def _org(request):
    return current_membership(request).organization


def _steps_of(platform: str):
    try:
        return tuple(adapter_for(platform).steps)
    except Exception:  # noqa: BLE001 - the recorded steps, without the adapter's order
        return None


@require_POST
@org_required("publish")
def render_publish(request: HttpRequest, render_id: int) -> HttpResponse:
    org = _org(request)
    render_obj = get_for_org_or_404(Render.objects.select_related("job"), org, pk=render_id)
    back = reverse("videogen:review", args=[render_obj.pk]) + "#publish"
    ad_set_id = parse_id(request.POST.get("ad_set"))
    platform = (request.POST.get("platform") or "").strip()
    if ad_set_id is None:
        messages.error(request, "ad set: Choose the ad set to publish to.")
        return redirect(back)
    ad_set = get_for_org_or_404(AdSet.objects.select_related("campaign"), org, pk=ad_set_id)
    try:
        pub = publishing.publication_create(render=render_obj, ad_set=ad_set, platform=platform, user=request.user,
                                            aspect_ratio=(request.POST.get("aspect_ratio") or "").strip() or None)
    except ValidationError as exc:
        for line in errors_as_text(exc):
            messages.error(request, line)
        return redirect(back)
    messages.success(request, f"Publishing to {pub.platform.capitalize()}: follow each step below.")
    return redirect("campaigns:publication", pub.pk)


@require_GET
@org_required("view")
def publication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pub = get_for_org_or_404(Publication.objects.select_related("render__job", "ad_set__campaign", "ad", "connection"),
                             _org(request), pk=pk)
    state = state_message(pub, _steps_of(pub.platform))
    membership = current_membership(request)
    return render(request, "campaigns/platforms/publication.html", {
        "pub": pub, "state": state, "steps": state["steps"],
        "external": ((pub.ad.external or {}).get(pub.platform) or {}) if pub.ad else {},
        "can_publish": membership is not None and role_can(membership.role, "publish"),
    })


@require_POST
@org_required("publish")
def publication_retry(request: HttpRequest, pk: int) -> HttpResponse:
    pub = get_for_org_or_404(Publication, _org(request), pk=pk)
    try:
        publishing.publication_retry(publication=pub, user=request.user)
        messages.success(request, "Publishing again: the finished steps are kept.")
    except ValidationError as exc:
        for line in errors_as_text(exc):
            messages.error(request, line)
    return redirect("campaigns:publication", pub.pk)


@require_POST
@org_required("publish")
def ad_platform_status(request: HttpRequest, pk: int) -> HttpResponse:
    ad = get_for_org_or_404(Ad.objects.select_related("ad_set__campaign__organization"), _org(request), pk=pk)
    action = request.POST.get("action")
    platform = (request.POST.get("platform") or "").strip()
    back = reverse("campaigns:detail", args=[ad.ad_set.campaign_id]) + f"#ad-{ad.pk}"
    if action not in ("activate", "pause"):
        messages.error(request, "action: Expected activate or pause.")
        return redirect(back)
    try:
        status = publishing.ad_platform_status_change(ad=ad, platform=platform, active=action == "activate", user=request.user)
        messages.success(request, f"“{ad.name}” is now {status.lower()} on {platform.capitalize()}.")
    except (ValidationError, PermissionDenied) as exc:
        lines = errors_as_text(exc) if isinstance(exc, ValidationError) else [str(exc)]
        for line in lines:
            messages.error(request, line)
    return redirect(back)
