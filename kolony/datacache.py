"""The cache shared by every web process for cached pages (campaign list, API list, dashboard) and
report numbers, with per-organization versions that retire them.

``settings.CACHES["campaigns"]`` when configured; otherwise a Redis cache on ``settings.REDIS_URL``
(the Redis Kolony already runs for RQ and Channels) so all workers share one copy; with no Redis
URL, the default cache. A cache that fails (Redis down) is skipped: numbers are then computed
(:class:`kolony.core.rediscache.ResilientRedisCache` answers misses while Redis is unreachable).

**Data versions.** Each organization has a counter, its *data version*, that every write of
campaign data bumps (:func:`data_changed`, called by each write service in
``campaigns.services`` and by ``insights_upsert``). Cached pages and numbers are stored with the
version they were computed at and served only while it is still the current one, so an edit shows
on the very next request, in every process. A bump happens at once *and* again when the writing
transaction commits: a reader that computed a page from the not-yet-committed state of the
database stored it under the first bump's version, which the commit's bump retires.

There are three counters per organization: ``data`` (every write; pages are keyed on it),
``insights`` (writes of insight rows only; the dashboard's expensive numbers are keyed on it, so a
rename does not recompute a million-row aggregate) and ``activity`` (every audit event; the
dashboard page shows the latest ones, :func:`activity_changed`). :func:`single_flight` lets one process
compute an expensive value while the others wait for it.

The counter's key holds the organization's id *and* creation time, so a recreated database
(tests, restores) whose ids start over never meets the counters and pages of the old one. A
counter that is missing (evicted, flushed) restarts from a random 48-bit number, never from one a
stored page may carry.

Only a cache that every web process shares may hold versions (Redis, or an explicitly configured
``CACHES["campaigns"]``): with the per-process default cache the page caches are off
(:func:`shared`), since one process's bump would not reach the others.
"""

from __future__ import annotations

import logging
import random
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

log = logging.getLogger(__name__)

VERSION_TIMEOUT = None  # counters never expire on their own (a few bytes per organization)


@lru_cache(maxsize=1)
def _backend_and_shared():
    if "campaigns" in getattr(settings, "CACHES", {}):
        return caches["campaigns"], True
    url = getattr(settings, "REDIS_URL", "")
    if url:
        from kolony.core.rediscache import ResilientRedisCache

        options = {"socket_connect_timeout": 1, "socket_timeout": 2}
        return ResilientRedisCache(url, {"KEY_PREFIX": "kolony:campaigns", "TIMEOUT": 300, "OPTIONS": options}), True
    return caches["default"], False


def _backend():
    return _backend_and_shared()[0]


def shared() -> bool:
    """Whether the cache is one copy for every web process (required for the page caches)."""
    return _backend_and_shared()[1]


def cache_set(key: str, value, timeout: int) -> None:
    try:
        _backend().set(key, value, timeout)
    except Exception as exc:  # noqa: BLE001
        log.warning("campaigns cache unavailable: %s", exc)


# --- per-organization data versions ------------------------------------------------------------


SCOPES = ("data", "insights")
ACTIVITY = "activity"  # audit events (the dashboard's "Recent activity"), bumped by activity_changed


def _version_key(organization, scope: str = "data") -> str:
    created = getattr(organization, "created_at", None)
    stamp = int(created.timestamp() * 1_000_000) if created else 0
    return f"ver:{scope}:{organization.pk}:{stamp}"


def _random_start() -> int:
    return random.SystemRandom().getrandbits(48)


