"""OAuth 2.0 authorization-code flow for Meta and Google, account listing, token refresh and revoke.

The flow (views in :mod:`campaigns.platforms.views`):

1. :func:`oauth_start` puts a fresh ``state`` (32 random bytes, URL-safe) and a PKCE S256 verifier
   in the user's session, bound to the organization and user, and returns the platform's authorize
   URL. PKCE: Google supports it (RFC 7636, recommended for every client); Meta's login dialog
   accepts ``code_challenge``/``code_challenge_method`` too ("OIDC Code Flow with PKCE for Manually
   Built Facebook Login Flows", documented as in testing) — we send it to both, and the state
   check is what protects Meta where PKCE is not enforced.
2. :func:`oauth_finish` (the callback) pops that entry — so a replayed callback finds nothing — and
   refuses a forged state (constant-time compare), an expired one (``PLATFORM_OAUTH_STATE_MAX_AGE_S``,
   600 s), another organization's or another user's, and a platform error (``error=access_denied``).
   Nothing is saved in any of those cases.
3. :func:`exchange_code`: Meta ``GET {META_GRAPH_URL}/{v}/oauth/access_token`` (client_id,
   client_secret, redirect_uri, code, code_verifier) then the long-lived exchange
   (``grant_type=fb_exchange_token``; Meta "Long-Lived Access Tokens": ~60 days, no refresh token);
   Google ``POST GOOGLE_OAUTH_TOKEN_URL`` (grant_type=authorization_code, code_verifier; 1 h access
   token + refresh token thanks to ``access_type=offline&prompt=consent``).
4. :func:`list_accounts`: Meta ``GET /{v}/me/adaccounts`` (every ``paging.next`` followed);
   Google ``CustomerService.list_accessible_customers`` through
   ``campaigns.platforms.google.ADAPTER.list_accounts`` (gRPC, written with the Google adapter).

:func:`connection_token` is what every other module calls for a usable access token: it refreshes
when the token expires within ``PLATFORM_TOKEN_REFRESH_MARGIN_S`` (Meta: re-exchange of the
long-lived token; Google: ``grant_type=refresh_token``); when that fails for an auth reason the
connection becomes ``needs_reconnect`` with the platform's message and PlatformError(auth=True) is
raised. Tokens are never logged or put in error messages.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .base import AccountChoice, PlatformError, TokenSet

PLATFORMS = ("meta", "google")
SESSION_KEY = "kolony_platform_oauth"
PENDING_KEY = "kolony_platform_pending"
# Meta throttling / temporary codes (Graph API "Error codes": 2 service, 4 app, 17 user, 613 rate,
# 80000–80014 Business Use Case rate limits) and ``is_transient``.
META_TRANSIENT_CODES = {2, 4, 17, 341, 613, *range(80000, 80015)}


class OAuthFlowError(PlatformError):
    """The sign-in round trip itself is invalid (forged / replayed / expired state, the user said
    no): shown to the user as is; nothing was saved."""


# --- the round trip --------------------------------------------------------------------------


def new_pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge); verifier 64 characters of [A-Za-z0-9] (RFC 7636 §4.1)."""
    verifier = generate_token(64)
    return verifier, create_s256_code_challenge(verifier)


