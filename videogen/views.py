"""Video Studio pages: the Generate Video Ad wizard (brief → storyboard → render → preview)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kolony.core.request_validation import parse_id, query_params
from kolony.core.service_errors import apply_service_errors, errors_as_text
from kolony.tenancy import current_membership, get_for_org_or_404, org_required, role_can
from videogen.engine.render.formats import RATIOS

from . import credits, generation, selectors, services, voice_brief
from .forms import PLACEMENTS, BriefForm
from .models import Asset, AssetKind, VideoJob


def _org(request):
    return current_membership(request).organization


@org_required("view")
def studio(request):
    org = _org(request)
    jobs = selectors.video_job_list(organization=org, status=request.GET.get("status", ""))[:60]
    return render(request, "videogen/studio.html", {
        "jobs": jobs, "templates": selectors.template_list(organization=org),
        "can_edit": role_can(current_membership(request).role, "edit"),
    })


@org_required("edit")
def job_new(request):
    org = _org(request)
    templates = selectors.template_list(organization=org)
    template = None
    template_id = request.POST.get("template") or request.GET.get("template")
    if template_id:
        template = templates.filter(pk=pk).first() if (pk := parse_id(template_id)) else None
        if template is None:
            raise Http404("No such template.")
    initial = {**services.brand_kit_defaults(organization=org), **(template.parameters if template else {}),
               "template": template.pk if template else None}
    all_voices = (request.POST or request.GET).get("voices") == "all"
    form = BriefForm(request.POST or None, organization=org, initial=initial, all_voices=all_voices)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.video_job_create(organization=org, user=request.user, brief_data=form.brief_data(),
                                            template=template, title=form.cleaned_data.get("title", ""),
                                            campaign_id=form.cleaned_data.get("campaign"))
        except ValidationError as exc:
            apply_service_errors(form, exc, {"music.mood": "music_mood", "music.tempo_bpm": "music_tempo",
                                             "voice.voice": "voice", "voice.engine": "voice"})
        else:
            if form.cleaned_data.get("generated_scenes") == "all" and generation.gpu_available():
                generation.job_generate_all(job=job, user=request.user)
            messages.success(request, "Scene plan ready. Edit the storyboard, then render.")
            return redirect("videogen:job", job.pk)
    photos = selectors.photo_list(organization=org).filter(kind=AssetKind.IMAGE)[:40]
    return render(request, "videogen/job_new.html", {
        "form": form, "templates": templates, "template": template, "photos": photos, "placements": PLACEMENTS,
        "selected_images": form.selected_image_ids(),
        "voice_samples_json": json.dumps(form.voice_samples), "gpu_alive": generation.gpu_available(),
        # voice briefs (issue 15): "Record a voice brief" only while a GPU worker that can transcribe is alive
        "voice_brief_alive": voice_brief.transcription_available(), "voice_brief_timeout_s": int(voice_brief.timeout_s()),
    })


def _job_context(request, job: VideoJob, **extra) -> dict:
    renders = list(job.renders.all())
    latest = renders[0] if renders else None
    membership = current_membership(request)
    org = membership.organization
    latest_assets = selectors.render_assets(render=latest) if latest else {}
    return {
        "job": job, "scenes": selectors.with_photo_warnings(list(job.scenes.all()), list(job.brief.get("aspect_ratios") or RATIOS)),
        "renders": renders, "latest": latest,
        "latest_assets": latest_assets,
        "findings": selectors.render_findings(render=latest, assets=latest_assets) if latest else [],
        "quality": selectors.render_quality(render=latest, assets=latest_assets) if latest else {},
        "ratios": list(job.brief.get("aspect_ratios") or RATIOS),
        "total_duration": round(sum(s.duration_seconds for s in job.scenes.all()), 2),
        "history": selectors.edit_history(job=job)[:15], "photos": selectors.photo_list(organization=org)[:40],
        "clips": selectors.asset_list(organization=org, kind=AssetKind.VIDEO)[:20],
        "can_edit": role_can(membership.role, "edit"), "placements": dict(PLACEMENTS),
        "can_submit": role_can(membership.role, "submit"),  # review: submit a version (videogen/review/)
        # issue 17: what earlier tests changed in this plan (job.trace["learnings"]) and the variant tests made from it
        "learning_notes": (job.trace or {}).get("learnings") or [],
        "variant_sets": list(job.variant_sets.all()) if not job.variant_set_id else [],
        # generated scenes (issue 15): offered only while a GPU worker is alive; each generated scene's card
        "gpu_alive": generation.gpu_available(), "generated": generation.generated_scene_cards(job=job),
        **extra,
    }


@org_required("view")
def job_detail(request, job_id: int):
    job = selectors.video_job_get(organization=_org(request), job_id=job_id)
    return render(request, "videogen/job_detail.html",
                  _job_context(request, job, render_ads=selectors.job_ads(organization=_org(request), job=job)))


def _after_edit(request, job: VideoJob, error: ValidationError | None = None):
    job = selectors.video_job_get(organization=_org(request), job_id=job.pk)
    errors = errors_as_text(error) if error else []
    if request.htmx:
        response = render(request, "videogen/_storyboard.html", _job_context(request, job, edit_errors=errors))
        if error is not None:
            response.status_code = 409 if "plan_version" in getattr(error, "message_dict", {}) else 400
        return response
    for message in errors:
        messages.error(request, message)
    return redirect("videogen:job", job.pk)


def _edit_view(func):
    """POST-only plan edit: fetch the job in the user's organization, run ``func``, re-render."""

    @org_required("edit")
    @require_POST
    def view(request, job_id: int, **kwargs):
        job = get_for_org_or_404(VideoJob, _org(request), pk=job_id)
        expected = request.POST.get("plan_version")
        try:
            func(request, job, expected_version=parse_id(expected), **kwargs)
        except ValidationError as exc:
            return _after_edit(request, job, exc)
        return _after_edit(request, job)

    view.__name__ = func.__name__
    return view


