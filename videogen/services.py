"""Writes for the Video Studio: create a job from a brief, edit its scene plan (with undo), queue,
cancel and re-render. Keyword-only, atomic; each one leaves an AuditEvent or an EditOperation.

Errors: ``django.core.exceptions.ValidationError`` naming the field (a bad brief, an invalid
plan, a stale edit, a job in the wrong state); ``PermissionDenied`` when credits refuse a render.
"""

from __future__ import annotations

import copy
import re
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from pydantic import ValidationError as PydanticValidationError

from kolony.accounts.services import audit_log
from kolony.tenancy import org_queryset
from videogen.engine.brief import Brief, BriefError, brief_from_dict, is_asset_id
from videogen.engine.planner import plan_scenes
from videogen.engine.planner.schema import (
    DURATION_STEP,
    MAX_SCENE_SECONDS,
    MAX_SCENES,
    MIN_SCENE_SECONDS,
    MIN_SCENES,
    quantize_durations,
)

from . import credits
from .models import Asset, AssetKind, EditOperation, JobStatus, VideoJob, WorkflowTemplate
from .plan_store import images_for_snapshot, plan_from_snapshot, plan_snapshot, replace_scenes, snapshot_from_plan
from .uploads import asset_local_path

RENDER_QUEUE = "render"
# RQ limits for one render attempt: 30 min of work, one retry when a worker dies mid-render.
RENDER_JOB_TIMEOUT_S = 30 * 60
RENDER_RETRIES = 1
EDITABLE_FIELDS = {"voiceover", "on_screen_text", "subtext"}
_PROBLEM = re.compile(r"^(?P<field>[\w.\[\]]+): (?P<msg>.*)$")


