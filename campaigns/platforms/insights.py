"""Results back: the insights sync of one platform connection, its schedule and its retries.

:func:`insights_sync` pulls the daily per-ad delivery of every published Kolony ad of the
connection's organization on that platform (an ad is published there when
``Ad.external[platform]["id"]`` holds the platform's ad id) through the platform adapter's
``fetch_insights`` (Meta ``/insights``, Google GAQL; the adapter follows every page and converts
string numbers and micros exactly), then upserts :class:`campaigns.models.InsightDaily` with
:func:`campaigns.services.insights_upsert`, all ads in one transaction (nothing half-written),
and records the outcome in an :class:`campaigns.models.InsightSyncRun`.

Which days (per ad, platform reporting day = Kolony's local date):

- **back-fill**: from the day after the last day already stored for the ad on that platform, or,
  for an ad never synced, from the day it was published (its succeeded publication, else the
  campaign's start, else the ad's creation), at most :data:`MAX_BACKFILL_DAYS` back;
- **re-sync window**: the last :data:`RESYNC_DAYS` days before today are always fetched again,
  and today too, because platforms restate recent days: Meta credits a conversion to the day of
  the ad interaction for up to the attribution window afterwards (default 7-day click / 1-day
  view, https://www.facebook.com/business/help/2198119873776795) and marks estimated metrics as
  evolving "as we gather more data" (https://developers.facebook.com/docs/marketing-api/insights/);
  Google Ads reports most statistics within about 3 hours and keeps updating conversions
  afterwards (https://support.google.com/google-ads/answer/2544985). The upsert replaces a stored
  day with the platform's latest numbers.

Schedule: :func:`insights_schedule_due` (run by the sweep every Kolony RQ worker and
``manage.py outbox_sweep`` already run, :mod:`kolony.outbox.sweep`) queues one sync per active
connection per clock hour. The RQ job id is fixed per connection and hour and the outbox's job id
is unique, so however many processes sweep, each hour gives one job. (RQ 3.0's own ``Repeat`` /
``enqueue_in`` would need a job in Redis first, i.e. not through the outbox, and would lose the
schedule on a Redis flush.) A failed sync is recorded (status ``failed``, the error) and retried
by RQ's ``Retry`` (:data:`RETRY_INTERVALS_S`) on the same run row; the admin lists the runs and
retries a failed one (:func:`insight_sync_run_retry`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kolony.datacache import data_changed
from kolony.tenancy import org_queryset

from ..models import Ad, InsightDaily, PlatformConnection
from .base import InsightRow, PlatformError
from .models import InsightSyncRun, Publication, PublicationStatus

log = logging.getLogger(__name__)

#: Days before today fetched again on every sync (restated by the platforms; see the module docstring).
RESYNC_DAYS: int = getattr(settings, "INSIGHTS_RESYNC_DAYS", 3)
#: The furthest back a first sync reaches (Meta keeps 37 months; Kolony's reports cover 731 days).
MAX_BACKFILL_DAYS = 730
#: Seconds between RQ's retries of a failed sync (three retries, ~21 minutes in all).
RETRY_INTERVALS_S: list[int] = [60, 300, 900]
SYNC_QUEUE = "default"
SYNC_TASK = "campaigns.platforms.tasks.sync_connection_insights"
SYNC_JOB_TIMEOUT_S = 900
#: A manual "Sync now" is accepted once per connection per this many seconds (double clicks).
MANUAL_DEBOUNCE_S = 60
METRICS = InsightDaily.METRICS


class InsightSyncFailed(Exception):
    """Raised by the RQ task after a failed sync is recorded, so RQ's ``Retry`` runs it again."""


def _adapter(platform: str) -> Any:
    """The platform's adapter (:func:`campaigns.platforms.registry.adapter_for`; tests swap in a
    fake with ``registry.override_adapter``)."""
    from .registry import adapter_for

    return adapter_for(platform)


