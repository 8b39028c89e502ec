"""Who may keep a progress WebSocket open, through the real ASGI application (auth middleware,
routing, Redis channel layer): token clients without an Origin, cookie clients only from an
allowed Origin, sockets closed when access goes away, bad paths refused at the handshake."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from kolony.accounts import services as account_services
from kolony.accounts.models import ApiToken, Membership
from kolony.accounts.services import api_token_create
from kolony.asgi import application
from videogen.progress import publish

pytestmark = [pytest.mark.django_db(transaction=True)]

HOST = [(b"host", b"testserver")]
ORIGIN = [(b"origin", b"http://testserver")]


def _cookie(user):
    client = Client()
    client.force_login(user)
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def _connect(path, headers):
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await ws.connect(timeout=5)
    return ws, connected, code


@pytest.mark.parametrize("origin", [[], ORIGIN, [(b"origin", b"http://evil.example")]], ids=["no-origin", "own", "foreign"])
def test_token_client_connects_whatever_its_origin(job, alice, origin, redis_conn):
    _token, key = api_token_create(user=alice, name="ws")

    async def scenario():
        ws, connected, _ = await _connect(f"/ws/video-jobs/{job.pk}/?token={key}", HOST + origin)
        assert connected
        assert (await ws.receive_json_from(timeout=5))["job"] == job.pk
        await ws.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("origin", [[], [(b"origin", b"http://evil.example")]], ids=["no-origin", "foreign"])
def test_cookie_client_needs_an_allowed_origin(job, alice, origin, redis_conn):
    async def scenario():
        ws, connected, _ = await _connect(f"/ws/video-jobs/{job.pk}/", HOST + origin + _cookie(alice))
        assert not connected

    async_to_sync(scenario)()


@pytest.mark.parametrize("token", ["not-a-token", ""], ids=["bad-token", "empty-token"])
@pytest.mark.parametrize("origin", [ORIGIN, [(b"origin", b"http://evil.example")]], ids=["own", "foreign"])
def test_a_bad_token_never_falls_back_to_the_cookie(job, alice, token, origin, redis_conn):
    """A foreign page can add ``?token=junk`` to skip the Origin check; the browser's cookie must then not count."""
    async def scenario():
        ws, connected, code = await _connect(f"/ws/video-jobs/{job.pk}/?token={token}", HOST + origin + _cookie(alice))
        assert not connected and code == 4404

    async_to_sync(scenario)()


def _remove(alice, alice_org, bob):
    actor = Membership.objects.get(user=alice, organization=alice_org)
    account_services.membership_remove(actor_membership=actor, membership=Membership.objects.get(user=bob, organization=alice_org))


def _deactivate(alice, alice_org, bob):
    bob.is_active = False
    bob.save()


def _new_password(alice, alice_org, bob):
    bob.set_password("a-brand-new-password-7")
    bob.save()


def _revoke_tokens(alice, alice_org, bob):
    for token in ApiToken.objects.filter(user=bob):
        token.delete()


LOSSES = {"removed": _remove, "deactivated": _deactivate, "new-password": _new_password, "token-revoked": _revoke_tokens}


@pytest.mark.parametrize("auth", ["token", "cookie"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_socket_closes_when_access_goes_away_mid_render(job, alice, alice_org, bob, auth, loss, redis_conn):
    if auth == "cookie" and loss == "token-revoked":
        pytest.skip("a cookie client has no token")
    _token, key = api_token_create(user=bob, name="ws")
    path = f"/ws/video-jobs/{job.pk}/" + (f"?token={key}" if auth == "token" else "")
    headers = HOST + (ORIGIN + _cookie(bob) if auth == "cookie" else [])

    async def scenario():
        ws, connected, _ = await _connect(path, headers)
        assert connected
        await ws.receive_json_from(timeout=5)
        await sync_to_async(publish)(job.pk, {"type": "progress", "job": job.pk, "progress": 10, "phase": "scenes",
                                              "status": "rendering", "error": ""})
        assert (await ws.receive_json_from(timeout=5))["progress"] == 10
        await sync_to_async(LOSSES[loss])(alice, alice_org, bob)
        closed = await ws.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}
        await sync_to_async(publish)(job.pk, {"type": "progress", "job": job.pk, "progress": 55, "phase": "scenes",
                                              "status": "rendering", "error": ""})
        assert await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()

    async_to_sync(scenario)()


def test_a_role_change_keeps_the_socket_open(job, alice, alice_org, bob, redis_conn):
    async def scenario():
        ws, connected, _ = await _connect(f"/ws/video-jobs/{job.pk}/", HOST + ORIGIN + _cookie(bob))
        assert connected
        await ws.receive_json_from(timeout=5)
        actor = await sync_to_async(Membership.objects.get)(user=alice, organization=alice_org)
        target = await sync_to_async(Membership.objects.get)(user=bob, organization=alice_org)
        await sync_to_async(account_services.membership_change_role)(actor_membership=actor, membership=target, role="viewer")
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
        await ws.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("path", ["/ws/video-jobs/abc/", "/ws/video-jobs/99999999999999999999/", "/ws/video-jobs/0/",
                                  "/ws/nothing-here/", "/ws/video-jobs/1/extra/"])
def test_unroutable_or_impossible_paths_are_refused_at_the_handshake(alice, path, redis_conn):
    async def scenario():
        ws, connected, code = await _connect(path, HOST + ORIGIN + _cookie(alice))
        assert not connected and code == 4404

    async_to_sync(scenario)()


def test_garbage_frames_do_not_kill_the_socket(job, alice, redis_conn):
    async def scenario():
        ws, connected, _ = await _connect(f"/ws/video-jobs/{job.pk}/", HOST + ORIGIN + _cookie(alice))
        assert connected
        await ws.receive_json_from(timeout=5)
        await ws.send_to(text_data="{not json")
        await ws.send_to(text_data="[1, 2]")
        await ws.send_to(bytes_data=b"\x00\x01")
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from(timeout=5) == {"type": "pong"}
        await ws.disconnect()

    async_to_sync(scenario)()
