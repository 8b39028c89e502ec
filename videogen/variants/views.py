"""Variant test pages (issue 17): "Make variants" on a job (pick a factor, edit the proposed
levels), the variant set page (variants side by side, submit / approve the set, publish it),
thin views over :mod:`videogen.variants.services` and :mod:`videogen.variants.selectors`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kolony.core.request_validation import parse_id
from kolony.core.service_errors import errors_as_text
from kolony.tenancy import current_membership, org_queryset, org_required, role_can
from videogen import selectors as studio_selectors
from videogen.engine.planner.variants import MAX_LEVELS, MIN_LEVELS
from videogen.models import VariantFactor

from . import selectors, services


def _org(request):
    return current_membership(request).organization


@org_required("edit")
def variant_new(request, job_id: int):
    """GET: the factor picker and the proposed levels (``?factor=hook&n=3``); POST: make the set."""
    job = studio_selectors.video_job_get(organization=_org(request), job_id=job_id)
    data = request.POST if request.method == "POST" else request.GET
    factor = data.get("factor") or "hook"
    if factor not in VariantFactor.values:
        raise Http404("No such factor.")
    n = parse_id(data.get("n") or "3") or 3
    n = max(MIN_LEVELS, min(MAX_LEVELS, n))
    errors: list[str] = []
    levels: list[dict] = []
    if request.method == "POST":
        values = [v for v in request.POST.getlist("level")]
        try:
            variant_set = services.variant_set_create(user=request.user, job=job, factor=factor,
                                                      levels=[v for v in values if v.strip()], name=request.POST.get("name", ""))
        except (ValidationError, PermissionDenied) as exc:
            errors = errors_as_text(exc) if isinstance(exc, ValidationError) else [str(exc)]
            levels = [{"value": v, "label": v, "source": "user"} for v in values]
        else:
            messages.success(request, f"Made {variant_set.jobs.count()} variants; each is rendering. Review them here when they are done.")
            return redirect("videogen:variant_set", variant_set.pk)
    else:
        try:
            levels = services.variant_levels_propose(job=job, factor=factor, n=n)
        except ValidationError as exc:
            errors = errors_as_text(exc)
    photos = list(studio_selectors.photo_list(organization=_org(request))[:40]) if factor == "first_scene_image" else []
    return render(request, "videogen/variants/new.html", {
        "job": job, "factor": factor, "factors": VariantFactor.choices, "n": n, "levels": levels, "errors": errors,
        "sizes": range(MIN_LEVELS, MAX_LEVELS + 1), "photos": photos,
    }, status=400 if errors and request.method == "POST" else 200)


@org_required("view")
def variant_set_detail(request, set_id: int):
    from campaigns.choices import Status
    from campaigns.models import AdSet, PlatformConnection, Publication

    org = _org(request)
    variant_set = selectors.variant_set_get(organization=org, set_id=set_id)
    members = selectors.variant_set_members(variant_set)
    role = current_membership(request).role
    renders = [m["render"] for m in members if m["render"]]
    connections = {c.platform: c for c in org_queryset(PlatformConnection, org)}
    ad_sets = [variant_set.ad_set] if variant_set.ad_set_id else list(
        org_queryset(AdSet, org).select_related("campaign").exclude(status=Status.ARCHIVED)
        .exclude(campaign__status=Status.ARCHIVED).order_by("campaign__name", "name")[:200])
    pubs = {}
    for p in org_queryset(Publication, org).filter(render__in=renders).select_related("ad").order_by("id"):
        pubs[p.render_id] = p
    for m in members:
        m["publication"] = pubs.get(m["render"].pk) if m["render"] else None
    return render(request, "videogen/variants/detail.html", {
        "set": variant_set, "members": members, "factor_label": VariantFactor(variant_set.factor).label,
        "all_rendered": all(m["render"] for m in members), "all_approved": all(m["approved"] for m in members),
        "any_in_review": any(m["render"] and m["render"].review_status == "in_review" for m in members),
        "any_draft": any(m["render"] and m["render"].review_status in ("draft", "changes_requested") for m in members),
        "can_submit": role_can(role, "submit"), "can_review": role_can(role, "review"), "can_publish": role_can(role, "publish"),
        "ad_sets": ad_sets, "connections": connections,
        "platforms": [(v, label, connections.get(v)) for v, label in (("meta", "Meta"), ("google", "Google"))],
    })


def _set_action(request, set_id: int, action, done: str):
    variant_set = selectors.variant_set_get(organization=_org(request), set_id=set_id)
    try:
        action(variant_set)
    except ValidationError as exc:
        for line in errors_as_text(exc):
            messages.error(request, line)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("videogen:variant_set", variant_set.pk)


@org_required("view")
@require_POST
def variant_set_submit(request, set_id: int):
    return _set_action(request, set_id, lambda s: services.variant_set_submit(user=request.user, variant_set=s),
                       "Every variant is in review.")


@org_required("view")
@require_POST
def variant_set_approve(request, set_id: int):
    return _set_action(request, set_id, lambda s: services.variant_set_approve(
        user=request.user, variant_set=s, comment=request.POST.get("comment", "")), "Approved every variant in review.")


@org_required("view")
@require_POST
def variant_set_publish(request, set_id: int):
    from campaigns.models import AdSet

    def publish(variant_set):
        ad_set_id = parse_id(request.POST.get("ad_set"))
        ad_set = org_queryset(AdSet, _org(request)).filter(pk=ad_set_id).first() if ad_set_id else None
        if ad_set is None:
            raise ValidationError({"ad_set": ["Choose one of your ad sets."]})
        services.variant_set_publish(user=request.user, variant_set=variant_set, ad_set=ad_set,
                                     platform=request.POST.get("platform", ""))

    return _set_action(request, set_id, publish, "Publishing every variant as sibling ads; follow each below.")
