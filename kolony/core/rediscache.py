"""A Redis cache that keeps the site up while Redis is down.

Django's ``RedisCache`` raises ``redis.exceptions.ConnectionError`` from every call when Redis is
unreachable. ``cached_db`` sessions only guard their first read, so the write-back that follows
(and every ``save()`` at the end of a request) answered 500 during an outage — sign-in included.

:class:`ResilientRedisCache` is a drop-in ``BACKEND`` for ``settings.CACHES`` that treats an
unreachable Redis as an empty cache: reads miss (``get`` → default, ``get_many`` → ``{}``,
``has_key`` → False), writes are skipped (``set``/``delete``/``touch`` do nothing, ``add`` → False)
and ``incr`` raises ``ValueError`` as for a missing key. Callers then fall back to the database
(sessions, the identity cache) or compute the value (page caches). After a failure the backend
stops calling Redis for :data:`RETRY_AFTER_S` seconds, so an outage costs one failed connection
per process per few seconds, not one per cache call.

Only connection-level errors are swallowed (``ConnectionError``, ``TimeoutError``, which include
``BusyLoadingError``); a command error (wrong type, bad script) still raises.
"""

from __future__ import annotations

import logging
import time

import redis.exceptions
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

#: What "Redis is unreachable" looks like from redis-py.
REDIS_DOWN_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
#: Seconds a process skips Redis after a connection error before trying again.
RETRY_AFTER_S = 2.0


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that degrades to a miss while Redis is down.

    OPTIONS are passed to redis-py's connection pool as for ``RedisCache``; give it
    ``socket_connect_timeout`` / ``socket_timeout`` (seconds) so an unreachable host fails fast.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        """False while this process is skipping Redis after a connection error."""
        return time.monotonic() >= self._down_until

    def _call(self, fallback, method, *args, **kwargs):
        if not self.available:
            return fallback
        try:
            return method(*args, **kwargs)
        except REDIS_DOWN_ERRORS as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_S
            log.warning("Redis cache %s unreachable, working without it for %.0f s: %s", self.key_prefix or "",
                        RETRY_AFTER_S, exc)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._call(missing, super().incr, key, delta, version)
        if value is missing:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(None, super().delete_many, keys, version)

    def clear(self):
        return self._call(False, super().clear)
