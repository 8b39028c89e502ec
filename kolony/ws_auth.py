"""WebSocket authentication, and telling open sockets that a user's access changed.

Two kinds of client (:class:`WebSocketAuthMiddleware`):

- **token clients** (``?token=<API token>`` in the URL): the scope's user is that token's user, or
  anonymous for an unknown token — never the session of a cookie the browser happened to send.
  No ``Origin`` check: the token is the credential, and programs (not browsers) send no Origin.
- **cookie clients** (no ``token``): the session cookie (``AuthMiddlewareStack``), allowed only
  from an ``Origin`` among ``ALLOWED_HOSTS`` (``AllowedHostsOriginValidator``), since a browser
  sends the cookie from any page (cross-site WebSocket hijacking).

Access changes (:func:`notify_access_changed`): a membership removed, a user deactivated, a password
changed or a token revoked sends ``{"type": "access.changed"}`` to the user's group
(:func:`user_group`) once the write commits; consumers re-check and close sockets that lost access.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

log = logging.getLogger(__name__)


def token_from_scope(scope) -> str | None:
    """The ``token`` query parameter of a WebSocket scope ("" when given empty), or None."""
    keys = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True).get("token")
    return keys[0] if keys else None


@database_sync_to_async
def _user_for_token(key: str):
    from kolony.accounts.identity import user_for_token

    user = user_for_token(key) if key else None  # the identity cache, as for the REST API
    return user if user is not None and user.is_active else None


class TokenAuthMiddleware:
    """Sets ``scope["user"]`` to the user of the ``?token=`` API token (AnonymousUser when unknown)
    and ``scope["auth_token"]`` to the key."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = token_from_scope(scope) or ""
        user = await _user_for_token(key)
        scope = dict(scope, user=user or AnonymousUser(), auth_token=key)
        return await self.inner(scope, receive, send)


class WebSocketAuthMiddleware:
    """Routes a connection to token auth (``?token=``, no Origin check) or to session auth behind the
    Origin check; see the module docstring."""

    def __init__(self, inner):
        self.token_app = TokenAuthMiddleware(inner)
        self.cookie_app = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))

    async def __call__(self, scope, receive, send):
        if token_from_scope(scope) is not None:
            return await self.token_app(scope, receive, send)
        return await self.cookie_app(scope, receive, send)


def user_group(user_id: int) -> str:
    """The Channels group every socket of ``user_id`` joins."""
    return f"kolony-user-{user_id}"


def _send_access_changed(user_ids) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for user_id in user_ids:
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "access.changed"})
        except Exception as exc:  # noqa: BLE001 - Redis down: the sockets are re-checked on their next message
            log.warning("access change of user %s not sent to open sockets: %s", user_id, exc)


def notify_access_changed(user_ids) -> None:
    """After the current transaction commits (at once outside one), tells every open socket of
    ``user_ids`` to re-check its access. Never raises."""
    ids = sorted({int(pk) for pk in user_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: _send_access_changed(ids))
