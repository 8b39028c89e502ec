"""The bell's WebSocket (/ws/notifications/), through the real ASGI application (auth middleware,
routing, the Redis channel layer): the count at once, then every new and read notification."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from kolony.accounts.models import Membership
from kolony.asgi import application
from kolony.notifications import services
from kolony.notifications.models import NotificationKind
from tests.integration.studio.test_consumer import _session_headers

pytestmark = [pytest.mark.django_db(transaction=True)]
XSS = "<img src=x onerror=alert(1)>"


def _notify(org, user, actor, message="Bob mentioned you"):
    with transaction.atomic():
        return services.notify(organization=org, recipients=[user], kind=NotificationKind.COMMENT_MENTION,
                               message=message, actor=actor, url="/studio/")


async def _connect(path, headers):
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await ws.connect(timeout=5)
    return ws, connected, code


def test_count_on_connect_then_live_new_and_read(alice_org, alice, dana, redis_conn):
    _notify(alice_org, dana, alice)
    headers = _session_headers(dana)

    async def scenario():
        ws, connected, _ = await _connect(f"/ws/notifications/?org={alice_org.pk}", headers)
        assert connected
        assert await ws.receive_json_from(timeout=5) == {"type": "notifications", "unread": 1, "notification": None}
        made = await sync_to_async(_notify)(alice_org, dana, alice, XSS)
        live = await ws.receive_json_from(timeout=5)
        assert live["unread"] == 2 and live["notification"]["id"] == made[0].pk
        assert live["notification"]["message"] == XSS  # plain text: the page inserts it with textContent
        await sync_to_async(services.notification_mark_all_read)(organization=alice_org, user=dana)
        assert (await ws.receive_json_from(timeout=5))["unread"] == 0
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
        await ws.disconnect()

    async_to_sync(scenario)()


def test_other_people_and_other_organizations_are_not_pushed(alice_org, charlie_org, alice, dana, bob, charlie, redis_conn):
    Membership.objects.create(user=dana, organization=charlie_org, role="viewer")

    async def scenario():
        ws, connected, _ = await _connect(f"/ws/notifications/?org={alice_org.pk}", _session_headers(dana))
        assert connected and (await ws.receive_json_from(timeout=5))["unread"] == 0
        await sync_to_async(_notify)(alice_org, bob, alice)  # bob's
        await sync_to_async(_notify)(charlie_org, dana, charlie)  # dana's, in the other organization
        assert await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("who, query", [("charlie", "org={org}"), ("anonymous", "org={org}"), ("dana", "org=abc"),
                                        ("dana", "org=999999999"), ("bad-token", "org={org}")])
def test_non_members_are_closed(alice_org, dana, charlie, who, query, redis_conn):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    path = "/ws/notifications/?" + query.format(org=alice_org.pk)
    if who in ("charlie", "dana"):
        headers = _session_headers(charlie if who == "charlie" else dana)
    elif who == "bad-token":
        path += "&token=not-a-token"

    async def scenario():
        _ws, connected, code = await _connect(path, headers)
        assert not connected and code == 4404

    async_to_sync(scenario)()


def test_token_client_and_removed_member_is_closed(alice_org, alice, bob, redis_conn):
    from kolony.accounts.services import api_token_create, membership_remove

    _token, key = api_token_create(user=bob, name="ws")

    async def scenario():
        ws, connected, _ = await _connect(f"/ws/notifications/?org={alice_org.pk}&token={key}",
                                          [(b"host", b"testserver")])
        assert connected and (await ws.receive_json_from(timeout=5))["unread"] == 0
        await sync_to_async(membership_remove)(actor_membership=Membership.objects.get(user=alice),
                                               membership=Membership.objects.get(user=bob))
        closed = await ws.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}

    async_to_sync(scenario)()