@_edit_view
def scene_edit(request, job, *, expected_version, scene_key):
    changes = {k: request.POST[k] for k in ("voiceover", "on_screen_text", "subtext", "duration") if k in request.POST}
    services.scene_update(job=job, user=request.user, scene_key=scene_key, changes=changes, expected_version=expected_version)


@_edit_view
def scene_move(request, job, *, expected_version, scene_key):
    try:
        to_index = int(request.POST.get("to", ""))
    except ValueError:
        raise ValidationError({"to": ["Choose where to move the scene."]}) from None
    services.scene_move(job=job, user=request.user, scene_key=scene_key, to_index=to_index, expected_version=expected_version)


@_edit_view
def scene_image(request, job, *, expected_version, scene_key):
    asset = get_for_org_or_404(Asset, _org(request), pk=request.POST.get("asset") or 0)
    services.scene_swap_image(job=job, user=request.user, scene_key=scene_key, asset=asset, expected_version=expected_version)


@_edit_view
def scene_clip(request, job, *, expected_version, scene_key):
    """Form fields: ``shot`` = "<clip asset id>:<start seconds>" (a detected shot), or ``clip`` and
    ``start``; ``cleanup`` (repeatable) ⊂ denoise, color, fps."""
    clip_id, _, start_text = (request.POST.get("shot") or "").partition(":")
    clip_id = clip_id or request.POST.get("clip") or "0"
    start_text = start_text or request.POST.get("start") or "0"
    clip = get_for_org_or_404(Asset, _org(request), pk=parse_id(clip_id) or 0)
    try:
        start = float(start_text)
    except ValueError:
        raise ValidationError({"start": ["Enter the start time in seconds."]}) from None
    services.scene_trim_clip(job=job, user=request.user, scene_key=scene_key, clip=clip, start=start,
                             cleanup=request.POST.getlist("cleanup"), expected_version=expected_version)