def _problems_to_errors(problems: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for line in problems:
        m = _PROBLEM.match(line)
        field, msg = (m["field"], m["msg"]) if m else ("brief", line)
        errors.setdefault(field, []).append(msg)
    return errors


def brief_image_ids(data: dict) -> list:
    """The photo asset ids a Studio brief names (its ``images``), as a list."""
    images = data.get("images") or []
    return images if isinstance(images, list) else [images]


def brief_for_engine(*, organization, data: dict, workdir: Path, image_asset_ids: list[int] | None = None,
                     clips: list[dict] | None = None) -> Brief:
    """Validates a Studio brief (images and logo as asset ids of ``organization``) and returns the
    engine's :class:`Brief` with local file paths. ``image_asset_ids`` overrides the images;
    ``clips`` ({"asset_id", "start", "cleanup"}, see ``plan_store.clip_sources``) become ``brief.clips``.

    Raises ValidationError with errors keyed by field (``images[0]``, ``duration``, …)."""
    if not isinstance(data, dict):
        raise ValidationError({"brief": ["Expected a JSON object."]})
    data = copy.deepcopy(data)
    ids = image_asset_ids if image_asset_ids is not None else brief_image_ids(data)
    problems, paths = [], []
    assets = {a.pk: a for a in org_queryset(Asset, organization).filter(pk__in=[i for i in ids if is_asset_id(i)])}
    for i, asset_id in enumerate(ids):
        asset = assets.get(asset_id) if is_asset_id(asset_id) else None
        if asset is None:
            problems.append(f"images[{i}]: no uploaded photo with id {asset_id!r} in this organization")
        elif asset.kind not in (AssetKind.IMAGE, AssetKind.LOGO, AssetKind.INTERMEDIATE):
            problems.append(f"images[{i}]: asset {asset_id} is a {asset.kind}, not a photo")
        else:
            paths.append(str(asset_local_path(asset, workdir)))
    data["images"] = paths
    brand = data.get("brand")
    if isinstance(brand, dict) and brand.get("logo") is not None:
        logo = org_queryset(Asset, organization).filter(pk=brand["logo"]).first() if is_asset_id(brand["logo"]) else None
        if logo is None:
            problems.append(f"brand.logo: no uploaded logo with id {brand['logo']!r} in this organization")
            brand["logo"] = None
        else:
            brand["logo"] = str(asset_local_path(logo, workdir))
    data["clips"] = []
    for i, clip in enumerate(clips or []):
        asset = org_queryset(Asset, organization).filter(pk=clip.get("asset_id"), kind=AssetKind.VIDEO).first()
        if asset is None:
            problems.append(f"clips[{i}]: the clip (asset {clip.get('asset_id')}) no longer exists in this organization")
            continue
        data["clips"].append({"path": str(asset_local_path(asset, workdir)), "start": clip.get("start", 0),
                              "cleanup": clip.get("cleanup", [])})
    try:
        brief = brief_from_dict(data, workdir)
    except BriefError as exc:
        problems += exc.problems
        brief = None
    if problems or brief is None:
        raise ValidationError(_problems_to_errors(problems or ["brief: the brief could not be read."]))
    return brief


def template_apply(*, template: WorkflowTemplate | None, data: dict) -> dict:
    """The brief with the template's parameters filled in where the brief leaves them out."""
    if template is None:
        return data
    merged = {**(template.parameters or {}), **{k: v for k, v in data.items() if v not in (None, "", [])}}
    return merged


def llm_endpoint() -> dict:
    """The Studio's LLM endpoint for the engine's planner (``plan_scenes(..., llm=...)``):
    ``{"url", "model", "api_key", "timeout"}`` from Django settings ``KOLONY_LLM_URL`` /
    ``KOLONY_LLM_MODEL`` / ``KOLONY_LLM_API_KEY`` / ``KOLONY_LLM_TIMEOUT`` (seconds, default 20).
    ``url`` is "" when no LLM is configured (the planner then uses its rules)."""
    return {
        "url": getattr(settings, "KOLONY_LLM_URL", "") or "",
        "model": getattr(settings, "KOLONY_LLM_MODEL", "") or "default",
        "api_key": getattr(settings, "KOLONY_LLM_API_KEY", "") or "",
        "timeout": float(getattr(settings, "KOLONY_LLM_TIMEOUT", 20) or 20),
    }


def video_job_create(*, organization, user, brief_data: dict, template: WorkflowTemplate | None = None,
                     title: str = "", campaign_id: int | None = None, enqueue: bool = False) -> VideoJob:
    """Validates the brief, plans its scenes and stores the job (status pending). With ``enqueue``
    the render is queued once the transaction commits.

    ``brief_data`` is the brief JSON with ``images`` (and ``brand.logo``) as asset ids. A template
    that was saved from a job brings its scene plan; a built-in one its parameters. ``campaign_id``
    attaches the job to one of the organization's campaigns.

    The asset copies and the planner (whose LLM backend makes HTTP calls with a retry) run before
    any database transaction is opened, so a slow endpoint holds no connection or row lock (issue
    14 §1); then one short atomic block writes the job, its scenes and the audit event.
    Raises ValidationError keyed by brief field (or ``campaign``).
    """
    campaign = None
    if campaign_id is not None:
        from campaigns.models import Campaign

        campaign = org_queryset(Campaign, organization).filter(pk=campaign_id).first()
        if campaign is None:
            raise ValidationError({"campaign": [f"No campaign with id {campaign_id} in this organization."]})
    data = template_apply(template=template, data=dict(brief_data or {}))
    learning_notes: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="kolony-brief-") as tmp:
        brief = brief_for_engine(organization=organization, data=data, workdir=Path(tmp))
        image_ids = list(brief_image_ids(data))
        recipe = (template.scene_recipe if template else None) or []
        if recipe and all("scene_key" in s for s in recipe):
            snapshot = _snapshot_from_recipe(recipe, image_ids)
            planner = "template"
        else:
            result = plan_scenes(brief, llm=llm_endpoint())
            # issue 17: start from what won this organization's earlier tests; the trace says which learning changed what
            from .variants.services import learnings_apply

            plan, learning_notes, data = learnings_apply(organization=organization, campaign=campaign, brief=brief,
                                                         plan=result.plan, data=data)
            snapshot = snapshot_from_plan(plan, image_ids)
            planner = result.backend
    with transaction.atomic():
        job = VideoJob.objects.create(
            organization=organization, created_by=user, campaign=campaign, title=(title or brief.product_name)[:120],
            brief={**data, "images": image_ids}, planner=planner, phase="planned",
            trace={"planner": planner, "template": template.name if template else None,
                   **({"learnings": learning_notes} if learning_notes else {})},
        )
        replace_scenes(job, snapshot)
        _validate_snapshot(job, snapshot)
        audit_log(organization=organization, actor=user, action="video_job.created", target=job,
                  metadata={"template": template.name if template else None})
        if enqueue:
            video_job_enqueue_render(job=job, user=user)
    return job


