"""Named API tokens made on the API tokens page open progress WebSockets (``?token=``), for every
role; revoking one on the page closes its sockets at once and refuses it from then on, while the
user's other tokens keep theirs."""

import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from kolony.accounts.models import ApiToken, Role
from kolony.accounts.services import api_token_hash
from kolony.asgi import application
from tests.conftest import login_client

pytestmark = [pytest.mark.django_db(transaction=True)]

HOST = [(b"host", b"testserver")]
ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER]


def _make_token(client, name: str) -> tuple[str, ApiToken]:
    html = client.post(reverse("accounts:api_tokens"), {"name": name}, follow=True).content.decode()
    found = re.search(r'id="new-token-key" type="text" value="([^"]+)"', html)
    assert found, "the page shows the new key"
    key = found.group(1)
    return key, ApiToken.objects.get(key_hash=api_token_hash(key))


async def _connect(job, key):
    ws = WebsocketCommunicator(application, f"/ws/video-jobs/{job.pk}/?token={key}", headers=HOST)
    connected, code = await ws.connect(timeout=5)
    return ws, connected, code


@pytest.mark.parametrize("role", ROLES)
def test_page_token_opens_a_socket_and_revoking_it_closes_the_socket(job, user_as, role, redis_conn):
    user = user_as(role)
    client = login_client(user)
    key, token = _make_token(client, "Progress monitor")
    other_key, _other = _make_token(client, "Dashboard TV")

    async def scenario():
        ws, connected, _ = await _connect(job, key)
        assert connected
        assert (await ws.receive_json_from(timeout=5))["job"] == job.pk
        other, other_connected, _ = await _connect(job, other_key)
        assert other_connected
        await other.receive_json_from(timeout=5)

        revoked = await sync_to_async(client.post)(reverse("accounts:api_token_revoke", args=[token.pk]))
        assert revoked.status_code == 302
        assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
        await other.send_json_to({"type": "ping"})  # the user's other token keeps its socket
        assert await other.receive_json_from(timeout=5) == {"type": "pong"}
        await other.disconnect()

        again, connected_again, code = await _connect(job, key)
        assert not connected_again and code == 4404

    async_to_sync(scenario)()