def authorize_url(platform: str, *, state: str, redirect_uri: str, code_challenge: str) -> str:
    """The platform's consent page URL (authorize URL from settings, so stand-ins can serve it)."""
    if platform == "meta":
        params = {"client_id": settings.META_APP_ID, "redirect_uri": redirect_uri, "state": state,
                  "response_type": "code", "scope": settings.META_OAUTH_SCOPES,
                  "code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{settings.META_OAUTH_AUTHORIZE_URL}?{urlencode(params)}"
    if platform == "google":
        params = {"client_id": settings.GOOGLE_ADS_CLIENT_ID, "redirect_uri": redirect_uri, "state": state,
                  "response_type": "code", "scope": settings.GOOGLE_OAUTH_SCOPES, "access_type": "offline",
                  "prompt": "consent", "include_granted_scopes": "true",
                  "code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{settings.GOOGLE_OAUTH_AUTHORIZE_URL}?{urlencode(params)}"
    raise OAuthFlowError(f"Unknown platform '{platform}'.", field="platform")


def oauth_start(session, *, platform: str, organization_id: int, user_id: int, redirect_uri: str) -> str:
    """Stores a new state + PKCE verifier for ``platform`` in ``session`` (replacing an older one,
    so only the latest sign-in can finish) and returns the authorize URL to redirect to."""
    if platform not in PLATFORMS:
        raise OAuthFlowError(f"Unknown platform '{platform}'.", field="platform")
    state = secrets.token_urlsafe(32)
    verifier, challenge = new_pkce()
    url = authorize_url(platform, state=state, redirect_uri=redirect_uri, code_challenge=challenge)
    flows = dict(session.get(SESSION_KEY) or {})
    flows[platform] = {"state": state, "verifier": verifier, "org": organization_id, "user": user_id,
                       "redirect_uri": redirect_uri, "at": time.time()}
    session[SESSION_KEY] = flows
    return url


def oauth_finish(session, *, platform: str, params: dict[str, str], organization_id: int, user_id: int) -> dict[str, Any]:
    """Checks the callback's ``params`` (``state``, ``code`` or ``error``) against the session and
    consumes the entry (one use). Returns ``{"code", "verifier", "redirect_uri"}``. Raises
    OAuthFlowError with a sentence for the user on a forged, replayed, expired or foreign state, or
    when the platform reports an error (the user cancelled)."""
    flows = dict(session.get(SESSION_KEY) or {})
    entry = flows.pop(platform, None) if platform in PLATFORMS else None
    returned = str(params.get("state") or "")
    if entry is not None and not secrets.compare_digest(returned.encode(), str(entry.get("state", "")).encode()):
        # A state that is not ours: keep the real pending sign-in (the forged link must not cancel it).
        raise OAuthFlowError("This sign-in response did not come from the sign-in Kolony started (its state does not "
                             "match). Nothing was connected — start again from the Connections page.", code="state_mismatch")
    session[SESSION_KEY] = flows
    if entry is None:
        raise OAuthFlowError("This sign-in link was already used or was never started here. Nothing was connected — "
                             "start again from the Connections page.", code="state_unknown")
    if time.time() - float(entry.get("at", 0)) > settings.PLATFORM_OAUTH_STATE_MAX_AGE_S:
        raise OAuthFlowError("This sign-in took too long and expired. Nothing was connected — start again.",
                             code="state_expired")
    if entry.get("org") != organization_id or entry.get("user") != user_id:
        raise OAuthFlowError("This sign-in was started for another organization or user. Nothing was connected.",
                             code="state_foreign")
    if params.get("error"):
        reason = params.get("error_description") or params.get("error_reason") or params["error"]
        if params.get("error") == "access_denied":
            raise OAuthFlowError(f"{platform_label(platform)} access was not granted ({reason}). Nothing was connected.",
                                 code="access_denied")
        raise OAuthFlowError(f"{platform_label(platform)} refused the sign-in: {reason}.", code=str(params["error"]))
    code = str(params.get("code") or "")
    if not code:
        raise OAuthFlowError("The platform sent no authorization code. Nothing was connected — start again.",
                             code="code_missing")
    return {"code": code, "verifier": entry["verifier"], "redirect_uri": entry["redirect_uri"]}


def platform_label(platform: str) -> str:
    return {"meta": "Meta", "google": "Google Ads"}.get(platform, platform)


# --- HTTP ------------------------------------------------------------------------------------


def _timeout() -> float:
    return float(getattr(settings, "PLATFORM_HTTP_TIMEOUT_S", 20))


def _http(method: str, url: str, *, platform: str, **kwargs) -> requests.Response:
    try:
        return requests.request(method, url, timeout=_timeout(), **kwargs)
    except requests.Timeout as exc:
        raise PlatformError(f"{platform_label(platform)} did not answer in time; try again.", code="timeout",
                            transient=True) from exc
    except requests.RequestException as exc:
        raise PlatformError(f"{platform_label(platform)} could not be reached; try again.", code="network",
                            transient=True) from exc


def _json(resp: requests.Response) -> dict:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def meta_error(resp: requests.Response) -> PlatformError:
    """Graph API ``{"error": {message, type, code, error_subcode, is_transient, error_user_msg}}`` →
    PlatformError (code 190 = invalid / expired / revoked token → ``auth``)."""
    err = _json(resp).get("error") or {}
    if not isinstance(err, dict):
        err = {"message": str(err)}
    code = err.get("code")
    sub = err.get("error_subcode")
    message = err.get("error_user_msg") or err.get("message") or f"Meta answered HTTP {resp.status_code}."
    transient = bool(err.get("is_transient")) or code in META_TRANSIENT_CODES or resp.status_code >= 500
    return PlatformError(str(message), code=f"{code}/{sub}" if sub else str(code or resp.status_code),
                         transient=transient, auth=code in (190, 102), details={"type": err.get("type", "")})


def google_error(resp: requests.Response) -> PlatformError:
    """Google OAuth ``{"error", "error_description"}`` → PlatformError (invalid_grant → ``auth``:
    the refresh token was revoked or expired; 5xx → transient)."""
    data = _json(resp)
    error = str(data.get("error") or resp.status_code)
    description = str(data.get("error_description") or "")
    if error == "invalid_client":
        message = "Kolony's Google OAuth client is not accepted by Google (GOOGLE_ADS_CLIENT_ID / SECRET)."
    else:
        message = f"Google: {description or error}"
    return PlatformError(message, code=error, transient=resp.status_code >= 500 or error == "temporarily_unavailable",
                         auth=error == "invalid_grant")


def _expires_at(expires_in: Any) -> dt.datetime | None:
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        return None
    return timezone.now() + dt.timedelta(seconds=seconds) if seconds > 0 else None


def _graph(path: str) -> str:
    return f"{settings.META_GRAPH_URL.rstrip('/')}/{settings.META_API_VERSION}/{path.lstrip('/')}"


def _meta_long_lived(access_token: str) -> TokenSet:
    resp = _http("GET", _graph("oauth/access_token"), platform="meta", params={
        "grant_type": "fb_exchange_token", "client_id": settings.META_APP_ID,
        "client_secret": settings.META_APP_SECRET, "fb_exchange_token": access_token})
    if resp.status_code != 200:
        raise meta_error(resp)
    data = _json(resp)
    if not data.get("access_token"):
        raise PlatformError("Meta returned no access token.", code="no_token")
    return TokenSet(access_token=str(data["access_token"]), expires_at=_expires_at(data.get("expires_in")),
                    scopes=settings.META_OAUTH_SCOPES)


def exchange_code(platform: str, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
    """The authorization code → tokens (Meta: then long-lived). Raises PlatformError (a used code:
    Meta 100/36009, Google ``invalid_grant``)."""
    if platform == "meta":
        resp = _http("GET", _graph("oauth/access_token"), platform="meta", params={
            "client_id": settings.META_APP_ID, "client_secret": settings.META_APP_SECRET,
            "redirect_uri": redirect_uri, "code": code, "code_verifier": code_verifier})
        if resp.status_code != 200:
            raise meta_error(resp)
        short = _json(resp).get("access_token")
        if not short:
            raise PlatformError("Meta returned no access token.", code="no_token")
        return _meta_long_lived(str(short))
    resp = _http("POST", settings.GOOGLE_OAUTH_TOKEN_URL, platform="google", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": settings.GOOGLE_ADS_CLIENT_ID, "client_secret": settings.GOOGLE_ADS_CLIENT_SECRET,
        "code_verifier": code_verifier})
    if resp.status_code != 200:
        raise google_error(resp)
    data = _json(resp)
    if not data.get("access_token"):
        raise PlatformError("Google returned no access token.", code="no_token")
    return TokenSet(access_token=str(data["access_token"]), refresh_token=str(data.get("refresh_token") or ""),
                    expires_at=_expires_at(data.get("expires_in")), scopes=str(data.get("scope") or ""))


def refresh(platform: str, *, refresh_token: str, access_token: str = "") -> TokenSet:
    """New tokens before expiry. Meta has no refresh tokens: its long-lived token is exchanged again
    (works while it is still valid). Google: ``grant_type=refresh_token`` (the refresh token is kept
    when Google sends none back). Raises PlatformError (``auth`` when revoked / expired)."""
    if platform == "meta":
        if not access_token:
            raise PlatformError("The Meta token is missing; reconnect the account.", auth=True, code="no_token")
        return _meta_long_lived(access_token)
    if not refresh_token:
        raise PlatformError("Google gave no refresh token; reconnect the account.", auth=True, code="no_refresh_token")
    resp = _http("POST", settings.GOOGLE_OAUTH_TOKEN_URL, platform="google", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": settings.GOOGLE_ADS_CLIENT_ID, "client_secret": settings.GOOGLE_ADS_CLIENT_SECRET})
    if resp.status_code != 200:
        raise google_error(resp)
    data = _json(resp)
    return TokenSet(access_token=str(data.get("access_token") or ""),
                    refresh_token=str(data.get("refresh_token") or refresh_token),
                    expires_at=_expires_at(data.get("expires_in")), scopes=str(data.get("scope") or ""))


def revoke(platform: str, *, access_token: str = "", refresh_token: str = "") -> None:
    """Revokes the grant where the platform has an endpoint (Meta ``DELETE /me/permissions``;
    Google ``POST GOOGLE_OAUTH_REVOKE_URL``). Raises PlatformError; an already dead token is fine."""
    if platform == "meta":
        if not access_token:
            return
        resp = _http("DELETE", _graph("me/permissions"), platform="meta", headers={"Authorization": f"OAuth {access_token}"},
                     params={"access_token": access_token})
        if resp.status_code != 200 and not meta_error(resp).auth:
            raise meta_error(resp)
        return
    token = refresh_token or access_token
    if not token:
        return
    resp = _http("POST", settings.GOOGLE_OAUTH_REVOKE_URL, platform="google", data={"token": token})
    if resp.status_code != 200 and _json(resp).get("error") != "invalid_token":
        raise google_error(resp)


def _google_list_accounts(access_token: str) -> list[AccountChoice]:
    try:
        adapter = importlib.import_module("campaigns.platforms.google").ADAPTER
        lister = adapter.list_accounts
    except (ImportError, AttributeError) as exc:
        raise PlatformError("Listing Google Ads customers is not available in this installation yet.",
                            code="not_available") from exc
    return list(lister(access_token=access_token))


def list_accounts(platform: str, *, access_token: str) -> list[AccountChoice]:
    """The ad accounts (Meta, ``act_<id>``) / customers (Google, 10 digits) the token can use, in
    the platform's order. Raises PlatformError."""
    if platform == "google":
        return _google_list_accounts(access_token)
    out: list[AccountChoice] = []
    url: str | None = _graph("me/adaccounts")
    params: dict[str, Any] | None = {"fields": "id,account_id,name,currency,timezone_name,account_status", "limit": 50}
    pages = 0
    while url and pages < 50:
        resp = _http("GET", url, platform="meta", params=params, headers={"Authorization": f"OAuth {access_token}"})
        if resp.status_code != 200:
            raise meta_error(resp)
        data = _json(resp)
        for row in data.get("data") or []:
            if isinstance(row, dict) and str(row.get("id", "")).startswith("act_"):
                out.append(AccountChoice(id=str(row["id"]), name=str(row.get("name") or row["id"]),
                                         currency=str(row.get("currency") or ""),
                                         time_zone=str(row.get("timezone_name") or "")))
        url = ((data.get("paging") or {}).get("next")) or None
        params = None  # paging.next carries every parameter
        pages += 1
    return out


# --- the token everyone uses -------------------------------------------------------------------


def refresh_due(connection, *, now: dt.datetime | None = None) -> bool:
    """Whether the access token expires within ``PLATFORM_TOKEN_REFRESH_MARGIN_S`` (default 300 s)."""
    if connection.token_expires_at is None:
        return False
    now = now or timezone.now()
    return connection.token_expires_at - now <= dt.timedelta(seconds=settings.PLATFORM_TOKEN_REFRESH_MARGIN_S)


def connection_token(connection, *, force_refresh: bool = False) -> str:
    """A usable access token of ``connection`` (campaigns.models.PlatformConnection), refreshed
    first when due (or ``force_refresh``: after the platform answered "expired" anyway). Refreshes
    under a row lock, so two workers never refresh the same grant twice. On an auth failure the
    connection is marked ``needs_reconnect`` with the platform's message and PlatformError(auth=True)
    is raised; a transient failure raises PlatformError(transient=True) and keeps the connection."""
    from campaigns.models import PlatformConnection

    from . import connections

    def reconnect_error(message: str) -> PlatformError:
        return PlatformError(f"The {platform_label(connection.platform)} connection needs to be reconnected: {message}",
                             code="needs_reconnect", auth=True)

    if connection.status == "needs_reconnect":
        raise reconnect_error(connection.status_message or "it was disconnected.")
    if not connection.token:
        connections.connection_mark_needs_reconnect(connection=connection, message="no token is stored.")
        raise reconnect_error("no token is stored.")
    if not force_refresh and not refresh_due(connection):
        return connection.token
    with transaction.atomic():
        locked = PlatformConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.status == "needs_reconnect":
            raise reconnect_error(locked.status_message)
        if locked.token_encrypted != connection.token_encrypted and not refresh_due(locked):
            connection.refresh_from_db()  # another worker refreshed meanwhile
            return connection.token
        try:
            tokens = refresh(locked.platform, refresh_token=locked.refresh_token, access_token=locked.token)
        except PlatformError as exc:
            if exc.transient:
                if locked.token_expires_at and locked.token_expires_at > timezone.now() and not force_refresh:
                    return locked.token  # still valid for a moment: use it, refresh next time
                raise
            message = exc.message
        else:
            connections.connection_tokens_refreshed(connection=locked, tokens=tokens)
            connection.refresh_from_db()
            return connection.token
    connections.connection_mark_needs_reconnect(connection=connection, message=message)
    raise reconnect_error(message)


def encode_pending(payload: dict) -> str:
    """Encrypts a pending sign-in (tokens + accounts) for the session (Fernet, like the columns)."""
    from campaigns.models import _fernet

    return _fernet().encrypt(json.dumps(payload).encode()).decode()


def decode_pending(blob: str) -> dict | None:
    from cryptography.fernet import InvalidToken

    from campaigns.models import _fernet

    try:
        return json.loads(_fernet().decrypt(blob.encode()).decode())
    except (InvalidToken, ValueError, AttributeError):
        return None