def _snapshot_from_recipe(recipe: list[dict], image_ids: list[int]) -> list[dict]:
    snapshot = copy.deepcopy(recipe)
    for i, scene in enumerate(snapshot):
        if scene.get("visual_source") == "product_image":
            scene["image_asset_id"] = image_ids[i % len(image_ids)] if image_ids else None
    return snapshot


def _validate_snapshot(job: VideoJob, snapshot: list[dict]) -> None:
    ids = images_for_snapshot(brief_image_ids(job.brief), snapshot)
    try:
        plan_from_snapshot(snapshot, seed=int(job.brief.get("seed") or 0), planner=job.planner, image_asset_ids=ids)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        raise ValidationError({"plan": [f"{'.'.join(map(str, first['loc']))}: {first['msg'].removeprefix('Value error, ')}"]}) from None


# --- plan edits ---------------------------------------------------------------------------------

def _rebalance(snapshot: list[dict], total: float, fixed: set[int]) -> None:
    """Scales the durations of scenes not in ``fixed`` so the plan lasts ``total`` seconds, keeping
    each within the engine's 1–20 s, every duration a multiple of 0.1 s (``DURATION_STEP``; fixed
    scenes are rounded to it too) and the total within 0.05 s of ``total`` (exact for whole
    tenths). Raises ValidationError when that is impossible."""
    for i in fixed:
        snapshot[i]["duration"] = round(round(snapshot[i]["duration"] / DURATION_STEP) * DURATION_STEP, 3)
    fixed_sum = round(sum(s["duration"] for i, s in enumerate(snapshot) if i in fixed), 3)
    free = [i for i in range(len(snapshot)) if i not in fixed]
    remaining = total - fixed_sum
    if not free:
        if abs(remaining) > 0.01:
            raise ValidationError({"duration": [f"The scenes must add up to {total:g} s."]})
        return
    if remaining < MIN_SCENE_SECONDS * len(free) - 1e-6 or remaining > MAX_SCENE_SECONDS * len(free) + 1e-6:
        raise ValidationError({"duration": [
            f"That leaves {remaining:.1f} s for the other {len(free)} scene(s); each needs {MIN_SCENE_SECONDS:g}–{MAX_SCENE_SECONDS:g} s "
            f"for the ad to stay {total:g} s long."]})
    # Water-filling: scale proportionally, clamp, repeat with the unclamped ones.
    pending = list(free)
    for _ in range(len(free) + 1):
        share = sum(snapshot[i]["duration"] for i in pending) or len(pending)
        budget = remaining - sum(snapshot[i]["duration"] for i in free if i not in pending)
        clamped = False
        for i in list(pending):
            weight = snapshot[i]["duration"] if share != len(pending) else 1
            value = budget * weight / share
            if value < MIN_SCENE_SECONDS or value > MAX_SCENE_SECONDS:
                snapshot[i]["duration"] = min(max(value, MIN_SCENE_SECONDS), MAX_SCENE_SECONDS)
                pending.remove(i)
                clamped = True
        if not clamped:
            for i in pending:
                weight = snapshot[i]["duration"] if share != len(pending) else 1
                snapshot[i]["duration"] = budget * weight / share
            break
    # Round to steps of 0.1 s (the Seconds field's step; whole frames) so the free scenes fill
    # exactly what is left of the total rounded to 0.1 s (largest remainder first).
    target = round(round(total / DURATION_STEP) * DURATION_STEP - fixed_sum, 3)
    try:
        seconds = quantize_durations([snapshot[i]["duration"] for i in free], target)
    except ValueError:
        raise ValidationError({"duration": [
            f"That leaves {target:.1f} s for the other {len(free)} scene(s); each needs {MIN_SCENE_SECONDS:g}–{MAX_SCENE_SECONDS:g} s "
            f"for the ad to stay {total:g} s long."]}) from None
    for i, value in zip(free, seconds, strict=True):
        snapshot[i]["duration"] = value


def _find(snapshot: list[dict], scene_key: str) -> int:
    for i, s in enumerate(snapshot):
        if s["scene_key"] == scene_key:
            return i
    raise ValidationError({"scene": [f"No scene '{scene_key}' in this plan (it may have been removed)."]})