def published_ads(*, connection: PlatformConnection) -> dict[str, Ad]:
    """``{external ad id: Ad}``: the organization's Kolony ads published on the connection's
    platform (``Ad.external[platform]["id"]`` non-empty)."""
    platform = connection.platform
    ads = (org_queryset(Ad, connection.organization).filter(external__has_key=platform)
           .select_related("ad_set__campaign").order_by("pk"))
    out: dict[str, Ad] = {}
    for ad in ads:
        twin = ad.external.get(platform)
        external_id = str(twin.get("id") or "") if isinstance(twin, dict) else ""
        if external_id:
            out[external_id] = ad
    return out


def _published_on(ad: Ad, platform: str) -> dt.date:
    """The day ``ad`` went live on ``platform``: its first succeeded publication's finish, else its
    campaign's start, else the ad's creation (local dates)."""
    publication = (Publication.objects.filter(ad=ad, platform=platform, status=PublicationStatus.SUCCEEDED)
                   .order_by("finished_at").first())
    when = (publication and (publication.finished_at or publication.created_at)) or ad.ad_set.campaign.starts_at \
        or ad.created_at
    return timezone.localdate(when)


def sync_window(*, ad: Ad, platform: str, today: dt.date) -> dt.date:
    """The first day to fetch for ``ad`` (see the module docstring): the day after its last stored
    day, moved back to cover the last :data:`RESYNC_DAYS` days; for a never-synced ad its
    publication day; never before ``today - MAX_BACKFILL_DAYS`` nor after ``today``."""
    last = InsightDaily.objects.filter(ad=ad, platform=platform).order_by("-date").values_list("date", flat=True).first()
    if last is None:
        since = _published_on(ad, platform)
    else:
        since = min(last + dt.timedelta(days=1), today - dt.timedelta(days=RESYNC_DAYS))
    return min(max(since, today - dt.timedelta(days=MAX_BACKFILL_DAYS)), today)


def _row_dict(row: InsightRow, platform: str) -> dict:
    values = asdict(row)
    return {"platform": platform, "date": row.date, **{m: values[m] for m in METRICS}}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, PlatformError):
        parts = [exc.message or str(exc)]
        if exc.code:
            parts.append(f"(code {exc.code})")
        if exc.field:
            parts.append(f"[field: {exc.field}]")
        return " ".join(parts)
    if isinstance(exc, ValidationError):
        return "The platform sent rows Kolony cannot store: " + "; ".join(exc.messages)
    return f"{type(exc).__name__}: {exc}"


def _start_run(*, connection: PlatformConnection, run: InsightSyncRun | None, trigger: str, since: dt.date,
               until: dt.date) -> InsightSyncRun:
    """A run row in ``running`` state, committed at once so the admin sees a sync in progress."""
    with transaction.atomic():
        if run is None:
            return InsightSyncRun.objects.create(organization_id=connection.organization_id, connection=connection,
                                                 platform=connection.platform, since=since, until=until, trigger=trigger)
        run = InsightSyncRun.objects.select_for_update().get(pk=run.pk)
        run.attempts += 1
        run.status, run.error, run.finished_at = InsightSyncRun.Status.RUNNING, "", None
        run.rows_upserted = run.pages_fetched = 0
        run.save()
        return run


def _finish_run(run: InsightSyncRun, *, error: str = "", rows: int = 0, pages: int = 0) -> InsightSyncRun:
    run.status = InsightSyncRun.Status.FAILED if error else InsightSyncRun.Status.SUCCEEDED
    run.error, run.rows_upserted, run.pages_fetched, run.finished_at = error[:4000], rows, pages, timezone.now()
    run.save(update_fields=["status", "error", "rows_upserted", "pages_fetched", "finished_at"])
    return run


