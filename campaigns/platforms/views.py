"""The Connections page (owners and admins: capability ``manage_connections``): connect Meta and
Google Ads through OAuth, pick the ad account, switch it, disconnect. Thin: the flow is in
:mod:`campaigns.platforms.oauth`, the writes in :mod:`campaigns.platforms.connections`."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from campaigns.models import PlatformConnection
from kolony.tenancy import current_membership, get_for_org_or_404, org_queryset, org_required

from . import connections, oauth
from .base import AccountChoice, PlatformError

PENDING_MAX_AGE_S = 900  # a listed-but-not-yet-picked sign-in stays usable for 15 minutes


def _org(request):
    return current_membership(request).organization


def _configured(platform: str) -> bool:
    if platform == "meta":
        return bool(settings.META_APP_ID and settings.META_APP_SECRET)
    return bool(settings.GOOGLE_ADS_CLIENT_ID and settings.GOOGLE_ADS_CLIENT_SECRET)


def _platform_or_404(platform: str) -> str:
    if platform not in oauth.PLATFORMS:
        raise Http404("Not found.")
    return platform


def _pending(request, org) -> dict | None:
    """The signed-in-but-not-yet-picked connection of this session and organization, decrypted:
    ``{"platform", "tokens": {...}, "accounts": [...]}``, or None (absent, expired or foreign)."""
    entry = request.session.get(oauth.PENDING_KEY)
    if not isinstance(entry, dict):
        return None
    if entry.get("org") != org.pk or entry.get("user") != request.user.pk or time.time() - float(entry.get("at", 0)) > PENDING_MAX_AGE_S:
        return None
    payload = oauth.decode_pending(str(entry.get("blob", "")))
    if not payload:
        return None
    payload["platform"] = entry.get("platform")
    return payload


def _tokens(payload: dict):
    import datetime as dt

    from .base import TokenSet

    t = payload["tokens"]
    expires = dt.datetime.fromisoformat(t["expires_at"]) if t.get("expires_at") else None
    return TokenSet(access_token=t["access_token"], refresh_token=t.get("refresh_token", ""), expires_at=expires,
                    scopes=t.get("scopes", ""))


def _accounts(payload: dict) -> list[AccountChoice]:
    return [AccountChoice(**a) for a in payload.get("accounts", [])]


@org_required("manage_connections")
def connections_page(request):
    """Both platforms with their state (connected account, needs reconnect, not connected), and
    the account picker after a sign-in that listed several accounts. Tokens are never shown."""
    org = _org(request)
    existing = {c.platform: c for c in org_queryset(PlatformConnection, org).select_related("connected_by")}
    pending = _pending(request, org)
    rows = [{"platform": p, "label": oauth.platform_label(p), "connection": existing.get(p), "configured": _configured(p)}
            for p in oauth.PLATFORMS]
    return render(request, "campaigns/connections.html", {
        "rows": rows, "pending": pending, "pending_label": oauth.platform_label(pending["platform"]) if pending else "",
        "pending_accounts": _accounts(pending) if pending else [],
    })


@require_POST
@org_required("manage_connections")
def connection_start(request, platform: str):
    """Starts the OAuth sign-in: a new state + PKCE verifier in the session, then the platform."""
    platform = _platform_or_404(platform)
    if not _configured(platform):
        names = "META_APP_ID and META_APP_SECRET" if platform == "meta" else "GOOGLE_ADS_CLIENT_ID and GOOGLE_ADS_CLIENT_SECRET"
        messages.error(request, f"{oauth.platform_label(platform)} is not set up on this server: set {names}.")
        return redirect("campaigns:connections")
    redirect_uri = request.build_absolute_uri(reverse("campaigns:connection_callback", kwargs={"platform": platform}))
    url = oauth.oauth_start(request.session, platform=platform, organization_id=_org(request).pk,
                            user_id=request.user.pk, redirect_uri=redirect_uri)
    return redirect(url)


@org_required("manage_connections")
def connection_callback(request, platform: str):
    """Where the platform sends the browser back (``?code&state`` or ``?error``). A forged,
    replayed or expired state, a refused code or an empty account list: a clear message, nothing saved."""
    platform = _platform_or_404(platform)
    org = _org(request)
    label = oauth.platform_label(platform)
    try:
        flow = oauth.oauth_finish(request.session, platform=platform, params=request.GET.dict(),
                                  organization_id=org.pk, user_id=request.user.pk)
        tokens = oauth.exchange_code(platform, code=flow["code"], redirect_uri=flow["redirect_uri"],
                                     code_verifier=flow["verifier"])
        accounts = oauth.list_accounts(platform, access_token=tokens.access_token)
    except PlatformError as exc:
        prefix = "" if isinstance(exc, oauth.OAuthFlowError) else f"{label} refused the connection: "
        messages.error(request, f"{prefix}{exc.message}" + ("" if isinstance(exc, oauth.OAuthFlowError) else " Nothing was connected."))
        return redirect("campaigns:connections")
    if not accounts:
        messages.error(request, f"This {label} login has no ad accounts Kolony can use. Nothing was connected.")
        return redirect("campaigns:connections")
    if len(accounts) == 1:
        return _create(request, org, platform, tokens, accounts, accounts[0].id)
    request.session[oauth.PENDING_KEY] = {
        "platform": platform, "org": org.pk, "user": request.user.pk, "at": time.time(),
        "blob": oauth.encode_pending({
            "tokens": {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
                       "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None, "scopes": tokens.scopes},
            "accounts": [a.__dict__ for a in accounts]}),
    }
    messages.info(request, f"Signed in to {label}. Pick the ad account Kolony should use.")
    return redirect("campaigns:connections")


def _create(request, org, platform, tokens, accounts, account_id):
    try:
        connection = connections.connection_create_from_oauth(
            organization=org, actor=request.user, platform=platform, tokens=tokens, accounts=accounts, ad_account_id=account_id)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("campaigns:connections")
    request.session.pop(oauth.PENDING_KEY, None)
    messages.success(request, f"Connected {oauth.platform_label(platform)}: {connection.account_name} ({connection.ad_account_id}).")
    return redirect("campaigns:connections")


@require_POST
@org_required("manage_connections")
def connection_pick(request):
    """Saves the connection with the account picked from the sign-in's list (or cancels it)."""
    org = _org(request)
    pending = _pending(request, org)
    if pending is None:
        messages.error(request, "That sign-in has expired or was already used. Connect again.")
        return redirect("campaigns:connections")
    if request.POST.get("cancel"):
        request.session.pop(oauth.PENDING_KEY, None)
        messages.info(request, "Nothing was connected.")
        return redirect("campaigns:connections")
    account_id = request.POST.get("ad_account_id", "")
    if not account_id:
        messages.error(request, "Pick an ad account (ad_account_id).")
        return redirect("campaigns:connections")
    return _create(request, org, pending["platform"], _tokens(pending), _accounts(pending), account_id)