@_edit_view
def scene_generate(request, job, *, expected_version, scene_key):
    """Generated scenes (issue 15): ``enabled`` "1" (default) makes the scene a generated clip with
    ``prompt``/``negative_prompt``; "0" turns it back into a template scene."""
    from .generation import scene_set_generation

    scene_set_generation(job=job, user=request.user, scene_key=scene_key, enabled=request.POST.get("enabled", "1") != "0",
                         prompt=request.POST.get("prompt"), negative_prompt=request.POST.get("negative_prompt"),
                         expected_version=expected_version)


@_edit_view
def scene_regenerate(request, job, *, expected_version, scene_key):
    """"Regenerate": a new seed for a generated scene (the next render makes a new clip)."""
    from .generation import scene_regenerate as regenerate

    regenerate(job=job, user=request.user, scene_key=scene_key, expected_version=expected_version)


@_edit_view
def scene_remove(request, job, *, expected_version, scene_key):
    services.scene_remove(job=job, user=request.user, scene_key=scene_key, expected_version=expected_version)


@_edit_view
def scene_add(request, job, *, expected_version):
    services.scene_add(job=job, user=request.user, after_key=request.POST.get("after") or None, expected_version=expected_version)


@_edit_view
def plan_undo(request, job, *, expected_version):
    services.edit_undo(job=job, user=request.user, expected_version=expected_version)


def _job_action(request, job_id: int, action, done: str):
    """Runs a render-queue action on one of the organization's jobs and flashes the outcome."""
    job = get_for_org_or_404(VideoJob, _org(request), pk=job_id)
    try:
        action(job=job, user=request.user)
    except ValidationError as exc:
        for message in errors_as_text(exc):
            messages.error(request, message)
    except credits.RenderRefused as exc:
        messages.error(request, credits.refusal_html(reason=str(exc), job_url=job_url(job)))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(f"{job_url(job)}#render")


@org_required("edit")
@require_POST
def job_render(request, job_id: int):
    return _job_action(request, job_id, services.video_job_enqueue_render, "Render queued.")


@org_required("edit")
@require_POST
def job_cancel(request, job_id: int):
    return _job_action(request, job_id, services.video_job_cancel, "Render cancelled.")


@org_required("edit")
@require_POST
def job_save_template(request, job_id: int):
    job = get_for_org_or_404(VideoJob, _org(request), pk=job_id)
    try:
        template = services.workflow_template_save(job=job, user=request.user, name=request.POST.get("name", ""))
    except ValidationError as exc:
        for message in errors_as_text(exc):
            messages.error(request, message)
    else:
        messages.success(request, f"Saved template “{template.name}”.")
    return redirect("videogen:job", job.pk)


def job_url(job: VideoJob) -> str:
    from django.urls import reverse

    return reverse("videogen:job", args=[job.pk])


class CompareQueryForm(forms.Form):
    """``?a=&b=`` render version numbers, ``?ratio=`` a format (e.g. 9:16)."""

    a = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    b = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    ratio = forms.CharField(required=False, max_length=10)


@org_required("view")
def job_compare(request, job_id: int):
    job = selectors.video_job_get(organization=_org(request), job_id=job_id)
    query = query_params(request, CompareQueryForm)
    renders = {r.number: r for r in job.renders.all()}
    if len(renders) < 1:
        raise Http404("No renders yet.")
    numbers = sorted(renders)
    a = query.get("a") or (numbers[-2] if len(numbers) > 1 else numbers[-1])
    b = query.get("b") or numbers[-1]
    if a not in renders or b not in renders:
        raise Http404("No such version.")
    ratio = query.get("ratio") or next(iter(renders[b].outputs), "9:16")
    sides = []
    for number in (a, b):
        assets = selectors.render_assets(render=renders[number])
        sides.append({"render": renders[number], "asset": assets.get(ratio)})
    changes = selectors.version_changes(before=renders[a], after=renders[b]) if a != b else None
    return render(request, "videogen/compare.html", {"job": job, "sides": sides, "numbers": numbers, "ratio": ratio,
                                                     "changes": changes,
                                                     "ratios": sorted({r for x in renders.values() for r in x.outputs})})