@transaction.atomic
def _edit(*, job: VideoJob, user, expected_version: int | None, op: str, scene_key: str, mutate) -> VideoJob:
    locked = VideoJob.objects.select_for_update().get(pk=job.pk)
    if expected_version is not None and int(expected_version) != locked.plan_version:
        raise ValidationError({"plan_version": [
            f"The plan changed since you opened it (you had version {expected_version}, it is now {locked.plan_version}). "
            "Reload to see the latest, then make your change again."]})
    before = plan_snapshot(locked)
    after = copy.deepcopy(before)
    summary = mutate(after)
    _validate_snapshot(locked, after)
    replace_scenes(locked, after)
    locked.plan_version += 1
    locked.save(update_fields=["plan_version", "updated_at"])
    EditOperation.objects.create(job=locked, user=user, op=op, scene_key=scene_key, summary=summary[:200],
                                 before=before, after=after, plan_version=locked.plan_version)
    job.plan_version = locked.plan_version
    return locked


def _total(job: VideoJob, snapshot: list[dict]) -> float:
    return round(sum(s["duration"] for s in snapshot), 3)


def scene_update(*, job: VideoJob, user, scene_key: str, changes: dict, expected_version: int | None = None) -> VideoJob:
    """Edits a scene's text (``voiceover``, ``on_screen_text``, ``subtext``) and/or ``duration``
    (seconds, rounded to 0.1 s; the other scenes absorb the difference so the ad keeps its length).
    Raises ValidationError keyed by field (``duration``, ``plan_version``, ``scene``…)."""
    unknown = set(changes) - EDITABLE_FIELDS - {"duration"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: ["This field cannot be edited."]})

    def mutate(snapshot):
        i = _find(snapshot, scene_key)
        total = _total(job, snapshot)
        parts = []
        for field in EDITABLE_FIELDS & set(changes):
            value = " ".join(str(changes[field] or "").split())
            if snapshot[i][field] != value:
                snapshot[i][field] = value
                parts.append(field.replace("_", " "))
        if "duration" in changes and changes["duration"] not in (None, ""):
            try:
                typed = float(changes["duration"])
            except (TypeError, ValueError):
                raise ValidationError({"duration": ["Enter the scene length in seconds, e.g. 2.5."]}) from None
            # the form shows 2 decimals: a value it echoes back unchanged is no duration edit
            seconds = snapshot[i]["duration"] if abs(typed - snapshot[i]["duration"]) < 0.005 else round(typed, 1)
            if not MIN_SCENE_SECONDS <= seconds <= MAX_SCENE_SECONDS:
                raise ValidationError({"duration": [f"A scene lasts {MIN_SCENE_SECONDS:g}–{MAX_SCENE_SECONDS:g} s (got {seconds:g})."]})
            if abs(seconds - snapshot[i]["duration"]) > 1e-6:
                snapshot[i]["duration"] = seconds
                _rebalance(snapshot, total, fixed={i})
                parts.append(f"duration {seconds:g} s")
        return f"Scene {i + 1}: " + (", ".join(parts) or "no change")

    op = EditOperation.Op.CHANGE_DURATION if set(changes) == {"duration"} else EditOperation.Op.EDIT_SCENE
    return _edit(job=job, user=user, expected_version=expected_version, op=op, scene_key=scene_key, mutate=mutate)


def scene_move(*, job: VideoJob, user, scene_key: str, to_index: int, expected_version: int | None = None) -> VideoJob:
    """Moves a scene to position ``to_index`` (0-based)."""
    def mutate(snapshot):
        i = _find(snapshot, scene_key)
        j = max(0, min(int(to_index), len(snapshot) - 1))
        snapshot.insert(j, snapshot.pop(i))
        return f"Moved scene {i + 1} to position {j + 1}"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.REORDER, scene_key=scene_key, mutate=mutate)


def scene_swap_image(*, job: VideoJob, user, scene_key: str, asset: Asset, expected_version: int | None = None) -> VideoJob:
    """Shows ``asset`` (a photo of the job's organization) in the scene."""
    if asset.organization_id != job.organization_id or asset.kind not in (AssetKind.IMAGE, AssetKind.LOGO, AssetKind.INTERMEDIATE):
        raise ValidationError({"image": ["Choose one of this organization's photos."]})

    def mutate(snapshot):
        i = _find(snapshot, scene_key)
        snapshot[i]["image_asset_id"] = asset.pk
        snapshot[i]["visual_source"] = "product_image"
        return f"Scene {i + 1}: photo → {asset.original_name}"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.SWAP_IMAGE, scene_key=scene_key, mutate=mutate)


