"""Writes of creative variant tests (issue 17): propose the levels of a factor, make the variant set
(one video job per level, identical but for that factor, same seed, each queued to render), send
the set for review, approve it in one go, and publish it as sibling ads in one ad set.

Errors: ``ValidationError`` naming the field (``factor``, ``levels``, ``levels[2]``, ``job``,
``ad_set``, ``platform``…); ``PermissionDenied`` for a role that may not; review and publishing
conflicts (:class:`videogen.review.services.ReviewConflict`,
:class:`campaigns.platforms.publishing.PublishConflict`) when a variant is in the wrong state.
Every write is atomic: when one variant fails, nothing of the set is saved.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kolony.accounts.services import audit_log
from kolony.tenancy import membership_for_user, org_queryset, role_can
from videogen.engine.planner.variants import (
    FACTORS,
    LAYOUTS,
    MAX_LEVELS,
    MIN_LEVELS,
    MUSIC_MOODS,
    Level,
    hook_texts,
    propose_levels,
)
from videogen.models import Asset, AssetKind, JobStatus, Render, VariantFactor, VariantSet, VariantSetStatus, VideoJob
from videogen.review.models import ReviewStatus
from videogen.variants.selectors import latest_render, variant_jobs, variant_labels

#: Short factor names used in job titles and ad names ("Aurora — hook: Tired of bitter coffee? (v1)").
FACTOR_SHORT = {"hook": "hook", "voice": "voice", "call_to_action": "CTA", "music_mood": "music",
                "layout_family": "layout", "first_scene_image": "first photo"}
#: Longest level per factor (characters): the hook is shown on screen (120), a CTA fits the
#: end card and the platforms' buttons (40, the brief's own limit).
MAX_LEVEL_CHARS = {"hook": 120, "call_to_action": 40, "voice": 40}
#: Review states from which a variant counts as approved for publishing.
PUBLISHABLE = ("approved", "published", "publish_failed", "publishing")


def _require(user, organization, capability: str, verb: str) -> None:
    membership = membership_for_user(user, organization.pk)
    if membership is None:
        raise PermissionDenied("You are not a member of this organization.")
    if not role_can(membership.role, capability):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot {verb}.")


def _engine_inputs(job: VideoJob, workdir: Path):
    """(brief, plan) of ``job`` for the engine (photos copied into ``workdir``)."""
    from videogen.plan_store import images_for_snapshot, plan_from_snapshot, plan_snapshot
    from videogen.services import brief_for_engine, brief_image_ids

    snapshot = plan_snapshot(job)
    if not snapshot:
        raise ValidationError({"job": [f"‘{job.title}’ has no scene plan yet; plan it before making variants."]})
    image_ids = images_for_snapshot(brief_image_ids(job.brief), snapshot)
    brief = brief_for_engine(organization=job.organization, data=job.brief, workdir=workdir, image_asset_ids=image_ids)
    plan = plan_from_snapshot(snapshot, seed=brief.seed, planner=job.planner, image_asset_ids=image_ids)
    return brief, plan, image_ids


def _check_factor(factor: str) -> str:
    if factor not in FACTORS:
        raise ValidationError({"factor": [f"Unknown factor {factor!r}; choose one of: "
                                          f"{', '.join(str(label) for label in VariantFactor.labels)}."]})
    return factor


def variant_levels_propose(*, job: VideoJob, factor: str, n: int = 3) -> list[dict]:
    """The planner's proposal for a test of ``factor`` on ``job``: ``n`` (2–5) levels as dicts
    ``{"value", "label", "kind", "source"}``, the control (the job's current value) first. For
    ``first_scene_image`` the value is the photo's asset id. Uses the LLM planner's endpoint for
    copy factors when ``KOLONY_LLM_URL`` is set. Raises ValidationError on ``factor`` / ``n``."""
    from videogen.selectors import voice_list

    _check_factor(factor)
    if not MIN_LEVELS <= int(n) <= MAX_LEVELS:
        raise ValidationError({"levels": [f"A variant test has {MIN_LEVELS}–{MAX_LEVELS} levels (you asked for {n})."]})
    from videogen.services import llm_endpoint

    cfg = llm_endpoint()
    with tempfile.TemporaryDirectory(prefix="kolony-variants-") as tmp:
        brief, plan, image_ids = _engine_inputs(job, Path(tmp))
        lang = brief.language.split("-")[0]
        voices = [v.engine_voice_id for v in voice_list() if v.engine_voice_id.split("-")[0] == lang] or None
        levels = propose_levels(brief, plan, factor, int(n), voices=voices, llm=cfg if cfg.get("url") else None)
    out = []
    for lv in levels:
        d = lv.to_dict()
        if factor == "first_scene_image":
            asset_id = image_ids[int(lv.value)] if lv.value.isdigit() and int(lv.value) < len(image_ids) else None
            if asset_id is None:
                continue
            d["value"] = str(asset_id)
        out.append(d)
    if factor == "first_scene_image":
        names = dict(org_queryset(Asset, job.organization).filter(pk__in=[int(d["value"]) for d in out])
                     .values_list("pk", "original_name"))
        for d in out:
            d["label"] = names.get(int(d["value"])) or d["label"]
    return out


def _clean_levels(*, job: VideoJob, factor: str, levels: list[Any]) -> list[str]:
    """Each level's value, stripped and checked for ``factor``; ValidationError on ``levels`` /
    ``levels[i]`` naming the problem."""
    if not isinstance(levels, list | tuple):
        raise ValidationError({"levels": ["Give the levels as a list."]})
    values = [" ".join(str(lv.get("value", "") if isinstance(lv, dict) else lv).split()) for lv in levels]
    if not MIN_LEVELS <= len(values) <= MAX_LEVELS:
        raise ValidationError({"levels": [f"A variant test has {MIN_LEVELS}–{MAX_LEVELS} levels (you gave {len(values)}): "
                                          "fewer can't be compared, more split the budget too thin."]})
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    photos = {str(a.pk): a for a in org_queryset(Asset, job.organization).filter(
        kind__in=(AssetKind.IMAGE, AssetKind.LOGO, AssetKind.INTERMEDIATE),
        pk__in=[int(v) for v in values if v.isdigit() and len(v) < 19])} if factor == "first_scene_image" else {}
    for i, value in enumerate(values):
        key = f"levels[{i}]"
        limit = MAX_LEVEL_CHARS.get(factor)
        if not value:
            errors[key] = [f"Level {i + 1} is empty."]
        elif value.casefold() in seen:
            errors[key] = [f"Level {i + 1} is the same as level {seen[value.casefold()] + 1} (“{value}”): each level must differ."]
        elif limit and len(value) > limit:
            errors[key] = [f"Level {i + 1} is {len(value)} characters; a {FACTOR_SHORT[factor]} has at most {limit}."]
        elif factor == "music_mood" and value not in (*MUSIC_MOODS, "none"):
            errors[key] = [f"“{value}” is not a music mood; choose from {', '.join(MUSIC_MOODS)} or none."]
        elif factor == "layout_family" and value not in LAYOUTS:
            errors[key] = [f"“{value}” is not a layout family; choose from {', '.join(LAYOUTS)}."]
        elif factor == "first_scene_image" and value not in photos:
            errors[key] = [f"Level {i + 1}: no photo with id {value!r} in this organization."]
        elif factor == "voice" and not _voice_installed(value):
            errors[key] = [f"“{value}” is not an installed voice (see Voices in the wizard)."]
        seen.setdefault(value.casefold(), i)
    if errors:
        raise ValidationError(errors)
    return values


def _voice_installed(voice_id: str) -> bool:
    from videogen.models import Voice

    active = Voice.objects.filter(is_active=True)
    return not active.exists() or active.filter(engine_voice_id__in=[voice_id, voice_id.split("+")[0]]).exists()


def _apply_level(factor: str, value: str, brief: dict, snapshot: list[dict]) -> None:
    """Changes ``factor`` to ``value`` in a copy of a job's brief and plan snapshot (in place)."""
    if factor == "hook":
        i = next((k for k, s in enumerate(snapshot) if s["role"] == "hook"), 0)
        snapshot[i]["voiceover"], snapshot[i]["on_screen_text"] = hook_texts(value)
    elif factor == "voice":
        brief["voice"] = {**(brief.get("voice") or {}), "voice": value}
    elif factor == "call_to_action":
        old = str(brief.get("call_to_action") or "")
        brief["call_to_action"] = value
        for scene in snapshot:
            for field, limit in (("on_screen_text", 120), ("subtext", 160), ("voiceover", 400)):
                text = scene.get(field) or ""
                if old and old in text:
                    scene[field] = text.replace(old, value)[:limit]
            if scene["role"] == "end_card" and old not in (scene.get("on_screen_text") or "x"):
                scene["on_screen_text"] = value
    elif factor == "music_mood":
        brief["music"] = {**(brief.get("music") or {}), "mood": value}
    elif factor == "layout_family":
        for scene in snapshot:
            scene["layout"] = {**(scene.get("layout") or {}), "layout": value}
    elif factor == "first_scene_image":
        snapshot[0]["image_asset_id"] = int(value)
        snapshot[0]["visual_source"] = "product_image"


def variant_name(*, base_title: str, factor: str, label: str, index: int) -> str:
    """The name a variant goes by, in the Studio and as the ad's name on the platform (so Ads
    Manager shows factor and level): ``"Aurora — hook: Tired of bitter coffee? (v1)"``; ``index``
    counts from 1 (v1 is the control). At most 190 characters (the level is shortened first)."""
    tail = f" (v{index})"
    head = f"{base_title} — {FACTOR_SHORT.get(factor, factor)}: "
    room = 190 - len(head) - len(tail)
    label = label if len(label) <= room else label[: max(10, room - 1)].rstrip() + "…"
    return (head + label + tail)[:190]


@transaction.atomic
def variant_set_create(*, user, job: VideoJob, factor: str, levels: list[Any], name: str = "", enqueue: bool = True) -> VariantSet:
    """Makes a variant set of ``job``: one new video job per level (2–5; strings or
    ``{"value": ...}`` dicts), each a copy of ``job``'s brief and current plan (same seed) with only
    ``factor`` set to that level, linked to the set (``variant_set``, ``variant_level``) and —
    with ``enqueue`` — queued to render (credits are reserved per variant). The first level is the
    control (v1): the other variants' renders point at its render (``Render.variant_of``).

    Raises ValidationError on ``factor`` (unknown), ``levels`` (1 or more than 5, not a list),
    ``levels[i]`` (empty, a duplicate, too long, not a mood/layout/voice/photo of this
    organization), ``job`` (another organization's, or without a plan) or ``plan`` (the changed
    plan does not validate); PermissionDenied for a role without ``edit`` or when credits refuse.
    Nothing is saved when it raises."""
    from videogen.plan_store import plan_snapshot, replace_scenes
    from videogen.services import _validate_snapshot, video_job_enqueue_render

    organization = job.organization
    if membership_for_user(user, organization.pk) is None:
        raise ValidationError({"job": ["No video job with this id in your organization."]})
    _require(user, organization, "edit", "make variants")
    _check_factor(factor)
    base = VideoJob.objects.select_for_update().filter(pk=job.pk, organization=organization).first()
    if base is None:
        raise ValidationError({"job": ["No video job with this id in your organization."]})
    if base.variant_set_id is not None:
        raise ValidationError({"job": [f"‘{base.title}’ is itself a variant; make variants of the original job."]})
    snapshot = plan_snapshot(base)
    if not snapshot:
        raise ValidationError({"job": [f"‘{base.title}’ has no scene plan yet; plan it before making variants."]})
    values = _clean_levels(job=base, factor=factor, levels=list(levels) if isinstance(levels, list | tuple) else levels)
    labels = variant_labels(base, factor, values)
    factor_label = VariantFactor(factor).label
    variant_set = VariantSet.objects.create(
        organization=organization, base_job=base, factor=factor, created_by=user,
        name=(" ".join((name or "").split()) or f"{base.title}: {factor_label.lower()} test")[:160])
    jobs = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True), start=1):
        brief, snap = copy.deepcopy(base.brief), copy.deepcopy(snapshot)
        _apply_level(factor, value, brief, snap)
        variant = VideoJob.objects.create(
            organization=organization, created_by=user, campaign=base.campaign,
            title=variant_name(base_title=base.title, factor=factor, label=label, index=i)[:120],
            brief=brief, planner=base.planner, phase="planned", status=JobStatus.PENDING,
            variant_set=variant_set, variant_level=value[:200],
            trace={"planner": base.planner, "variant": {"set": variant_set.pk, "of_job": base.pk, "factor": factor,
                                                        "level": value, "index": i, "control": i == 1}})
        replace_scenes(variant, snap)
        try:
            _validate_snapshot(variant, snap)
        except ValidationError as exc:
            raise ValidationError({f"levels[{i - 1}]": [f"Level {i} makes an invalid plan: {m}" for m in exc.messages]}) from None
        jobs.append(variant)
    audit_log(organization=organization, actor=user, action="variant_set.created", target=variant_set,
              metadata={"factor": factor, "levels": values, "base_job": base.pk, "jobs": [j.pk for j in jobs]})
    if enqueue:
        for variant in jobs:
            video_job_enqueue_render(job=variant, user=user)
    return variant_set


