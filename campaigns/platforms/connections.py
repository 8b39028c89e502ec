"""Platform connection services: connect from an OAuth sign-in, pick the ad account, store refreshed
tokens, mark a connection for reconnecting, disconnect. Tokens are written only through the
model's encrypted ``token`` / ``refresh_token`` properties (MultiFernet, ``KOLONY_FIELD_ENCRYPTION_KEY``)
and never logged or put in audit metadata."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.models import PlatformConnection
from campaigns.services import _audit, _save, _validate
from kolony.datacache import data_changed

from .base import AccountChoice, PlatformError, TokenSet


def _normalise_account(platform: str, account_id: str) -> str:
    account = (account_id or "").strip()
    if platform == "google":
        account = account.replace("-", "")
    if platform == "meta" and account.isdigit():
        account = f"act_{account}"
    return account


def _pick(platform: str, account_id: str, accounts: Sequence[AccountChoice]) -> AccountChoice:
    wanted = _normalise_account(platform, account_id)
    choice = next((a for a in accounts if a.id == wanted), None)
    if choice is None:
        raise ValidationError({"ad_account_id": ["Pick one of the accounts the platform listed for this sign-in."]})
    return choice


@transaction.atomic
def connection_create_from_oauth(*, organization, actor, platform: str, tokens: TokenSet,
                                 accounts: Sequence[AccountChoice], ad_account_id: str) -> PlatformConnection:
    """Creates (or replaces: one connection per organization and platform) ``organization``'s
    connection to ``platform`` with the account ``ad_account_id``, which must be one of
    ``accounts`` (what the platform listed for this sign-in). Tokens stored encrypted, status
    active. Audited ``platform.connected``. Raises ValidationError ``{"ad_account_id": [...]}``."""
    choice = _pick(platform, ad_account_id, accounts)
    connection = (PlatformConnection.objects.select_for_update().filter(organization=organization, platform=platform).first()
                  or PlatformConnection(organization=organization, platform=platform))
    replaced = connection.pk is not None
    connection.ad_account_id = choice.id
    connection.account_name = choice.name[:200]
    connection.token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.token_expires_at = tokens.expires_at
    connection.scopes = tokens.scopes[:500]
    connection.status = "active"
    connection.status_message = ""
    connection.last_refreshed_at = timezone.now()
    connection.connected_by = actor if getattr(actor, "pk", None) else None
    _validate(connection, exclude={"organization", "connected_by", "token_encrypted", "refresh_token_encrypted"})
    _save(connection)
    data_changed(organization)
    _audit(organization, actor, "platform.connected", connection, platform=platform, reconnected=replaced)
    return connection


@transaction.atomic
def connection_choose_account(*, connection: PlatformConnection, actor, ad_account_id: str,
                              accounts: Sequence[AccountChoice]) -> PlatformConnection:
    """Switches ``connection`` to another of the ``accounts`` its token can use (listed live by
    the platform). Audited ``platform.account_changed``. Raises ValidationError on an account
    that is not in the list."""
    choice = _pick(connection.platform, ad_account_id, accounts)
    connection = PlatformConnection.objects.select_for_update().get(pk=connection.pk)
    before = connection.ad_account_id
    if before == choice.id:
        return connection
    connection.ad_account_id = choice.id
    connection.account_name = choice.name[:200]
    _validate(connection, exclude={"organization", "connected_by", "token_encrypted", "refresh_token_encrypted"})
    _save(connection)
    data_changed(connection.organization)
    _audit(connection.organization, actor, "platform.account_changed", connection, platform=connection.platform,
           changes={"ad_account_id": [before, choice.id]})
    return connection


@transaction.atomic
def connection_tokens_refreshed(*, connection: PlatformConnection, tokens: TokenSet) -> PlatformConnection:
    """Stores refreshed tokens (a refresh token Google did not resend is kept)."""
    connection.token = tokens.access_token
    if tokens.refresh_token:
        connection.refresh_token = tokens.refresh_token
    connection.token_expires_at = tokens.expires_at
    connection.last_refreshed_at = timezone.now()
    connection.status = "active"
    connection.status_message = ""
    connection.save(update_fields=["token_encrypted", "refresh_token_encrypted", "token_expires_at",
                                   "last_refreshed_at", "status", "status_message", "updated_at"])
    return connection


@transaction.atomic
def connection_mark_needs_reconnect(*, connection: PlatformConnection, message: str) -> PlatformConnection:
    """Marks ``connection`` ``needs_reconnect`` with the platform's ``message`` (shown on the
    Connections page). Audited ``platform.needs_reconnect`` once per change of state."""
    locked = PlatformConnection.objects.select_for_update().get(pk=connection.pk)
    if locked.status != "needs_reconnect":
        _audit(locked.organization, None, "platform.needs_reconnect", locked, platform=locked.platform)
    locked.status = "needs_reconnect"
    locked.status_message = (message or "The platform refused the token.")[:500]
    locked.save(update_fields=["status", "status_message", "updated_at"])
    connection.status, connection.status_message = locked.status, locked.status_message
    data_changed(locked.organization)
    return locked


def connection_disconnect(*, connection: PlatformConnection, actor) -> str:
    """Revokes the grant at the platform (best effort: Meta ``DELETE /me/permissions``, Google
    ``/revoke``) and deletes the connection with its tokens. Returns "" or a warning sentence when
    the platform could not be told (the tokens are deleted from Kolony anyway). Audited
    ``platform.disconnected``."""
    from . import oauth

    warning = ""
    try:
        oauth.revoke(connection.platform, access_token=connection.token, refresh_token=connection.refresh_token)
    except PlatformError as exc:
        warning = (f"{oauth.platform_label(connection.platform)} could not be told ({exc.message}); Kolony deleted "
                   "its tokens anyway — remove the app in the platform's settings too.")
    with transaction.atomic():
        locked = PlatformConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None:
            return warning
        organization = locked.organization
        _audit(organization, actor, "platform.disconnected", locked, platform=locked.platform)
        locked.delete()
        data_changed(organization)
    return warning
