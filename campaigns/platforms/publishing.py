"""The publish orchestrator: pushes an approved render to one platform's ad set, step by step,
resumably (RQ queue ``publish``).

- :func:`publication_create` checks everything a user could get wrong *before* anything is queued
  (render state, organization, connection, campaign platforms, placement ratio), fills or creates
  the Kolony ad, writes the :class:`~campaigns.models.Publication` row, moves the render to
  ``publishing`` and queues :func:`run_publication` through the outbox.
- :func:`run_publication` runs the adapter's steps in order (``ADAPTER.steps``), skipping every
  step already ``done``. Each step's external id is saved the moment the adapter returns it
  (``ctx.record``: its own transaction, row-locked merge), so a job killed after any step resumes
  from there and never creates an object twice — neither Meta nor Google has idempotency keys.
- Errors (:class:`~campaigns.platforms.base.PlatformError`): ``transient`` → back off (the
  platform's ``retry_after``, else exponential: 2, 4, 8, 16 s, at most :data:`MAX_WAIT_S`) and try
  the step again, :data:`STEP_ATTEMPTS` times in the job, then RQ's ``Retry``
  (:data:`RQ_RETRY_INTERVALS`) re-runs the job; ``auth`` → one forced token refresh
  (``campaigns.platforms.oauth.connection_token(connection, force_refresh=True)``), then the
  publication fails asking to reconnect; anything else → the publication fails with the
  platform's own message, code and blamed field, the render goes ``publish_failed`` and the page
  lists every step with its state and external id.
- On success the external ids are copied into ``Campaign.external`` / ``AdSet.external`` /
  ``Ad.external`` (``{platform: {"id", "status", "url", "synced_at"}}``), the render becomes
  ``published``, the event is audited and the render's submitter is notified.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from campaigns.choices import PLACEMENT_PLATFORM, Placement, Status
from campaigns.creatives import ALL_RATIOS, placement_ratios
from campaigns.models import Ad, AdSet, PlatformConnection, Publication, PublicationStatus
from kolony.accounts.services import audit_log
from kolony.core.service_errors import ServiceConflict
from kolony.datacache import data_changed
from kolony.outbox.services import enqueue_on_commit
from kolony.tenancy import membership_for_user, org_queryset, role_can

from . import progress as live
from .base import PlatformError, PublishContext
from .registry import adapter_for

T = TypeVar("T")

log = logging.getLogger(__name__)

TASK = "campaigns.platforms.tasks.run_publication"
ON_FAILURE = "campaigns.platforms.tasks.publication_job_failed"
#: Tries of one step inside a job when the platform answers "transient" / "throttled".
STEP_ATTEMPTS = 5
#: Longest in-job wait between two tries, seconds (a longer ``retry_after`` ends the job; RQ re-runs it).
MAX_WAIT_S = 60.0
#: RQ re-runs of a job that ended on a transient error or a crash (seconds between them).
RQ_RETRY_INTERVALS = [30, 120, 600]
JOB_TIMEOUT_S = 1800
#: States a render may be published from (a published render may be pushed to more ad sets).
PUBLISHABLE = ("approved", "published", "publish_failed", "publishing")
#: Ratio preference per platform when the ad set's placements are automatic (DESIGN.md §6:
#: Meta's Reels/Stories inventory is 9:16; Google Demand Gen's YouTube in-stream is 16:9).
AUTOMATIC_RATIO_ORDER = {"meta": ("9:16", "4:5", "1:1", "16:9"), "google": ("16:9", "9:16", "1:1", "4:5")}
#: How long a running publication may show no sign of life before Retry may take it over (seconds).
STALE_AFTER_S = JOB_TIMEOUT_S + 60

# Injectable for tests (no real waiting): ``publishing.sleep = lambda s: None``.
sleep = time.sleep


class PublishConflict(ServiceConflict):
    """The render's or the publication's state does not allow this (the API answers 409)."""


def _user_name(user) -> str:
    return (user.full_name or user.email) if user is not None else "someone"


def _render_label(render) -> str:
    return f"v{render.number} of ‘{render.job.title}’"


# --- choosing the format --------------------------------------------------------------------


def placement_ratio(*, render, ad_set: AdSet, platform: str, aspect_ratio: str | None = None) -> str:
    """The render format (``"9:16"``…) to publish to ``ad_set`` on ``platform``.

    The ad set's placements on that platform decide which ratios fit
    (:data:`campaigns.creatives.PLACEMENT_RATIOS`: Reels / Stories / Shorts → 9:16, feeds → 4:5 or
    1:1, YouTube in-stream → 16:9; DESIGN.md §6); with automatic placements every ratio fits, in
    :data:`AUTOMATIC_RATIO_ORDER`. ``aspect_ratio`` picks one explicitly. Raises ValidationError on
    ``aspect_ratio`` (a ratio that fits no placement, or one the render lacks) or ``ad_set`` (its
    placements are all on the other platform)."""
    outputs = render.outputs or {}
    have = ", ".join(r for r in ALL_RATIOS if r in outputs) or "none"
    placements = [p for p in (ad_set.placements or []) if PLACEMENT_PLATFORM.get(p) == platform]
    labels = dict(Placement.choices)
    if ad_set.placements and not placements:
        raise ValidationError({"ad_set": [
            f"The ad set “{ad_set.name}” has no {platform.capitalize()} placement "
            f"({', '.join(labels.get(p, p) for p in ad_set.placements)}); choose an ad set that runs on {platform.capitalize()}."]})
    fitting = placement_ratios(placements)
    if not placements:
        order = AUTOMATIC_RATIO_ORDER.get(platform, ALL_RATIOS)
        fitting = tuple(r for r in order if r in fitting)
    where = ", ".join(labels.get(p, p) for p in placements) or "automatic placements"
    if aspect_ratio:
        if aspect_ratio not in fitting:
            raise ValidationError({"aspect_ratio": [
                f"{aspect_ratio} does not fit this ad set's placements ({where}); they show {', '.join(fitting)}."]})
        if aspect_ratio not in outputs:
            raise ValidationError({"aspect_ratio": [
                f"Render {_render_label(render)} has no {aspect_ratio} format (it has {have}); render it in {aspect_ratio} first."]})
        return aspect_ratio
    for ratio in fitting:
        if ratio in outputs:
            return ratio
    raise ValidationError({"aspect_ratio": [
        f"This ad set's placements ({where}) need {' or '.join(fitting)}; render {_render_label(render)} has {have}. "
        f"Add {fitting[0]} to the video's formats and render it again."]})


# --- creating a publication -----------------------------------------------------------------


def _check_role(*, user, organization) -> None:
    membership = membership_for_user(user, organization.pk)
    if membership is None:
        raise PermissionDenied("You are not a member of this organization.")
    if not role_can(membership.role, "publish"):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot publish ads.")


def _active_connection(*, organization, platform: str) -> PlatformConnection:
    conn = org_queryset(PlatformConnection, organization).filter(platform=platform).first()
    name = platform.capitalize()
    if conn is None:
        raise ValidationError({"platform": [f"{name} is not connected. Connect a {name} ad account on the Connections page first."]})
    if conn.status != "active" or not conn.token_encrypted:
        why = f" ({conn.status_message})" if conn.status_message else ""
        raise ValidationError({"platform": [f"The {name} connection needs to be reconnected{why}; reconnect it on the Connections page."]})
    return conn


def _fill_ad(*, render, ad_set: AdSet, ratio: str, platform: str, user) -> Ad:
    """The Kolony ad this push fills: the ad set's ad already using this render in ``ratio``, else a
    new one (named after the video, its landing URL from the brief). Raises PublishConflict when that
    ad is already live on ``platform``."""
    from campaigns import services as campaign_services

    ad = (ad_set.ads.exclude(status=Status.ARCHIVED).filter(creative_render=render, creative_ratio=ratio)
          .order_by("id").first())
    if ad is not None:
        live_id = ((ad.external or {}).get(platform) or {}).get("id")
        if live_id:
            raise PublishConflict({"ad_set": [
                f"The ad “{ad.name}” with render {_render_label(render)} ({ratio}) is already live on "
                f"{platform.capitalize()} (ad {live_id}); activate or pause it on the campaign page."]}, current_state="published")
        return ad
    brief = render.job.brief or {}
    base = f"{render.job.title} v{render.number} {ratio}"[:190]
    taken = {n.lower() for n in ad_set.ads.values_list("name", flat=True)}
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base} ({n})", n + 1
    return campaign_services.ad_create(
        ad_set=ad_set, actor=user, name=name, creative_render=render.pk, creative_ratio=ratio,
        headline=str(brief.get("headline") or brief.get("product_name") or render.job.title)[:255],
        primary_text=str(brief.get("message") or brief.get("description") or "")[:2200],
        destination_url=str(brief.get("landing_url") or ""))


def _prefill_existing(pub: Publication, *, adapter, campaign, ad_set: AdSet) -> None:
    """A campaign or ad set already live on the platform (an earlier push) is reused, not created
    again: its step is recorded done with the known id."""
    now = timezone.now().isoformat()
    for step, obj in (("campaign", campaign), ("ad_set", ad_set)):
        known = ((obj.external or {}).get(pub.platform) or {}).get("id")
        if known and step in adapter.steps and not pub.step_done(step):
            pub.steps[step] = {"status": "done", "external_id": str(known), "at": now, "detail": {"reused": True}}


def _enqueue(pub: Publication) -> None:
    row = enqueue_on_commit("publish", TASK, pub.pk, retry=len(RQ_RETRY_INTERVALS), retry_intervals=RQ_RETRY_INTERVALS,
                            job_timeout=JOB_TIMEOUT_S, on_failure=ON_FAILURE,
                            description=f"publish render {pub.render_id} to {pub.platform} (publication {pub.pk})")
    Publication.objects.filter(pk=pub.pk).update(rq_job_id=row.rq_job_id)
    pub.rq_job_id = row.rq_job_id


@transaction.atomic
def publication_create(*, render, ad_set: AdSet, platform: str, user, aspect_ratio: str | None = None) -> Publication:
    """Queues the push of ``render`` to ``ad_set`` on ``platform`` ("meta" | "google") and returns
    the :class:`Publication` (status ``queued``). A second click while one is queued or running
    returns that one; a failed one for the same render, ad set and platform is resumed (retried).

    Raises ``PermissionDenied`` (role without ``publish``), :class:`PublishConflict` (render not
    approved — the message names its state; the ad already live), ``ValidationError`` naming
    ``ad_set`` (another organization's, archived, a campaign not on ``platform``), ``platform``
    (unknown, not connected, needs reconnecting) or ``aspect_ratio`` (see :func:`placement_ratio`).
    Nothing is saved when it raises."""
    from videogen.models import Render

    organization = render.job.organization
    _check_role(user=user, organization=organization)
    render = Render.objects.select_for_update(of=("self",)).select_related("job").get(pk=render.pk)
    if render.review_status not in PUBLISHABLE:
        raise PublishConflict({"render": [
            f"Render {_render_label(render)} is {render.get_review_status_display().lower()}; only an approved version can be published."]},
            current_state=render.review_status)
    ad_set = AdSet.objects.select_related("campaign").filter(pk=ad_set.pk).first() or ad_set
    campaign = ad_set.campaign
    if campaign.organization_id != organization.pk:
        raise ValidationError({"ad_set": ["No ad set with this id in your organization."]})
    if ad_set.status == Status.ARCHIVED or campaign.status == Status.ARCHIVED:
        raise ValidationError({"ad_set": [f"The ad set “{ad_set.name}” is archived; choose another ad set."]})
    try:
        adapter = adapter_for(platform)
    except PlatformError as exc:
        raise ValidationError({"platform": [exc.message]}) from None
    if platform not in (campaign.platforms or []):
        raise ValidationError({"platform": [
            f"The campaign “{campaign.name}” runs on {', '.join(campaign.platform_labels())}, not {platform.capitalize()}."]})
    conn = _active_connection(organization=organization, platform=platform)
    ratio = placement_ratio(render=render, ad_set=ad_set, platform=platform, aspect_ratio=aspect_ratio)

    existing = (Publication.objects.select_for_update().filter(render=render, ad_set=ad_set, platform=platform)
                .exclude(status=PublicationStatus.SUCCEEDED).order_by("-id").first())
    if existing is not None and existing.status in (PublicationStatus.QUEUED, PublicationStatus.RUNNING):
        return existing
    if existing is not None:  # failed: resume it rather than start over (never twice)
        return _retry_locked(existing, user=user)

    ad = _fill_ad(render=render, ad_set=ad_set, ratio=ratio, platform=platform, user=user)
    if not ad.destination_url:  # both platforms refuse an ad without one, after the campaign and video exist
        raise ValidationError({"destination_url": [
            f"The ad “{ad.name}” has no landing page URL; add it to the ad (or the brief's landing URL) before publishing: "
            f"{platform.capitalize()} needs one for the call to action."]})
    pub = Publication(organization=organization, render=render, ad_set=ad_set, ad=ad, connection=conn, platform=platform,
                      aspect_ratio=ratio, created_by=user, steps={})
    _prefill_existing(pub, adapter=adapter, campaign=campaign, ad_set=ad_set)
    pub.save()
    render.publishing_started()
    render.save(update_fields=["review_status"])
    audit_log(organization=organization, actor=user, action="publication.queued", target=render.job,
              metadata={"version": render.number, "platform": platform, "ad_set": ad_set.name, "publication": pub.pk,
                        "aspect_ratio": ratio})
    _enqueue(pub)
    return pub


def _retry_locked(pub: Publication, *, user) -> Publication:
    render = pub.render
    if render.review_status not in PUBLISHABLE:
        raise PublishConflict({"render": [
            f"Render {_render_label(render)} is {render.get_review_status_display().lower()}; only an approved version can be published."]},
            current_state=render.review_status)
    pub.retry()
    pub.current_step = ""
    pub.save()
    if render.review_status != "publishing":
        render.publishing_started()
        render.save(update_fields=["review_status"])
    audit_log(organization=pub.organization, actor=user, action="publication.retried", target=render.job,
              metadata={"version": render.number, "platform": pub.platform, "publication": pub.pk})
    _enqueue(pub)
    return pub


def _is_stale(pub: Publication) -> bool:
    """A queued/running publication whose job is gone (worker killed, Redis flushed) or silent."""
    if (timezone.now() - pub.updated_at).total_seconds() > STALE_AFTER_S:
        return True
    if not pub.rq_job_id:
        return True
    from kolony.outbox.services import outbox_pending

    if outbox_pending(rq_job_ids=[pub.rq_job_id]):
        return False
    try:
        import django_rq
        from rq.job import Job, JobStatus

        job = Job.fetch(pub.rq_job_id, connection=django_rq.get_connection("publish"))
    except Exception:  # noqa: BLE001 - no such job (or Redis unreachable): nothing is running it
        return True
    return job.get_status(refresh=True) in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED)


@transaction.atomic
def publication_retry(*, publication: Publication, user) -> Publication:
    """Queues ``publication`` again; it resumes after its last finished step. Allowed for a failed
    publication, or a queued/running one whose job no longer runs (a killed worker). Raises
    PermissionDenied (role) or PublishConflict (succeeded, or still running)."""
    _check_role(user=user, organization=publication.organization)
    pub = Publication.objects.select_for_update(of=("self",)).select_related("render__job", "organization").get(pk=publication.pk)
    if pub.status == PublicationStatus.SUCCEEDED:
        raise PublishConflict({"publication": ["This publication already succeeded; there is nothing to retry."]},
                              current_state=pub.status)
    if pub.status in (PublicationStatus.QUEUED, PublicationStatus.RUNNING):
        if not _is_stale(pub):
            raise PublishConflict({"publication": ["This publication is still running; wait for it to finish."]},
                                  current_state=pub.status)
        pub.fail("The publish job stopped before finishing (the worker was stopped); resuming.", code="interrupted")
    return _retry_locked(pub, user=user)


# --- running a publication (the RQ job) -----------------------------------------------------


class _Lock:
    """A PostgreSQL session advisory lock on the publication, so two workers never run the same
    one at once (held outside any transaction: no network call inside ``atomic``)."""

    KEY = 7_201_313  # namespace of publication locks

    def __init__(self, pk: int):
        self.pk = pk
        self.held = False

    def __enter__(self) -> bool:
        if db_connection.vendor != "postgresql":
            self.held = True
            return True
        with db_connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [self.KEY, self.pk % 2**31])
            self.held = bool(cur.fetchone()[0])
        return self.held

    def __exit__(self, *exc) -> None:
        if self.held and db_connection.vendor == "postgresql":
            with db_connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [self.KEY, self.pk % 2**31])


class TransientPublishError(Exception):
    """A step kept failing transiently within the job; RQ's Retry runs the job again later."""


@dataclass
class _Run:
    """What one job run holds: the publication (refreshed as steps finish) and the adapter's steps."""

    pub: Publication
    steps: tuple[str, ...]
    percent: float = 0.0
    sent_at: float = 0.0
    saved_at: float = 0.0

    def record(self, step: str, external_id: str = "", **detail: Any) -> None:
        """Saves ``step`` as done with ``external_id`` at once (own transaction; merged under a row
        lock, so nothing another writer saved is lost)."""
        with transaction.atomic():
            row = Publication.objects.select_for_update().get(pk=self.pub.pk)
            steps = dict(row.steps or {})
            entry = dict(steps.get(step) or {})
            merged_detail = {**(entry.get("detail") or {}), **detail}
            entry.update(status="done", external_id=str(external_id or entry.get("external_id", "")),
                         at=timezone.now().isoformat(), detail=merged_detail)
            steps[step] = entry
            row.steps = steps
            row.save(update_fields=["steps", "updated_at"])
        self.pub.steps = steps
        self.send(force=True)

    def done(self, step: str) -> bool:
        return self.pub.step_done(step)

    def external_id(self, step: str) -> str:
        return self.pub.external_id(step)

    def progress(self, step: str, fraction: float) -> None:
        """``fraction`` (0–1) of ``step`` done → the bar (never backwards; 100 only on success)."""
        index = self.steps.index(step) if step in self.steps else 0
        percent = min(99.0, max(self.percent, (index + max(0.0, min(1.0, float(fraction)))) / max(1, len(self.steps)) * 100))
        self.percent = percent
        self.pub.progress = int(percent)
        now = time.monotonic()
        if now - self.saved_at >= 0.5:
            Publication.objects.filter(pk=self.pub.pk).update(progress=int(percent), updated_at=timezone.now())
            self.saved_at = now
        if now - self.sent_at >= 0.1:
            self.send()

    def send(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.sent_at >= 0.1:
            self.sent_at = now
            live.publish(self.pub.pk, live.state_message(self.pub, self.steps))


def _local_file(asset, suffix: str) -> tuple[Path, bool]:
    """``asset``'s file as a local path (the storage's own path, else a temporary copy);
    the bool says whether the caller must delete it."""
    try:
        return Path(asset.file.path), False
    except NotImplementedError:
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as tmp, asset.file.open("rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                tmp.write(chunk)
        return Path(tmp.name), True


def _generated_content(render) -> bool:
    """Whether any scene of the render was planned as a model-generated clip (Google's
    ``generative_content_disclosure``)."""
    for scene in render.plan_snapshot or []:
        if not isinstance(scene, dict):
            continue
        visual = scene.get("visual")
        source = visual.get("source") if isinstance(visual, dict) else scene.get("source")
        if source == "generated_clip":
            return True
    return False


def _connection_token(conn: PlatformConnection, *, force_refresh: bool = False) -> str:
    """A usable access token of ``conn`` (P1a's :func:`campaigns.platforms.oauth.connection_token`
    refreshes it when due, or now with ``force_refresh``). Raises PlatformError(auth=True) when the
    platform refuses the refresh (the connection is then marked ``needs_reconnect``)."""
    try:
        from campaigns.platforms.oauth import connection_token
    except ImportError:
        if force_refresh:
            raise PlatformError("The access token was refused and cannot be refreshed here.", code="auth", auth=True) from None
        return conn.token
    if force_refresh:
        return connection_token(conn, force_refresh=True)
    return connection_token(conn)


def _fresh_connection(pub: Publication) -> PlatformConnection:
    """The publication's connection re-read; raises PlatformError(code ``disconnected``) when it
    was disconnected or needs reconnecting (checked before every step)."""
    conn = PlatformConnection.objects.filter(pk=pub.connection_id).first() if pub.connection_id else None
    if conn is None:
        conn = org_queryset(PlatformConnection, pub.organization).filter(platform=pub.platform).first()
    name = pub.platform.capitalize()
    if conn is None or not conn.token_encrypted:
        raise PlatformError(f"The {name} account was disconnected while publishing. Connect it again on the Connections page, "
                            "then retry: the finished steps are kept.", code="disconnected", field="connection")
    if conn.status != "active":
        why = f" ({conn.status_message})" if conn.status_message else ""
        raise PlatformError(f"The {name} connection needs to be reconnected{why}. Reconnect it on the Connections page, then retry.",
                            code="needs_reconnect", field="connection", auth=True)
    return conn


def _wait_for(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    after = getattr(exc, "retry_after", None)
    if after is not None:
        return min(MAX_WAIT_S, float(after))
    return min(MAX_WAIT_S, 2.0 ** state.attempt_number)


def _run_step(run: _Run, adapter, ctx: PublishContext, step: str) -> None:
    """One step with the in-job backoff for transient errors and one forced refresh on auth."""
    refreshed = False
    while True:
        try:
            for attempt in Retrying(stop=stop_after_attempt(STEP_ATTEMPTS), wait=_wait_for, sleep=sleep, reraise=True,
                                    retry=retry_if_exception(lambda e: isinstance(e, PlatformError) and e.transient
                                                             and (e.retry_after or 0) <= MAX_WAIT_S)):
                with attempt:
                    ctx.connection = _fresh_connection(run.pub)
                    adapter.run_step(ctx, step)
            return
        except PlatformError as exc:
            if exc.auth and exc.code not in ("disconnected", "needs_reconnect") and not refreshed:
                refreshed = True
                _connection_token(ctx.connection, force_refresh=True)
                continue
            raise


def _set_step(pub: Publication, step: str) -> None:
    pub.current_step = step
    Publication.objects.filter(pk=pub.pk).update(current_step=step, updated_at=timezone.now())


def run_publication(publication_id: int) -> str:
    """The RQ job: runs (or resumes) the publication. Returns its final status, ``"busy"`` when
    another worker holds it, or the status it already had when finished. Raises
    :class:`TransientPublishError` (or an unexpected error) while RQ retries remain — the job's
    ``on_failure`` callback then fails the publication for good."""
    with _Lock(publication_id) as held:
        if not held:
            return "busy"
        return _run(publication_id)


def _run(publication_id: int) -> str:
    with transaction.atomic():
        pub = (Publication.objects.select_for_update(of=("self",)).select_related("render__job", "ad_set__campaign", "ad", "organization")
               .filter(pk=publication_id).first())
        if pub is None:
            return "deleted"
        if pub.status in (PublicationStatus.SUCCEEDED, PublicationStatus.FAILED):
            return pub.status
        pub.start()
        pub.save()
    try:
        adapter = adapter_for(pub.platform)
    except PlatformError as exc:
        return _fail(pub, exc)
    run = _Run(pub=pub, steps=tuple(adapter.steps), percent=float(pub.progress or 0))
    run.send(force=True)
    cleanup: list[Path] = []
    try:
        ctx = _context(run, cleanup)
        for step in run.steps:
            if run.done(step):
                continue
            _set_step(pub, step)
            run.progress(step, 0.0)
            run.send(force=True)
            _run_step(run, adapter, ctx, step)
            if not run.done(step):  # a step without an id of its own (a poll, a dry run)
                run.record(step)
            run.progress(step, 1.0)
    except PlatformError as exc:
        if exc.transient and _rq_retries_left() > 0:
            _note_waiting(pub, exc)
            raise TransientPublishError(exc.message) from exc
        return _fail(pub, exc)
    except ValidationError as exc:
        return _fail(pub, PlatformError(" ".join(exc.messages), code="invalid"))
    finally:
        for path in cleanup:
            path.unlink(missing_ok=True)
    return _succeed(pub, adapter)


def _context(run: _Run, cleanup: list[Path]) -> PublishContext:
    from videogen.selectors import render_assets

    pub = run.pub
    assets = render_assets(render=pub.render)
    asset = assets.get(pub.aspect_ratio)
    if asset is None:
        raise PlatformError(f"The {pub.aspect_ratio} video of this render is no longer stored.", code="missing_video",
                            field="aspect_ratio")
    video_path, temp = _local_file(asset, ".mp4")
    if temp:
        cleanup.append(video_path)
    poster_path = None
    poster = getattr(asset, "poster", None)  # set by render_assets
    if poster is not None:
        poster_path, temp = _local_file(poster, ".png")
        if temp:
            cleanup.append(poster_path)
    conn = _fresh_connection(pub)
    _connection_token(conn)
    conn.refresh_from_db()
    return PublishContext(
        publication=pub, connection=conn, render=pub.render, campaign=pub.ad_set.campaign, ad_set=pub.ad_set, ad=pub.ad,
        video_path=video_path, poster_path=poster_path, generated_content=_generated_content(pub.render),
        record=run.record, done=run.done, external_id=run.external_id, progress=run.progress)


def _rq_retries_left() -> int:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:  # noqa: BLE001 - not inside an RQ job
        return 0
    return int(getattr(job, "retries_left", 0) or 0) if job is not None else 0


def _note_waiting(pub: Publication, exc: PlatformError) -> None:
    Publication.objects.filter(pk=pub.pk).update(
        error_message=f"{pub.platform.capitalize()} asked to slow down: {exc.message} Kolony will try again in a few minutes.",
        error_code=exc.code[:64], error_field=exc.field[:200], updated_at=timezone.now())
    pub.refresh_from_db()
    live.publish(pub.pk, live.state_message(pub))


def _reconnect_message(pub: Publication, exc: PlatformError) -> str:
    name = pub.platform.capitalize()
    if exc.code in ("disconnected", "needs_reconnect"):
        return exc.message
    return (f"{name} refused the access token even after refreshing it ({exc.message}). "
            f"Reconnect {name} on the Connections page, then retry.")


def _fail(pub: Publication, exc: PlatformError) -> str:
    """Ends the publication ``failed`` with the platform's message, code and blamed field; the
    render goes ``publish_failed``; the submitter is notified. Steps already done stay recorded."""
    from kolony.notifications.services import notify

    message = _reconnect_message(pub, exc) if exc.auth else exc.message
    with transaction.atomic():
        row = Publication.objects.select_for_update(of=("self",)).select_related("render__job").get(pk=pub.pk)
        if row.status not in (PublicationStatus.QUEUED, PublicationStatus.RUNNING):
            return row.status
        if exc.auth and exc.code != "disconnected" and row.connection_id is not None:
            PlatformConnection.objects.filter(pk=row.connection_id, status="active").update(
                status="needs_reconnect", status_message=message[:500])
        steps = dict(row.steps or {})
        if row.current_step and not row.step_done(row.current_step):
            steps[row.current_step] = {**(steps.get(row.current_step) or {}), "status": "failed", "at": timezone.now().isoformat(),
                                       "detail": {"message": message[:500], "code": exc.code}}
        row.steps = steps
        row.fail(message, code=exc.code or ("auth" if exc.auth else ""), field=exc.field)
        row.save()
        render = row.render
        if render.review_status == "publishing" and not Publication.objects.filter(
                render=render, status__in=[PublicationStatus.QUEUED, PublicationStatus.RUNNING]).exclude(pk=row.pk).exists():
            render.publishing_failed()
            render.save(update_fields=["review_status"])
        audit_log(organization=row.organization, actor=None, action="publication.failed", target=render.job,
                  metadata={"version": render.number, "platform": row.platform, "publication": row.pk,
                            "message": message[:300], "code": exc.code, "field": exc.field})
        notify(organization=row.organization, recipients=[render.submitted_by, row.created_by], kind="publishing",
               message=f"Publishing {_render_label(render)} to {row.platform.capitalize()} failed: {message}"[:500],
               url=f"/campaigns/publications/{row.pk}/", target=row)
    pub.refresh_from_db()
    live.publish(pub.pk, live.state_message(pub))
    return pub.status


def fail_interrupted(publication_id: int, reason: str) -> None:
    """Fails a publication whose job died (RQ's ``on_failure``: retries exhausted or an unexpected
    error), unless it already ended."""
    pub = Publication.objects.filter(pk=publication_id).first()
    if pub is not None and pub.status in (PublicationStatus.QUEUED, PublicationStatus.RUNNING):
        _fail(pub, PlatformError(reason, code="job_failed"))


def _external_entry(ext_id: str, status: str, url: str = "") -> dict:
    return {"id": ext_id, "status": status, "url": url, "synced_at": timezone.now().isoformat()}


def _ids(pub: Publication) -> dict[str, str]:
    """The external ids of campaign, ad set and ad: the step of that name, else an id the adapter
    put in another step's detail (``campaign_id``, ``ad_set_id``/``ad_group_id``, ``ad_id``)."""
    found = {"campaign": pub.external_id("campaign"), "ad_set": pub.external_id("ad_set") or pub.external_id("ad_group"),
             "ad": pub.external_id("ad")}
    keys = {"campaign": ("campaign_id", "campaign"), "ad_set": ("ad_set_id", "ad_group_id", "adset_id"), "ad": ("ad_id", "ad_group_ad_id")}
    for entry in (pub.steps or {}).values():
        detail = entry.get("detail") or {}
        for what, names in keys.items():
            for name in names:
                if not found[what] and detail.get(name):
                    found[what] = str(detail[name])
    return found


def _succeed(pub: Publication, adapter) -> str:
    from kolony.notifications.services import notify

    ids = _ids(pub)
    status = {"status": "PAUSED", "url": ""}
    if pub.ad_id and ids["ad"]:
        ad = Ad.objects.get(pk=pub.ad_id)
        ad.external = {**(ad.external or {}), pub.platform: {"id": ids["ad"]}}
        try:
            status = {**status, **(adapter.fetch_status(connection=_fresh_connection(pub), ad=ad) or {})}
        except PlatformError as exc:  # the ad exists; its status shows after the next sync
            log.warning("publication %s: status of ad %s not read: %s", pub.pk, ids["ad"], exc)
    with transaction.atomic():
        row = Publication.objects.select_for_update(of=("self",)).select_related("render__job", "ad_set__campaign").get(pk=pub.pk)
        if row.status != PublicationStatus.RUNNING:
            return row.status
        ad_set = AdSet.objects.select_for_update().get(pk=row.ad_set_id)
        campaign = ad_set.campaign
        for obj, ext_id, st in ((campaign, ids["campaign"], "PAUSED"), (ad_set, ids["ad_set"], "PAUSED")):
            if ext_id:
                previous = (obj.external or {}).get(row.platform) or {}
                obj.external = {**(obj.external or {}), row.platform: {**previous, **_external_entry(ext_id, previous.get("status") or st)}}
                obj.save(update_fields=["external", "updated_at"])
        if row.ad_id and ids["ad"]:
            ad = Ad.objects.select_for_update().get(pk=row.ad_id)
            entry = _external_entry(ids["ad"], str(status.get("status") or "PAUSED"), str(status.get("url") or ""))
            if status.get("effective_status"):
                entry["effective_status"] = status["effective_status"]
            if status.get("review"):
                entry["review"] = list(status["review"])[:20]
            entry["publication"] = row.pk
            ad.external = {**(ad.external or {}), row.platform: entry}
            ad.save(update_fields=["external", "updated_at"])
        row.succeed()
        row.save()
        render = row.render
        render.publishing_succeeded()
        render.save(update_fields=["review_status"])
        audit_log(organization=row.organization, actor=None, action="publication.succeeded", target=render.job,
                  metadata={"version": render.number, "platform": row.platform, "publication": row.pk, "ad": ids["ad"]})
        notify(organization=row.organization, recipients=[render.submitted_by, row.created_by], kind="publishing",
               message=f"{_render_label(render)} is on {row.platform.capitalize()} as ad {ids['ad']} (paused until you activate it).",
               url=f"/campaigns/publications/{row.pk}/", target=row)
        data_changed(row.organization)
    pub.refresh_from_db()
    live.publish(pub.pk, live.state_message(pub, tuple(adapter.steps)))
    return pub.status


# --- activate / pause -----------------------------------------------------------------------


def _call_with_fresh_token(conn: PlatformConnection, platform: str, call: Callable[[Any], T]) -> T:
    """Runs ``call(adapter)`` for an interactive change (pause, budget) with a valid token: refreshed
    first when due, and once more if the platform refuses it (``PlatformError.auth``). Raises
    ValidationError naming the field the platform blames (``__all__`` when none)."""
    try:
        adapter = adapter_for(platform)
        _connection_token(conn)
        conn.refresh_from_db()
        try:
            return call(adapter)
        except PlatformError as exc:
            if not exc.auth:
                raise
            _connection_token(conn, force_refresh=True)
            conn.refresh_from_db()
            return call(adapter)
    except PlatformError as exc:
        raise ValidationError({exc.field or "__all__": [f"{platform.capitalize()}: {exc.message}"]}) from None


def ad_platform_status_change(*, ad: Ad, platform: str, active: bool, user) -> str:
    """Activates (``active``) or pauses the published ``ad`` on ``platform`` through the adapter,
    then stores the platform's new status on ``ad.external`` and the Kolony status. Returns the
    platform's status ("ACTIVE" / "PAUSED"…). Raises PermissionDenied (role), ValidationError on
    ``ad`` (not published there) or ``platform`` (not connected), and the platform's refusal as a
    ValidationError naming the field it blames (``__all__`` when none)."""
    organization = ad.ad_set.campaign.organization
    _check_role(user=user, organization=organization)
    entry = (ad.external or {}).get(platform) or {}
    if not entry.get("id"):
        raise ValidationError({"ad": [f"The ad “{ad.name}” is not published on {platform.capitalize()} yet."]})
    conn = _active_connection(organization=organization, platform=platform)
    new_status = _call_with_fresh_token(conn, platform, lambda adapter: adapter.set_status(connection=conn, ad=ad, active=active))
    with transaction.atomic():
        locked = Ad.objects.select_for_update().get(pk=ad.pk)
        current = dict((locked.external or {}).get(platform) or {})
        current.pop("effective_status", None)  # the platform recomputes delivery; the next sync reads it
        locked.external = {**(locked.external or {}), platform: {**current, "status": new_status, "synced_at": timezone.now().isoformat()}}
        locked.status = Status.ACTIVE if active else Status.PAUSED
        locked.save(update_fields=["external", "status", "updated_at"])
        audit_log(organization=organization, actor=user, action="ad.platform_status_changed", target=locked,
                  metadata={"platform": platform, "status": new_status})
        data_changed(organization)
    ad.external, ad.status = locked.external, locked.status
    return new_status


# --- budget ---------------------------------------------------------------------------------


def ad_set_budget_change(*, ad_set: AdSet, platform: str, budget_minor: int, user) -> int:
    """Sets the budget that feeds ``ad_set`` on ``platform`` to ``budget_minor`` (minor units of
    the ad set's currency; daily or lifetime as the campaign's ``budget_type`` says) through the
    adapter's ``set_budget`` — Meta: the ad set, or the campaign under an Advantage campaign
    budget; Google: the campaign's ``CampaignBudget`` — then stores it on the Kolony ad set (or
    campaign, when that holds the budget) and audits ``ad_set.budget_changed``. Returns the
    platform's stored budget. Raises PermissionDenied (role), ValidationError on
    ``budget_minor`` (not a positive whole number), ``ad_set`` (not published there),
    ``platform`` (not connected), and the platform's refusal naming the field it blames."""
    from campaigns.choices import BudgetLevel

    organization = ad_set.campaign.organization
    _check_role(user=user, organization=organization)
    if isinstance(budget_minor, bool) or not isinstance(budget_minor, int) or budget_minor <= 0:
        raise ValidationError({"budget_minor": ["The budget must be a whole number of minor units greater than zero."]})
    campaign = ad_set.campaign
    holder = campaign if campaign.budget_level == BudgetLevel.CAMPAIGN else ad_set
    if not ((holder.external or {}).get(platform) or {}).get("id") and not ((ad_set.external or {}).get(platform) or {}).get("id"):
        raise ValidationError({"ad_set": [f"The ad set “{ad_set.name}” is not published on {platform.capitalize()} yet."]})
    conn = _active_connection(organization=organization, platform=platform)
    stored = _call_with_fresh_token(conn, platform,
                                    lambda adapter: adapter.set_budget(connection=conn, ad_set=ad_set, budget_minor=budget_minor))
    with transaction.atomic():
        model = type(holder)
        locked = model.objects.select_for_update().get(pk=holder.pk)
        previous = locked.budget_minor
        locked.budget_minor = int(stored)
        locked.save(update_fields=["budget_minor", "updated_at"])
        audit_log(organization=organization, actor=user, action="ad_set.budget_changed", target=ad_set,
                  metadata={"platform": platform, "budget_minor": int(stored), "previous_budget_minor": previous,
                            "on": "campaign" if holder is campaign else "ad_set"})
        data_changed(organization)
    holder.budget_minor = int(stored)
    return int(stored)