def label_variant_render(render: Render) -> None:
    """Labels a new render of a variant job (called by :mod:`videogen.rendering` as it stores the
    version, inside its transaction): ``variant_factor``, ``variant_level`` and ``variant_of`` (the
    control's latest render; for the control's own render, the other variants' renders still
    without one get it)."""
    job = render.job
    if not job.variant_set_id:
        return
    variant_set = VariantSet.objects.get(pk=job.variant_set_id)
    control = variant_set.jobs.order_by("pk").first()
    render.variant_factor = variant_set.factor
    render.variant_level = job.variant_level
    if control is not None and control.pk != job.pk:
        render.variant_of = latest_render(control)
    render.save(update_fields=["variant_factor", "variant_level", "variant_of"])
    if control is not None and control.pk == job.pk:
        Render.objects.filter(job__variant_set=variant_set, variant_of__isnull=True).exclude(job=job).update(variant_of=render)


@transaction.atomic
def variant_set_submit(*, user, variant_set: VariantSet) -> list[Render]:
    """Sends every variant's latest version (draft or changes requested) for review through
    :func:`videogen.review.services.render_submit` (policy checks, notifications). Raises
    PermissionDenied (role), ValidationError on ``variants`` when a variant has no render yet, or
    ReviewConflict when none is left to submit."""
    from videogen.review.services import ReviewConflict, render_submit

    _require(user, variant_set.organization, "submit", "submit renders for review")
    jobs = variant_jobs(variant_set)
    missing = [j.variant_level for j in jobs if latest_render(j) is None]
    if missing:
        raise ValidationError({"variants": [f"Not every variant is rendered yet ({len(missing)} of {len(jobs)} still rendering: "
                                             f"{', '.join(missing[:3])}); wait for them, then submit the set."]})
    submitted = []
    for j in jobs:
        render = latest_render(j)
        if render is not None and render.review_status in (ReviewStatus.DRAFT, ReviewStatus.CHANGES_REQUESTED):
            submitted.append(render_submit(render=render, user=user))
    if not submitted:
        raise ReviewConflict({"variants": ["Every variant is already in review or approved; there is nothing to submit."]},
                             current_state="in_review")
    audit_log(organization=variant_set.organization, actor=user, action="variant_set.submitted", target=variant_set,
              metadata={"renders": [r.pk for r in submitted]})
    return submitted