def scene_trim_clip(*, job: VideoJob, user, scene_key: str, clip: Asset, start: float, cleanup: list[str] | None = None,
                    expected_version: int | None = None) -> VideoJob:
    """Uses ``start`` seconds onward of an uploaded clip as the scene's picture (trimmed to the
    scene's duration, reframed per aspect ratio; ``cleanup`` ⊂ {denoise, color, fps})."""
    from .engine.render.clips import CLEANUP_FILTERS

    if clip.organization_id != job.organization_id or clip.kind != AssetKind.VIDEO:
        raise ValidationError({"clip": ["Choose one of this organization's uploaded clips."]})
    cleanup = list(cleanup or [])
    bad = [c for c in cleanup if c not in CLEANUP_FILTERS]
    if bad:
        raise ValidationError({"cleanup": [f"Unknown clean-up {bad[0]!r}; choose from {', '.join(CLEANUP_FILTERS)}."]})

    def mutate(snapshot):
        i = _find(snapshot, scene_key)
        length = float(clip.duration_seconds or 0)
        if not 0 <= float(start) < length:
            raise ValidationError({"start": [f"Start must be between 0 and {length:.1f} s (the clip's length)."]})
        snapshot[i]["visual_source"] = "uploaded_clip"
        snapshot[i]["layout"] = {**snapshot[i].get("layout", {}),
                                 "clip": {"asset_id": clip.pk, "start": round(float(start), 3), "cleanup": cleanup}}
        return f"Scene {i + 1}: clip {clip.original_name} from {float(start):.1f} s"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.TRIM_CLIP, scene_key=scene_key, mutate=mutate)


def scene_add(*, job: VideoJob, user, after_key: str | None = None, expected_version: int | None = None) -> VideoJob:
    """Adds a benefit scene after ``after_key`` (at the start when None); the others make room."""
    def mutate(snapshot):
        if len(snapshot) >= MAX_SCENES:
            raise ValidationError({"plan": [f"A plan has at most {MAX_SCENES} scenes."]})
        total = _total(job, snapshot)
        i = _find(snapshot, after_key) + 1 if after_key else 0
        template = snapshot[max(0, i - 1)]
        new = {
            "scene_key": f"s{secrets.token_hex(3)}", "role": "benefit", "duration": min(3.0, total / (len(snapshot) + 1)),
            "voiceover": "", "on_screen_text": "New scene", "subtext": "", "visual_source": template.get("visual_source", "product_image"),
            "image_asset_id": template.get("image_asset_id"),
            "layout": {k: v for k, v in template.get("layout", {}).items() if k != "clip"},
        }
        if new["visual_source"] == "uploaded_clip":
            new["visual_source"] = "product_image"
        snapshot.insert(i, new)
        _rebalance(snapshot, total, fixed={i})
        return f"Added scene {i + 1}"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.ADD_SCENE, scene_key="", mutate=mutate)


def scene_remove(*, job: VideoJob, user, scene_key: str, expected_version: int | None = None) -> VideoJob:
    """Removes a scene; the others share its time."""
    def mutate(snapshot):
        if len(snapshot) <= MIN_SCENES:
            raise ValidationError({"plan": [f"A plan needs at least {MIN_SCENES} scenes."]})
        total = _total(job, snapshot)
        i = _find(snapshot, scene_key)
        snapshot.pop(i)
        _rebalance(snapshot, total, fixed=set())
        return f"Removed scene {i + 1}"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.REMOVE_SCENE, scene_key=scene_key,
                 mutate=mutate)


@transaction.atomic
def edit_undo(*, job: VideoJob, user, expected_version: int | None = None) -> VideoJob:
    """Undoes the latest edit not yet undone (restores its ``before`` plan).

    The edit to undo is chosen under the job's row lock, so two undos at once undo two edits (or
    the second says "nothing to undo"); never the same edit twice with a no-op history entry."""
    VideoJob.objects.select_for_update().filter(pk=job.pk).first()  # waits for a concurrent edit/undo
    target = job.edits.filter(undone=False).exclude(op=EditOperation.Op.UNDO).order_by("-id").first()
    if target is None:
        raise ValidationError({"plan": ["There is nothing to undo."]})

    def mutate(snapshot):
        snapshot[:] = copy.deepcopy(target.before)
        EditOperation.objects.filter(pk=target.pk).update(undone=True)
        return f"Undid: {target.summary}"

    return _edit(job=job, user=user, expected_version=expected_version, op=EditOperation.Op.UNDO, scene_key=target.scene_key, mutate=mutate)