def keyframe(request, job_id: int, ratio_slug: str, number: int):
    """One storyboard keyframe (PNG) of the job's current plan: served by the one media view (its
    own sign-in and tenancy checks)."""
    from kolony.core.media import media_view

    return media_view(request, "keyframe", f"{job_id}/{ratio_slug}/{number}")


def asset_download(request, asset_id: int):
    """An asset's bytes (``?download=1`` saves it): served by the one media view (its own sign-in
    — session or API token — and tenancy checks)."""
    from kolony.core.media import media_view

    return media_view(request, "asset", str(asset_id))


@org_required("edit")
@require_POST
def asset_upload(request):
    """Upload from the wizard's drop zone (fetch with the CSRF header); answers JSON."""
    from django.http import JsonResponse

    from .uploads import asset_create_from_upload

    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"detail": "Choose a file to upload.", "errors": {"file": ["No file was sent."]}}, status=400)
    try:
        asset = asset_create_from_upload(organization=_org(request), user=request.user, upload=upload,
                                         kind=request.POST.get("kind") or None)
    except ValidationError as exc:
        return JsonResponse({"detail": exc.messages[0], "errors": {"file": exc.messages}}, status=400)
    from django.urls import reverse

    from .engine.render.formats import RATIOS
    from .uploads import asset_warnings

    ratios = [r for r in request.POST.getlist("aspect_ratios") if r in RATIOS] or None
    return JsonResponse({"id": asset.pk, "name": asset.original_name, "kind": asset.kind,
                         "url": reverse("videogen:asset_download", args=[asset.pk]), "width": asset.width, "height": asset.height,
                         "warnings": [w["message"] for w in asset_warnings(asset, ratios)]},
                        status=201)


@org_required("view")
def brand_kit(request):
    """The organization's brand kit: colours, logo, font, default voice and call to action."""
    from .forms import BrandKitForm
    from .models import BrandKit
    from .uploads import asset_create_from_upload

    org = _org(request)
    kit = BrandKit.objects.filter(organization=org).select_related("default_voice", "logo").first()
    initial = {}
    if kit:
        initial = {"primary_color": (kit.colors or ["#1E3A8A"])[0], "accent_color": (kit.colors + ["", ""])[1] or "#F59E0B",
                   "logo": kit.logo_id, "logo_position": kit.logo_position, "font": kit.font,
                   "default_voice": kit.default_voice.engine_voice_id if kit.default_voice else "",
                   "default_call_to_action": kit.default_call_to_action}
    form = BrandKitForm(request.POST or None, request.FILES or None, organization=org, initial=initial)
    if request.method == "POST":
        if not role_can(current_membership(request).role, "edit"):
            raise PermissionDenied("Your role cannot change the brand kit.")
        if form.is_valid():
            d = form.cleaned_data
            try:
                logo = None
                if d.get("logo_file"):
                    logo = asset_create_from_upload(organization=org, user=request.user, upload=d["logo_file"], kind=AssetKind.LOGO)
                elif d.get("logo"):
                    logo = get_for_org_or_404(Asset, org, pk=d["logo"])
                services.brand_kit_update(organization=org, user=request.user, colors=[d["primary_color"], d["accent_color"]],
                                          logo=logo, logo_position=d["logo_position"], font=d.get("font", ""),
                                          default_voice_id=d.get("default_voice", ""),
                                          default_call_to_action=d.get("default_call_to_action", ""))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Brand kit saved. New video ads start from it.")
                return redirect("videogen:brand_kit")
    return render(request, "videogen/brand_kit.html", {"form": form, "kit": kit,
                                                       "can_edit": role_can(current_membership(request).role, "edit")})


@org_required("view")
def voice_sample(request, voice_id: int):
    """A short spoken sample of a library voice (WAV), made on first request."""
    from .library import voice_sample as make_sample
    from .models import Voice

    voice = Voice.objects.filter(pk=voice_id, is_active=True).first()
    if voice is None:
        raise Http404("No such voice.")
    from kolony.core.media import ranged_file_response

    return ranged_file_response(request, make_sample(voice), content_type="audio/wav", filename=f"voice-{voice.pk}.wav",
                                cache_seconds=86400)