@transaction.atomic
def variant_set_approve(*, user, variant_set: VariantSet, comment: str = "") -> list[Render]:
    """Approves every variant whose latest version is in review, each through
    :func:`videogen.review.services.render_approve` (same role check, second-pair-of-eyes rule,
    blocking policy findings, freezing and notifications as one by one); one audit entry for the
    set. All or nothing: when one variant can't be approved, none is. Raises PermissionDenied
    (role, second pair of eyes), ReviewConflict (no variant in review; blocking findings)."""
    from videogen.review.services import ReviewConflict, render_approve

    _require(user, variant_set.organization, "review", "approve renders")
    in_review = [r for r in (latest_render(j) for j in variant_jobs(variant_set)) if r and r.review_status == ReviewStatus.IN_REVIEW]
    if not in_review:
        raise ReviewConflict({"variants": ["No variant of this set is in review; submit the set for review first."]},
                             current_state="draft")
    approved = [render_approve(render=r, user=user, comment=comment) for r in in_review]
    audit_log(organization=variant_set.organization, actor=user, action="variant_set.approved", target=variant_set,
              metadata={"renders": [r.pk for r in approved], "versions": [r.number for r in approved]})
    return approved


@transaction.atomic
def variant_set_publish(*, user, variant_set: VariantSet, ad_set, platform: str) -> list:
    """Publishes every variant as a sibling ad in ``ad_set`` on ``platform`` (same targeting and
    budget): one :func:`campaigns.platforms.publishing.publication_create` per variant, each ad
    named by :func:`variant_name` so the platform's UI shows factor and level. The first publish
    fixes ``ad_set`` and ``first_published_at`` (the start of the comparison window; a later
    publish never moves it) and sets the status to running. Publishing again (after a variant's
    push failed) queues only what is not live yet; a failed push is resumed, never doubled.

    Refuses (PublishConflict, nothing queued) unless every variant has an approved version;
    ValidationError on ``ad_set`` (another organization's, or not the set's ad set once running)
    and whatever ``publication_create`` raises (platform not connected, ratio…). Returns the
    publications in level order."""
    from campaigns import services as campaign_services
    from campaigns.choices import Status
    from campaigns.models import AdSet, Publication
    from campaigns.platforms.publishing import PublishConflict, _check_role, placement_ratio, publication_create

    organization = variant_set.organization
    _check_role(user=user, organization=organization)
    locked = VariantSet.objects.select_for_update().get(pk=variant_set.pk)
    ad_set = AdSet.objects.select_related("campaign").filter(pk=getattr(ad_set, "pk", ad_set), campaign__organization=organization).first()
    if ad_set is None:
        raise ValidationError({"ad_set": ["No ad set with this id in your organization."]})
    if locked.ad_set_id and locked.ad_set_id != ad_set.pk:
        raise ValidationError({"ad_set": [f"This set already runs in the ad set “{locked.ad_set}”: its variants must stay "
                                          "siblings in one ad set to be compared. Publish it there."]})
    jobs = variant_jobs(locked)
    renders = [(j, latest_render(j, PUBLISHABLE)) for j in jobs]
    waiting = [j for j, r in renders if r is None]
    if waiting:
        states = []
        for j in waiting:
            last = latest_render(j)
            states.append(f"v{jobs.index(j) + 1} ({last.get_review_status_display().lower() if last else 'not rendered'})")
        raise PublishConflict({"variants": [f"Every variant must be approved before the set is published; not yet: {', '.join(states)}."]},
                              current_state="not_approved")
    base_title = locked.base_job.title
    publications = []
    for i, (job, render) in enumerate(renders, start=1):
        if render is None:  # unreachable: checked above
            continue
        ratio = placement_ratio(render=render, ad_set=ad_set, platform=platform)
        name = variant_name(base_title=base_title, factor=locked.factor, label=variant_labels(job, locked.factor, [job.variant_level])[0],
                            index=i)
        ad = ad_set.ads.exclude(status=Status.ARCHIVED).filter(creative_render=render, creative_ratio=ratio).order_by("id").first()
        if ad is not None and ((ad.external or {}).get(platform) or {}).get("id"):  # already live: publishing again skips it
            done = Publication.objects.filter(render=render, ad_set=ad_set, platform=platform).order_by("-id").first()
            if done is not None:
                publications.append(done)
            continue
        if ad is None:
            taken = {n.lower() for n in ad_set.ads.values_list("name", flat=True)}
            unique, k = name, 2
            while unique.lower() in taken:
                unique, k = f"{name} ({k})", k + 1
            brief = job.brief or {}
            campaign_services.ad_create(
                ad_set=ad_set, actor=user, name=unique[:200], creative_render=render.pk, creative_ratio=ratio,
                headline=str(brief.get("product_name") or job.title)[:255], destination_url=str(brief.get("landing_url") or ""))
        publications.append(publication_create(render=render, ad_set=ad_set, platform=platform, user=user, aspect_ratio=ratio))
    if locked.first_published_at is None:
        locked.first_published_at = timezone.now()
    locked.ad_set = ad_set
    if locked.status == VariantSetStatus.DRAFT:
        locked.status = VariantSetStatus.RUNNING
    locked.save(update_fields=["ad_set", "first_published_at", "status"])
    audit_log(organization=organization, actor=user, action="variant_set.published", target=locked,
              metadata={"platform": platform, "ad_set": ad_set.name, "publications": [p.pk for p in publications]})
    variant_set.refresh_from_db()
    return publications