# --- rendering ----------------------------------------------------------------------------------

def video_job_enqueue_render(*, job: VideoJob, user) -> VideoJob:
    """Queues a render of the job's current plan on the ``render`` queue through the job outbox
    (:func:`kolony.outbox.services.enqueue_on_commit`): the job is ``pending``/``queued`` and its
    outbox row is saved in this transaction, and the render reaches RQ once it commits — or, with
    Redis down, once Redis is back (RQ ``job_timeout`` 30 min, one ``Retry`` if a worker dies).

    A job shown as queued whose RQ job was lost (Redis restarted empty) may be queued again.
    Raises ValidationError while a render is queued or running, PermissionDenied when credits
    refuse. Never raises a Redis error."""
    from kolony.outbox.services import enqueue_on_commit

    with transaction.atomic():
        job = VideoJob.objects.select_for_update().get(pk=job.pk)
        if job.in_progress and not _queued_render_lost(job):
            raise ValidationError({"status": [f"This job is already {_busy_text(job)}; wait for it or cancel it."]})
        credits.require_render_allowed(organization=job.organization, job=job)  # reserves the credits; RenderRefused
        job.queue()
        rq_id = f"video-job-{job.pk}-{secrets.token_hex(4)}"
        job.rq_job_ids = [*job.rq_job_ids, rq_id][-20:]
        job.save()
        audit_log(organization=job.organization, actor=user, action="video_job.render_queued", target=job,
                  metadata={"plan_version": job.plan_version})
        enqueue_on_commit(RENDER_QUEUE, "videogen.tasks.render_video_job", job.pk, job_id=rq_id,
                          job_timeout=RENDER_JOB_TIMEOUT_S, retry=RENDER_RETRIES,
                          on_failure="videogen.tasks.render_video_job_failed",
                          result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
    return job


def _busy_text(job: VideoJob) -> str:
    from kolony.outbox.services import outbox_pending

    if job.status == JobStatus.PENDING and outbox_pending(rq_job_ids=job.rq_job_ids[-1:]):
        return "queued (it starts as soon as the render queue is reachable again)"
    return job.get_status_display().lower() if job.status != JobStatus.PENDING else "queued"


def _queued_render_lost(job: VideoJob) -> bool:
    """True for a job shown as queued (``pending``) whose latest render is neither waiting in the
    outbox nor known to Redis: Redis lost it, so queuing again is safe. False when Redis can't be
    asked (the render may still be there)."""
    import django_rq
    from rq.job import Job

    from kolony.core.rediscache import REDIS_DOWN_ERRORS
    from kolony.outbox.services import outbox_pending

    if job.status != JobStatus.PENDING or not job.rq_job_ids:
        return False
    latest = job.rq_job_ids[-1:]
    if outbox_pending(rq_job_ids=latest):
        return False
    try:
        return not Job.exists(latest[0], connection=django_rq.get_connection(RENDER_QUEUE))
    except REDIS_DOWN_ERRORS:
        return False


def video_job_cancel(*, job: VideoJob, user) -> VideoJob:
    """Cancels a queued or running job: the worker stops at its next check (≈0.5 s) and removes
    partial files. Raises ValidationError for a job that already finished."""
    import django_rq
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job

    from kolony.core.rediscache import REDIS_DOWN_ERRORS
    from kolony.outbox.services import outbox_cancel

    with transaction.atomic():
        job = VideoJob.objects.select_for_update().get(pk=job.pk)
        if not job.in_progress:
            state = "not rendering" if job.is_active else f"already {job.get_status_display().lower()}"
            raise ValidationError({"status": [f"This job is {state}; there is nothing to cancel."]})
        job.cancel()
        job.save()
        outbox_cancel(rq_job_ids=job.rq_job_ids[-1:])  # a render still waiting for Redis never starts
        credits.render_failed(job=job, reason="Render cancelled: reserved credits returned")
        audit_log(organization=job.organization, actor=user, action="video_job.cancelled", target=job)
    try:  # a queued RQ job is dropped now; a running one stops at its next cancel check
        conn = django_rq.get_connection(RENDER_QUEUE)
        for rq_id in job.rq_job_ids[-1:]:
            try:
                rq_job = Job.fetch(rq_id, connection=conn)
                if rq_job.get_status() in ("queued", "scheduled", "deferred"):
                    rq_job.cancel()
            except (NoSuchJobError, InvalidJobOperation):
                pass
    except REDIS_DOWN_ERRORS:
        pass  # the render task checks the job's status before it starts
    from .progress import publish_state

    publish_state(job)
    return job


def workflow_template_save(*, job: VideoJob, user, name: str) -> WorkflowTemplate:
    """Saves the job's brief settings and scene plan as the organization's own template."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": ["Give the template a name."]})
    if WorkflowTemplate.objects.filter(organization=job.organization, name__iexact=name).exists():
        raise ValidationError({"name": [f"Your organization already has a template called '{name}'."]})
    params = {k: job.brief[k] for k in ("request_type", "duration", "style", "aspect_ratios", "call_to_action", "voice", "music")
              if k in job.brief}
    recipe = [{**s, "image_asset_id": None} for s in plan_snapshot(job)]
    template = WorkflowTemplate.objects.create(organization=job.organization, name=name[:120], parameters=params,
                                               scene_recipe=recipe, created_by=user,
                                               description=f"Saved from “{job.title}”")
    audit_log(organization=job.organization, actor=user, action="workflow_template.created", target=template)
    return template


def work_dir(job_id: int) -> Path:
    """Scratch folder of a job's render attempt (removed after it; a killed attempt's leftovers
    are removed by the next attempt or the failure callback)."""
    return Path(settings.MEDIA_ROOT) / "work" / f"job-{job_id}"


@transaction.atomic
def brand_kit_update(*, organization, user, colors: list[str], logo: Asset | None, logo_position: str, font: str,
                     default_voice_id: str, default_call_to_action: str):
    """Saves the organization's brand kit (one per organization). Colours are ``#RRGGBB``; the logo
    must be one of the organization's photos or logos. Raises ValidationError naming the field."""
    from .models import BrandKit, Voice

    errors: dict[str, list[str]] = {}
    colors = [c.strip().upper() for c in colors if c and c.strip()]
    if not colors or any(not re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors):
        errors["colors"] = ["Use hex colours such as #1E3A8A."]
    if logo is not None and (logo.organization_id != organization.pk or logo.kind not in (AssetKind.IMAGE, AssetKind.LOGO)):
        errors["logo"] = ["Choose one of your organization's images."]
    if logo_position not in ("top_left", "top_right", "bottom_left", "bottom_right"):
        errors["logo_position"] = ["Choose a corner."]
    voice = None
    if default_voice_id:
        voice = Voice.objects.filter(engine_voice_id=default_voice_id, is_active=True).first()
        if voice is None:
            errors["default_voice"] = [f"'{default_voice_id}' is not an installed voice."]
    if errors:
        raise ValidationError(errors)
    kit, _ = BrandKit.objects.select_for_update().get_or_create(organization=organization)
    kit.colors, kit.logo, kit.logo_position, kit.font = colors[:5], logo, logo_position, (font or "").strip()[:120]
    kit.default_voice, kit.default_call_to_action = voice, (default_call_to_action or "").strip()[:40]
    kit.save()
    audit_log(organization=organization, actor=user, action="brand_kit.updated", target=kit)
    return kit


def brand_kit_defaults(*, organization) -> dict:
    """Brief defaults from the organization's brand kit (empty when it has none)."""
    from .models import BrandKit

    kit = BrandKit.objects.filter(organization=organization).select_related("default_voice").first()
    if kit is None:
        return {}
    out: dict = {}
    if kit.colors:
        out["primary_color"] = kit.colors[0]
        if len(kit.colors) > 1:
            out["accent_color"] = kit.colors[1]
    if kit.default_call_to_action:
        out["call_to_action"] = kit.default_call_to_action
    if kit.default_voice:
        out["voice"] = kit.default_voice.engine_voice_id
    if kit.logo_id:
        out["logo"] = kit.logo_id
        out["logo_position"] = kit.logo_position
    return out
