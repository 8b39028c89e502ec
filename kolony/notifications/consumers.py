"""WebSocket ``/ws/notifications/?org=<organization id>``: the header bell's live count.

On connect the user (session cookie from an allowed Origin, or ``?token=`` — :mod:`kolony.ws_auth`)
must be a member of the organization (``org``; the user's first one when missing), else the socket
is closed with 4404 and nothing is revealed. The current unread count is sent at once
(``{"type": "notifications", "unread": n, "notification": null}``), then one such message each time
a notification arrives (``notification`` = its id, kind, message, url, created_at, read) or is read
(``notification`` null).

Access is re-checked when it changes (``access.changed`` on the user's group: membership removed,
user deactivated, password changed, token revoked) and on every client message; a socket that
lost access is closed with 4403. ``{"type": "ping"}`` answers ``{"type": "pong"}``.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from kolony.core.request_validation import parse_id
from kolony.ws_auth import token_from_scope, user_group

from .selectors import notification_unread_count
from .services import notification_group

CLOSE_NOT_FOUND = 4404
CLOSE_ACCESS_LOST = 4403


def _org_param(scope) -> str | None:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("org")
    return values[0] if values else None


@database_sync_to_async
def _membership_org_id(user, org_param: str | None) -> int | None:
    from kolony.tenancy import membership_for_user

    if user is None or not user.is_authenticated:
        return None
    if org_param is not None and parse_id(org_param) is None:
        return None
    membership = membership_for_user(user, parse_id(org_param) if org_param is not None else None)
    return membership.organization_id if membership is not None else None


@database_sync_to_async
def _unread(user_id: int, org_id: int) -> int:
    return notification_unread_count(user_id=user_id, organization_id=org_id)


@database_sync_to_async
def _still_allowed(user_id: int, token: str, session_hash: str, org_id: int) -> bool:
    """From the database, not the identity cache: active user, credential still valid, still a member."""
    from kolony.accounts.models import ApiToken, Membership, User
    from kolony.accounts.services import api_token_hash

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or (session_hash and user.get_session_auth_hash() != session_hash):
        return False
    if token and not ApiToken.objects.filter(key_hash=api_token_hash(token), user_id=user_id).exists():
        return False
    return Membership.objects.filter(user_id=user_id, organization_id=org_id).exists()


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.groups_joined: list[str] = []
        self.access_lost = False
        self.user_id = None
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            # joined before the check, so an access change committing meanwhile is not missed
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
            self.groups_joined.append(user_group(user.pk))
        org_id = await _membership_org_id(user, _org_param(self.scope))
        if org_id is None:
            await self.disconnect(CLOSE_NOT_FOUND)
            self.groups_joined = []
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.user_id, self.org_id = user.pk, org_id
        self.token = self.scope.get("auth_token", "") if token_from_scope(self.scope) is not None else ""
        self.session_hash = "" if self.token else user.get_session_auth_hash()
        group = notification_group(user.pk, org_id)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)
        await self.accept()
        await self.send_json({"type": "notifications", "unread": await _unread(user.pk, org_id), "notification": None})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _recheck(self) -> bool:
        if self.access_lost or await _still_allowed(self.user_id, self.token, self.session_hash, self.org_id):
            return not self.access_lost
        self.access_lost = True
        await self.disconnect(CLOSE_ACCESS_LOST)
        self.groups_joined = []
        await self.close(code=CLOSE_ACCESS_LOST)
        return False

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data:  # binary frames are ignored
            await super().receive(text_data=text_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # not JSON: ignored, not a crash

    async def receive_json(self, content, **kwargs):
        if not await self._recheck():
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def access_changed(self, event):
        if self.user_id is not None:
            await self._recheck()

    async def notification_update(self, event):
        if not self.access_lost:
            await self.send_json(event["payload"])