__all__ = ["Level", "variant_levels_propose", "variant_set_create", "variant_set_submit", "variant_set_approve",
           "variant_set_publish", "label_variant_render", "variant_name"]


def learnings_apply(*, organization, campaign, brief, plan, data: dict) -> tuple[Any, list[dict], dict]:
    """What won ``organization``'s earlier tests applied to a fresh plan (called by
    :func:`videogen.services.video_job_create` before it writes the job): the learnings of
    :func:`campaigns.experiments.selectors.learnings_for` (for the campaign's objective when the job
    has a campaign, else any) through the engine's
    :func:`videogen.engine.planner.learnings.apply_learnings`. Returns ``(plan, notes, data)``:
    ``data`` is the Studio brief with the brief fields the notes name (``call_to_action``,
    ``voice.voice``, ``music.mood``) set to the winning levels; ``notes`` go to the job's trace
    (``trace["learnings"]``) and the storyboard shows them ("based on 4 tests — change it")."""
    from videogen.engine.planner.learnings import apply_learnings

    try:
        from campaigns.experiments.selectors import learnings_for
    except ImportError:  # the results side is not installed
        return plan, [], data
    learnings = learnings_for(organization, objective=getattr(campaign, "objective", None) or None)
    if not learnings:
        return plan, [], data
    new_plan, notes = apply_learnings(plan, brief, learnings)
    data = copy.deepcopy(data)
    for note in notes:
        field = note.get("brief_field")
        if not field:
            continue
        head, _, tail = field.partition(".")
        if tail:
            current = data.get(head)
            data[head] = {**(current if isinstance(current, dict) else {}), tail: note["to"]}
        else:
            data[head] = note["to"]
    return new_plan, notes, data
