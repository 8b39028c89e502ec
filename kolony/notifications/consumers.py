"""WebSocket ``/ws/notifications/?org=<organization id>``: the header bell's live count.

The socket rules are :class:`kolony.ws_consumers.OrgSocket`'s: the user must be a member of the
organization (``org``; the user's first one when missing), else the socket is closed with 4404 and
nothing is revealed. The current unread count is sent at once (``{"type": "notifications",
"unread": n, "notification": null}``), then one such message each time a notification arrives
(``notification`` = its id, kind, message, url, created_at, read) or is read (``notification``
null). Access is re-checked on every change and client message (closed with 4403 once lost).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from kolony.core.request_validation import parse_id
from kolony.ws_consumers import Opening, OrgSocket

from .selectors import notification_unread_count
from .services import notification_group


def _org_param(scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("org")
    return values[0] if values else None


class NotificationConsumer(OrgSocket):
    def opening(self, user) -> Opening | None:
        from kolony.tenancy import membership_for_user

        org_param = _org_param(self.scope)
        if org_param is not None and parse_id(org_param) is None:
            return None
        membership = membership_for_user(user, parse_id(org_param) if org_param is not None else None)
        if membership is None:
            return None
        org_id = membership.organization_id
        unread = notification_unread_count(user_id=user.pk, organization_id=org_id)
        return Opening(key=org_id, group=notification_group(user.pk, org_id),
                       state={"type": "notifications", "unread": unread, "notification": None})

    def still_allowed(self, user_id: int, key: int) -> bool:
        from kolony.accounts.models import Membership

        return Membership.objects.filter(user_id=user_id, organization_id=key).exists()

    async def notification_update(self, event):
        await self.forward(event["payload"])
