"""The one shape of Kolony's WebSockets: a socket about one thing of an organization (a video job's
progress, a publication's progress, the header bell).

On connect the user (session cookie from an allowed Origin, or ``?token=`` — :mod:`kolony.ws_auth`)
joins their user group first, so an access change committing meanwhile is not missed; then
:meth:`OrgSocket.opening` decides whether they may see the thing. When not, the socket is closed
with 4404 and nothing is revealed; when they may, it joins the thing's group and sends the current
state at once.

Access is re-checked from the database (never the identity cache) whenever it changes
(``access.changed`` on the user's group: membership removed, user deactivated, password changed,
token revoked) and on every client message; a socket that lost access is closed with 4403 and
sends nothing more. ``{"type": "ping"}`` answers ``{"type": "pong"}``; binary frames and text that
is not JSON are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from kolony.ws_auth import user_group

CLOSE_NOT_FOUND = 4404
CLOSE_ACCESS_LOST = 4403
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Opening:
    """What a socket that may open subscribes to: ``key`` (what :meth:`OrgSocket.still_allowed`
    re-checks, e.g. the job id), ``group`` (the Channels group it joins) and ``state`` (the JSON
    message sent at once)."""

    key: int
    group: str
    state: dict


def credential_holds(user_id: int, token: str, session_hash: str):
    """The active user of ``user_id`` while their credential still holds (a token client's token
    exists, a cookie client's password — its session hash — is unchanged), else None. Sync: call
    it from a ``database_sync_to_async`` function."""
    from kolony.accounts.models import ApiToken, User
    from kolony.accounts.services import api_token_hash

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or (session_hash and user.get_session_auth_hash() != session_hash):
        return None
    if token and not ApiToken.objects.filter(key_hash=api_token_hash(token), user_id=user_id).exists():
        return None
    return user


def member_org_ids(user_id: int):
    """The ids of the organizations ``user_id`` is a member of (a subquery)."""
    from kolony.accounts.models import Membership

    return Membership.objects.filter(user_id=user_id).values_list("organization_id", flat=True)


class OrgSocket(AsyncJsonWebsocketConsumer):
    """Subclasses define :meth:`opening` and :meth:`still_allowed` (both sync; run in a thread)
    and a handler for their group's message type that calls :meth:`forward`."""

    def opening(self, user) -> Opening | None:
        """What the signed-in ``user`` may subscribe to for this socket's URL, or None (4404)."""
        raise NotImplementedError

    def still_allowed(self, user_id: int, key: int) -> bool:
        """Whether ``user_id`` (whose credential holds) may still see ``key``."""
        raise NotImplementedError

    async def connect(self):
        self.groups_joined: list[str] = []
        self.access_lost = False
        self.user_id = None  # set once the socket is accepted
        user = self.scope.get("user")
        opening = None
        if user is not None and user.is_authenticated:
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
            self.groups_joined.append(user_group(user.pk))
            opening = await database_sync_to_async(self.opening)(user)
        if opening is None:
            await self.disconnect(CLOSE_NOT_FOUND)
            self.groups_joined = []
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.key, self.user_id = opening.key, user.pk
        self.token = self.scope.get("auth_token", "")
        self.session_hash = "" if self.token else user.get_session_auth_hash()
        await self.channel_layer.group_add(opening.group, self.channel_name)
        self.groups_joined.append(opening.group)
        await self.accept()
        await self.send_json(opening.state)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def _allowed_now(self) -> bool:
        return credential_holds(self.user_id, self.token, self.session_hash) is not None and self.still_allowed(
            self.user_id, self.key)

    async def _recheck(self) -> bool:
        if self.access_lost or await database_sync_to_async(self._allowed_now)():
            return not self.access_lost
        self.access_lost = True  # nothing more is sent, even before the client acknowledges the close
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
        if self.user_id is not None:  # a refused socket has nothing to re-check
            await self._recheck()

    async def forward(self, message: Any) -> None:
        """Sends a group message on, unless access was lost."""
        if not self.access_lost:
            await self.send_json(message)


def url_id(scope, name: str) -> int | None:
    """The id in the URL route's ``name`` kwarg when it is a positive bigint, else None."""
    value = int(scope["url_route"]["kwargs"][name])
    return value if 0 < value <= MAX_ID else None