@org_required("manage_connections")
def connection_account(request, pk: int):
    """Switch a connection to another account its token can use (the list is asked live)."""
    connection = get_for_org_or_404(PlatformConnection, _org(request), pk=pk)
    label = oauth.platform_label(connection.platform)
    try:
        accounts = oauth.list_accounts(connection.platform, access_token=oauth.connection_token(connection))
    except PlatformError as exc:
        messages.error(request, f"{label} could not list the accounts: {exc.message}")
        return redirect("campaigns:connections")
    if request.method == "POST":
        try:
            connections.connection_choose_account(connection=connection, actor=request.user,
                                                  ad_account_id=request.POST.get("ad_account_id", ""), accounts=accounts)
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        else:
            connection.refresh_from_db()
            messages.success(request, f"{label} now uses {connection.account_name} ({connection.ad_account_id}).")
            return redirect("campaigns:connections")
    return render(request, "campaigns/connection_account.html", {"connection": connection, "label": label, "accounts": accounts})


@require_POST
@org_required("manage_connections")
def connection_disconnect(request, pk: int):
    """Revokes the grant at the platform where it can, then deletes the connection and its tokens."""
    connection = get_for_org_or_404(PlatformConnection, _org(request), pk=pk)
    label = oauth.platform_label(connection.platform)
    warning = connections.connection_disconnect(connection=connection, actor=request.user)
    messages.success(request, f"Disconnected {label}.")
    if warning:
        messages.warning(request, warning)
    return redirect("campaigns:connections")
