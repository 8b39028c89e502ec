"""A fake insights adapter for the sync tests: it serves :class:`InsightRow` s page by page through
a lazy iterator (like the SDKs' cursors), can fail on chosen calls, and records every call.
The real SDKs' paging is tested by the Meta and Google adapters' own tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from campaigns import services
from campaigns.models import Ad, PlatformConnection
from campaigns.platforms.base import InsightRow, PlatformError
from videogen.models import JobStatus, Render, VideoJob


class Pages:
    """Rows served ``page_size`` at a time; ``pages_fetched`` grows as pages are read; raises
    ``fail_on_page`` (an exception) when that page (1-based) is requested."""

    def __init__(self, rows: list[InsightRow], page_size: int, fail_on_page: tuple[int, Exception] | None = None):
        self._rows, self._size, self._fail = rows, page_size, fail_on_page
        self.pages_fetched = 0

    def __iter__(self) -> Iterator[InsightRow]:
        for start in range(0, max(len(self._rows), 1), self._size):
            if self._fail and self._fail[0] == self.pages_fetched + 1:
                raise self._fail[1]
            self.pages_fetched += 1
            yield from self._rows[start:start + self._size]


class FakeInsightsAdapter:
    platform = "meta"
    steps: tuple[str, ...] = ()

    def __init__(self, platform: str = "meta", page_size: int = 3):
        self.platform, self.page_size = platform, page_size
        self.rows: dict[tuple[str, dt.date], InsightRow] = {}
        self.calls: list[tuple[tuple[str, ...], dt.date, dt.date]] = []
        self.failures: list[tuple[int, Exception] | Exception] = []  # consumed one per call

    def put(self, external_ad_id: str, day: dt.date, **metrics) -> None:
        self.rows[(external_ad_id, day)] = InsightRow(external_ad_id=external_ad_id, date=day, **metrics)

    def fetch_insights(self, *, connection, external_ad_ids, since, until):
        self.calls.append((tuple(sorted(external_ad_ids)), since, until))
        failure = self.failures.pop(0) if self.failures else None
        if isinstance(failure, Exception):
            raise failure
        rows = [r for (ext, day), r in sorted(self.rows.items(), key=lambda kv: (kv[0][1], kv[0][0]))
                if ext in external_ad_ids and since <= day <= until]
        return Pages(rows, self.page_size, failure)


def transient(message="(#17) User request limit reached") -> PlatformError:
    return PlatformError(message, code="17", transient=True)


def connect(org, user, platform="meta") -> PlatformConnection:
    account = "act_1234567890" if platform == "meta" else "1234567890"
    return services.platform_connection_save(organization=org, actor=user, platform=platform, ad_account_id=account,
                                             token=f"tok-{platform}")


def publish(ad: Ad, platform: str, external_id: str) -> Ad:
    """Marks ``ad`` live on ``platform`` as the orchestrator does (its external id)."""
    external = {**(ad.external or {}), platform: {"id": external_id, "status": "ACTIVE"}}
    Ad.objects.filter(pk=ad.pk).update(external=external)
    ad.external = external
    return ad


def bare_render(org, user, *, number=1, job=None, title="Cold brew") -> Render:
    """A render version row without files (enough for results; pages use studio_helpers.make_render)."""
    job = job or VideoJob.objects.create(organization=org, created_by=user, title=title, status=JobStatus.COMPLETED,
                                         brief={"product_name": title})
    return Render.objects.create(job=job, number=number, outputs={}, created_by=user)
