"""Answers a clear 503 instead of a 500 when a request truly needs Redis and Redis is down.

Caches and sessions keep working without Redis (:mod:`kolony.core.rediscache`) and jobs are
queued through the outbox (:mod:`kolony.outbox`), so what is left is what cannot work without it
(e.g. live progress, the RQ dashboard). :class:`RedisOutageMiddleware` turns a
``redis.exceptions.ConnectionError`` / ``TimeoutError`` raised by a view into

- ``/api/...``: ``503`` JSON ``{"detail": str, "errors": {}, "cause": "redis"}``;
- pages: ``503`` HTML page naming the cause;

both with ``Retry-After: 30``.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.template.response import SimpleTemplateResponse

from .rediscache import REDIS_DOWN_ERRORS

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30
REDIS_DOWN_DETAIL = ("The queue and cache service (Redis) is unreachable, so this can't be done right now. "
                     "Your saved work is safe; queued renders start once it is back.")


def redis_down_response(request):
    """The 503 response for ``request`` while Redis is unreachable (JSON for the API, else a page)."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": REDIS_DOWN_DETAIL, "errors": {}, "cause": "redis"}, status=503)
    else:
        response = SimpleTemplateResponse("core/service_unavailable.html", {"detail": REDIS_DOWN_DETAIL, "request": request},
                                          status=503)
        response.render()
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


class RedisOutageMiddleware:
    """Maps a Redis connection error escaping a view to :func:`redis_down_response`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, REDIS_DOWN_ERRORS):
            log.error("Redis unreachable while serving %s %s: %s", request.method, request.path, exception)
            return redis_down_response(request)
        return None
