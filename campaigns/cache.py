"""The cache shared by every web process for report numbers (the dashboard's KPIs).

``settings.CACHES["campaigns"]`` when configured; otherwise a Redis cache on ``settings.REDIS_URL``
(the Redis Kolony already runs for RQ and Channels) so all workers share one copy; with no Redis
URL, the default cache. A cache that fails (Redis down) is skipped: numbers are then computed.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _backend():
    if "campaigns" in getattr(settings, "CACHES", {}):
        return caches["campaigns"]
    url = getattr(settings, "REDIS_URL", "")
    if url:
        from django.core.cache.backends.redis import RedisCache

        return RedisCache(url, {"KEY_PREFIX": "kolony:campaigns", "TIMEOUT": 300})
    return caches["default"]


def cache_get(key: str):
    try:
        return _backend().get(key)
    except Exception as exc:  # noqa: BLE001 - a broken cache must not break the page
        log.warning("campaigns cache unavailable: %s", exc)
        return None


def cache_set(key: str, value, timeout: int) -> None:
    try:
        _backend().set(key, value, timeout)
    except Exception as exc:  # noqa: BLE001
        log.warning("campaigns cache unavailable: %s", exc)