def _bump(key: str, backend=None) -> None:
    backend = backend or _backend()
    try:
        backend.add(key, _random_start(), VERSION_TIMEOUT)
        backend.incr(key)
    except ValueError:  # evicted between add and incr: start afresh (a new random number)
        backend.add(key, _random_start(), VERSION_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache unavailable, version %s not bumped: %s", key, exc)


def bump_now_and_on_commit(keys: list[str], backend=None) -> None:
    """Bumps the version counters ``keys`` (in ``backend``, default this module's cache) at once
    and again when the current transaction commits. A missing counter starts from a random
    48-bit number, so an entry stored under an older (or evicted) one never matches."""
    def bump():
        for key in keys:
            _bump(key, backend)

    bump()
    transaction.on_commit(bump)


def current_version(found: dict, key: str, backend=None):
    """The version counter ``key`` as read in ``found`` (a ``get_many`` result), created with a
    random start when missing; None when the cache fails."""
    version = found.get(key)
    if version is None:
        backend = backend or _backend()
        try:
            backend.add(key, _random_start(), VERSION_TIMEOUT)
            version = backend.get(key)
        except Exception as exc:  # noqa: BLE001
            log.warning("cache unavailable: %s", exc)
    return version


def activity_changed(organization) -> None:
    """Retires cached pages that show ``organization``'s audit trail (the dashboard): bumps its
    ``activity`` version now and on commit. Called for every saved ``AuditEvent``."""
    bump_now_and_on_commit([_version_key(organization, ACTIVITY)])


def data_changed(organization, *, insights: bool = False) -> None:
    """Retires every cached page of ``organization`` (an Organization with its ``created_at``
    loaded) and, with ``insights``, its cached report numbers too: bumps its ``data`` version
    (and ``insights`` version) now and again once the current transaction commits (immediately
    when there is none). Call it from every write of campaign data, with ``insights=True`` from
    writes of insight rows."""
    bump_now_and_on_commit([_version_key(organization, scope) for scope in (SCOPES if insights else ("data",))])


def data_version(organization, scope: str = "data") -> int | None:
    """The current ``scope`` version of ``organization`` (created when missing); None when the
    cache is unavailable (then nothing may be cached)."""
    return versioned_get(organization, [], scope=scope)[0]


def versioned_get(organization, keys: list[str], *, scope: str | tuple[str, ...] = "data") -> tuple:
    """The organization's ``scope`` version and the entries of ``keys`` stored (by
    :func:`versioned_set`) at that very version, in one round trip: ``(version, {key: value})``
    (stale or missing entries are left out). ``scope`` may be a tuple of scopes; the version is
    then the tuple of their versions. ``(None, {})`` when the cache is unavailable."""
    backend = _backend()
    scopes = (scope,) if isinstance(scope, str) else tuple(scope)
    vkeys = [_version_key(organization, name) for name in scopes]
    try:
        found = backend.get_many([*vkeys, *keys])
        versions = [current_version(found, vkey, backend) for vkey in vkeys]
        if None in versions:
            return None, {}
        version = versions[0] if isinstance(scope, str) else tuple(versions)
    except Exception as exc:  # noqa: BLE001
        log.warning("campaigns cache unavailable: %s", exc)
        return None, {}
    out = {}
    for key in keys:
        entry = found.get(key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
            out[key] = entry[1]
    return version, out


def versioned_set(key: str, version: int | None, value, timeout: int) -> None:
    """Stores ``value`` under ``key`` as computed at data ``version`` (nothing when None)."""
    if version is not None:
        cache_set(key, (version, value), timeout)


def single_flight(organization, key: str, compute, *, timeout: int, scope: str = "data", wait: float = 15.0):
    """``compute()``'s value for ``key`` at the organization's current ``scope`` version: from the
    cache when there, else computed by one process while the others asking for it meanwhile
    poll (every 50 ms, up to ``wait`` seconds) for its result instead of computing it as well.
    Without a working cache, simply ``compute()``."""
    version, found = versioned_get(organization, [key], scope=scope)
    if key in found:
        return found[key]
    if version is None:
        return compute()
    lock = f"lock:{key}:{version}"
    try:
        leader = _backend().add(lock, 1, max(int(wait) * 2, 30))
    except Exception:  # noqa: BLE001
        leader = True
    if not leader:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now, found = versioned_get(organization, [key], scope=scope)
            if key in found:
                return found[key]
            if now != version:  # a newer write: stop waiting for a result that is already stale
                break
    try:
        value = compute()
        versioned_set(key, version, value, timeout)
    finally:
        if leader:
            try:
                _backend().delete(lock)
            except Exception as exc:  # noqa: BLE001 - the lock expires on its own
                log.warning("campaigns cache unavailable, lock %s left to expire: %s", lock, exc)
    return value
