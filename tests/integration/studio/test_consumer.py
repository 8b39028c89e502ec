"""The progress WebSocket, through the real ASGI application (auth middleware, routing, Redis layer)."""


import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from kolony.asgi import application
from videogen.progress import publish

pytestmark = [pytest.mark.django_db(transaction=True)]


def _session_headers(user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", f"sessionid={cookie}".encode())]


async def _connect(path, headers):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def test_owner_gets_state_on_connect_then_live_progress(job, alice, redis_conn):
    headers = _session_headers(alice)

    async def scenario():
        ws, connected, _ = await _connect(f"/ws/video-jobs/{job.pk}/", headers)
        assert connected
        first = await ws.receive_json_from(timeout=5)
        assert first == {**first, "type": "progress", "status": "pending", "progress": 0, "job": job.pk}
        await sync_to_async(publish)(job.pk, {"type": "progress", "job": job.pk, "progress": 42, "phase": "scenes",
                                              "status": "rendering", "error": ""})
        update = await ws.receive_json_from(timeout=5)
        assert (update["progress"], update["phase"], update["status"]) == (42, "scenes", "rendering")
        await ws.disconnect()

    async_to_sync(scenario)()


def test_token_auth_in_query_string(job, alice, redis_conn):
    from kolony.accounts.services import api_token_create

    _token, key = api_token_create(user=alice, name="ws")

    async def scenario():
        ws, connected, _ = await _connect(f"/ws/video-jobs/{job.pk}/?token={key}",
                                          [(b"origin", b"http://testserver"), (b"host", b"testserver")])
        assert connected
        assert (await ws.receive_json_from(timeout=5))["job"] == job.pk
        await ws.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("who", ["charlie", "anonymous", "bad-token"])
def test_other_org_and_anonymous_are_closed(job, charlie, who, redis_conn):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    path = f"/ws/video-jobs/{job.pk}/"
    if who == "charlie":
        headers = _session_headers(charlie)
    elif who == "bad-token":
        path += "?token=not-a-token"

    async def scenario():
        ws, connected, code = await _connect(path, headers)
        assert not connected and code == 4404

    async_to_sync(scenario)()


def test_foreign_origin_is_rejected(job, alice, redis_conn):
    headers = [(b"origin", b"http://evil.example"), *[h for h in _session_headers(alice) if h[0] != b"origin"]]

    async def scenario():
        ws, connected, _ = await _connect(f"/ws/video-jobs/{job.pk}/", headers)
        assert not connected

    async_to_sync(scenario)()