def insights_sync(*, connection: PlatformConnection, since: dt.date | None = None, until: dt.date | None = None,
                  trigger: str = "schedule", run: InsightSyncRun | None = None) -> InsightSyncRun:
    """Pulls and stores the daily insights of ``connection``'s published ads; returns the run.

    ``since``/``until`` (inclusive local dates) override the per-ad windows of :func:`sync_window`
    (``until`` defaults to today); ``trigger`` is ``schedule`` | ``manual`` | ``retry``; ``run``
    re-runs that run (RQ retry or the admin's retry: same range, ``attempts`` + 1).

    One ``fetch_insights`` call per distinct first day (usually one per sync); each call's
    ``pages_fetched`` attribute, when the adapter's iterable has one, counts the pages (else 1).
    Rows of ad ids Kolony does not know are ignored. Every row is upserted in one transaction;
    any failure (a ``PlatformError``, a network error, a row ``insights_upsert`` refuses) leaves the
    stored insights as they were and ends the run ``failed`` with the error text — it never
    raises for those. A connection that needs reconnecting fails at once, without a call.
    """
    today = timezone.localdate()
    if run is not None:
        since, until = run.since, run.until
    until = min(until or today, today)
    ads = published_ads(connection=connection)
    groups: dict[dt.date, list[str]] = defaultdict(list)
    for external_id, ad in ads.items():
        groups[min(since or sync_window(ad=ad, platform=connection.platform, today=today), until)].append(external_id)
    run_since = min(groups) if groups else min(since or until, until)
    run = _start_run(connection=connection, run=run, trigger=trigger, since=run_since, until=until)
    if connection.status != "active":
        return _finish_run(run, error=f"The {connection.get_platform_display()} connection needs to be reconnected "
                                      f"on the Connections page: {connection.status_message or 'access was revoked'}.")
    if not groups:
        return _finish_run(run)
    by_ad: dict[Ad, list[dict]] = defaultdict(list)
    pages = 0
    try:
        adapter = _adapter(connection.platform)
        for first_day, external_ids in sorted(groups.items()):
            rows = adapter.fetch_insights(connection=connection, external_ad_ids=external_ids, since=first_day, until=until)
            for row in rows:
                known = ads.get(str(row.external_ad_id))
                if known is not None:
                    by_ad[known].append(_row_dict(row, connection.platform))
            pages += int(getattr(rows, "pages_fetched", 1) or 1)
        with transaction.atomic():
            written = sum(_upsert(ad, rows) for ad, rows in by_ad.items())
            if written:
                data_changed(connection.organization, insights=True)
            finished = _finish_run(run, rows=written, pages=pages)
        _refresh_statuses(adapter=adapter, connection=connection, ads=ads)
        return finished
    except Exception as exc:  # noqa: BLE001 - recorded on the run (the admin shows it) and retried by RQ
        if not isinstance(exc, (PlatformError, ValidationError)):
            log.exception("insights sync of connection %s failed", connection.pk)
        return _finish_run(run, error=_error_text(exc), pages=pages)


def _refresh_statuses(*, adapter, connection: PlatformConnection, ads: dict[str, Ad]) -> int:
    """After a sync, each published ad's platform status (delivery ``status``/``effective_status``,
    review messages) from ``adapter.fetch_status``, stored in ``Ad.external[platform]`` with
    ``synced_at``, so the campaign page's "Active" says what the platform says. A status that can't
    be read is logged and left as it was (the insights are stored either way). Returns how many
    ads were updated."""
    fetch = getattr(adapter, "fetch_status", None)
    if fetch is None:
        return 0
    updated = 0
    for ad in ads.values():
        try:
            status = fetch(connection=connection, ad=ad) or {}
        except Exception as exc:  # noqa: BLE001 - the sync's insights are stored; the old status stays shown
            log.warning("insights sync: status of ad %s on %s not read: %s", ad.pk, connection.platform, exc)
            continue
        with transaction.atomic():
            row = Ad.objects.select_for_update().filter(pk=ad.pk).first()
            if row is None:
                continue
            entry = dict((row.external or {}).get(connection.platform) or {})
            for key in ("status", "effective_status", "url"):
                if status.get(key):
                    entry[key] = str(status[key])
            if "review" in status:
                entry["review"] = [str(m) for m in list(status.get("review") or [])[:20]]
            entry["synced_at"] = timezone.now().isoformat()
            row.external = {**(row.external or {}), connection.platform: entry}
            row.save(update_fields=["external", "updated_at"])
            updated += 1
    if updated:
        data_changed(connection.organization)
    return updated


def _upsert(ad: Ad, rows: list[dict]) -> int:
    from campaigns.services import insights_upsert

    try:
        return insights_upsert(ad=ad, rows=rows)
    except ValidationError as exc:
        raise ValidationError(f"ad “{ad.name}”: " + "; ".join(exc.messages)) from exc


