"""DRF throttles counted in the Redis cache every web process shares (``CACHES["throttle"]``),
keyed on the user (authenticated) or on :func:`kolony.accounts.security.client_ip` (anonymous).
Rates: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (settings, from the environment). Over the
rate the API answers 429 in its error format with ``Retry-After``. When the throttle cache is
unreachable the request is let through (logged): a Redis outage must not turn into 500s."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

log = logging.getLogger(__name__)

CACHE_ALIAS = "throttle"


class _SharedCacheThrottle:
    @property
    def cache(self):
        return caches[CACHE_ALIAS if CACHE_ALIAS in settings.CACHES else "default"]

    def get_ident(self, request):
        from .security import client_ip

        return client_ip(request)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # noqa: BLE001 - an unreachable throttle cache must not break the API
            log.warning("throttle cache unavailable, request allowed: %s", exc)
            return True


# DRF declares ``cache`` a plain attribute; ours is a property (the alias is looked up per request).
class UserThrottle(_SharedCacheThrottle, UserRateThrottle):  # type: ignore[override]
    """The API default: per signed-in user (per client address when anonymous); rate ``user``."""


class SignInThrottle(_SharedCacheThrottle, AnonRateThrottle):  # type: ignore[override]
    """Per client address on ``POST /api/v1/auth/token/`` (any outcome); rate ``sign_in``.
    Wrong passwords per account + address are limited by django-axes as well."""

    scope = "sign_in"
