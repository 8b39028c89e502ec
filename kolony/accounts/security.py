"""Sign-in protection and request-safety helpers shared by every view.

- :func:`client_ip` ``(request) -> str``: the real client address. ``REMOTE_ADDR`` unless
  ``KOLONY_TRUSTED_PROXY_COUNT`` (settings; DRF's ``NUM_PROXIES`` is the same number) says that
  many reverse proxies append to ``X-Forwarded-For``; then the address the outermost trusted proxy
  saw (DRF's own rule), so a client's made-up ``X-Forwarded-For`` values are never believed.
  django-axes (sign-in lockouts) and DRF's throttles both key on it.
- :func:`axes_username` / :func:`lockout_response`: django-axes callables (settings ``AXES_*``):
  the account is the lower-cased e-mail; a lockout answers 429 with the login page and its message
  (pages) or the API error format (``/api/``), naming how long until the next try.
- :func:`safe_next_url` ``(request, default) -> str``: the ONE place a user-supplied redirect target
  (``next``) is followed.
"""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str:
    """The client's address as a string ("" when unknown); see the module docstring.

    Accepts a Django ``HttpRequest`` or a DRF ``Request``."""
    request = getattr(request, "_request", request)
    return BaseThrottle().get_ident(request) or ""


def axes_username(request, credentials: dict | None = None) -> str:
    """The account an attempt is for: the e-mail from ``authenticate(username=...)`` (login page,
    token endpoint) or the posted ``username``/``email``, stripped and lower-cased."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if not value:
        data = getattr(request, "POST", None) or {}
        value = data.get("username") or data.get("email")
    return str(value or "").strip().lower()


def cool_off_minutes() -> int:
    """Minutes a locked-out account+address waits before it may try again."""
    from axes.helpers import get_cool_off

    delta = get_cool_off()
    return max(1, math.ceil(delta.total_seconds() / 60)) if delta else 0


def lockout_message() -> str:
    minutes = cool_off_minutes()
    wait = f"Try again in {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "Ask an admin to unlock it"
    return (f"Too many failed sign-in attempts for this account from your address. {wait}, "
            "or reset your password.")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: 429 with :func:`lockout_message` — JSON in the API
    error format (``{"detail", "errors"}``) under ``/api/``, else the sign-in page showing it."""
    message = lockout_message()
    minutes = cool_off_minutes()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message, "errors": {}}, status=429)
    else:
        from .forms import LoginForm

        form = LoginForm(request, initial={"username": axes_username(request, credentials)})
        response = render(request, "accounts/login.html", {"form": form, "locked_out": message,
                                                            "next": safe_next_url(request, "")}, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response


def safe_next_url(request, default: str) -> str:
    """The ``next`` target of ``request`` (POST first, then GET) when it is a URL of this site
    (same host, https when the request is; ``/\\evil``, ``//evil``, ``javascript:`` are refused),
    else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