# --- queueing -----------------------------------------------------------------------------------


def insights_sync_enqueue(*, connection: PlatformConnection, trigger: str, run: InsightSyncRun | None = None,
                          job_id: str | None = None) -> bool:
    """Queues a sync of ``connection`` (RQ queue :data:`SYNC_QUEUE`, retried per
    :data:`RETRY_INTERVALS_S`) through the outbox, once the current transaction commits. With a
    ``job_id`` already used (same hour's schedule, a double click) nothing is queued: returns
    False; True when queued."""
    from kolony.outbox.services import enqueue_on_commit

    try:
        with transaction.atomic():
            enqueue_on_commit(SYNC_QUEUE, SYNC_TASK, connection.pk,
                              kwargs={"trigger": trigger, "run_id": run.pk if run else None},
                              job_id=job_id, job_timeout=SYNC_JOB_TIMEOUT_S, retry=len(RETRY_INTERVALS_S),
                              retry_intervals=RETRY_INTERVALS_S,
                              description=f"insights sync of {connection.platform} connection {connection.pk}")
    except IntegrityError:
        return False
    return True


def insights_sync_request(*, connection: PlatformConnection, now: dt.datetime | None = None) -> bool:
    """The "Sync now" button: queues a manual sync unless one was requested in the last
    :data:`MANUAL_DEBOUNCE_S` seconds (then False). Raises ValidationError when the connection
    needs reconnecting."""
    if connection.status != "active":
        raise ValidationError(f"Reconnect {connection.get_platform_display()} on the Connections page before syncing.")
    bucket = int((now or timezone.now()).timestamp()) // MANUAL_DEBOUNCE_S
    return insights_sync_enqueue(connection=connection, trigger="manual", job_id=f"insights-manual-{connection.pk}-{bucket}")


def insights_schedule_due(*, now: dt.datetime | None = None) -> int:
    """Queues this clock hour's sync of every active connection (idempotent: the job id is
    ``insights-hourly-<connection>-<UTC hour>``). Returns how many were queued now."""
    hour = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%d%H")
    queued = 0
    for connection in PlatformConnection.objects.filter(status="active").exclude(token_encrypted="").order_by("pk"):
        queued += insights_sync_enqueue(connection=connection, trigger="schedule",
                                        job_id=f"insights-hourly-{connection.pk}-{hour}")
    return queued


def insight_sync_run_retry(*, run: InsightSyncRun) -> bool:
    """The admin's "retry": queues ``run`` again (same range, trigger ``retry``). Returns False
    when its connection is gone or the run did not fail."""
    if run.status != InsightSyncRun.Status.FAILED or run.connection is None:
        return False
    return insights_sync_enqueue(connection=run.connection, trigger="retry", run=run)


def insights_sync_job(*, connection_id: int, trigger: str = "schedule", run_id: int | None = None) -> dict:
    """The body of the RQ task. RQ's retries call it again with the same arguments; the run row of
    the first attempt (kept in the job's ``meta``) is reused, so one sync is one row. Returns
    ``{"run", "status", "rows"}``; raises :class:`InsightSyncFailed` after a failed sync so RQ
    retries (not for a connection that needs reconnecting: retrying cannot help)."""
    from rq import get_current_job

    job = get_current_job()
    run_id = run_id or (job.meta.get("insight_sync_run") if job is not None else None)
    connection = PlatformConnection.objects.select_related("organization").filter(pk=connection_id).first()
    if connection is None:
        return {"run": None, "status": "skipped", "rows": 0}
    run = InsightSyncRun.objects.filter(pk=run_id, connection=connection).first() if run_id else None
    run = insights_sync(connection=connection, trigger="retry" if run is not None else trigger, run=run)
    if job is not None:
        job.meta["insight_sync_run"] = run.pk
        job.save_meta()
    if run.status == InsightSyncRun.Status.FAILED and connection.status == "active":
        raise InsightSyncFailed(run.error)
    return {"run": run.pk, "status": run.status, "rows": run.rows_upserted}
