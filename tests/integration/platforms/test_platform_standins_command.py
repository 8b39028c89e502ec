"""``manage.py platform_standins`` (what ``make run`` starts): the OAuth, Meta Graph API and Google
Ads stand-ins come up and the env file it writes points every Meta / Google setting at them;
``--connect-demo``'s connection code gives the demo organization working stand-in tokens."""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from campaigns.management.commands.platform_standins import Command
from campaigns.models import PlatformConnection
from kolony.core.demo import DEMO_EMAIL
from tests.conftest import make_member
from tests.fakes.oauth_standin import OAuthStandin

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local stand-in
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _read_env(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0] if value else ""
    return env


def test_command_starts_every_standin_and_writes_their_settings(tmp_path, settings):
    env_file = tmp_path / "platform-standins.env"
    ports = [_free_port() for _ in range(4)]
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "platform_standins", "--env-file", str(env_file), "--port", str(ports[0]),
         "--graph-port", str(ports[1]), "--google-grpc-port", str(ports[2]), "--google-http-port", str(ports[3])],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            if env_file.exists() or proc.poll() is not None:
                break
            time.sleep(0.2)
        assert env_file.exists(), proc.communicate(timeout=5)[0].decode() if proc.poll() is not None else "no env file"
        env = _read_env(env_file)
        oauth, graph = f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
        assert env["META_GRAPH_URL"] == oauth
        assert env["META_OAUTH_AUTHORIZE_URL"] == f"{oauth}/{settings.META_API_VERSION}/dialog/oauth"
        assert env["META_GRAPH_VIDEO_URL"] == graph
        assert (env["META_APP_ID"], env["META_APP_SECRET"]) != ("", "")
        assert env["GOOGLE_OAUTH_AUTHORIZE_URL"] == f"{oauth}/o/oauth2/v2/auth"
        assert env["GOOGLE_OAUTH_TOKEN_URL"] == f"{oauth}/token" and env["GOOGLE_OAUTH_REVOKE_URL"] == f"{oauth}/revoke"
        assert env["GOOGLE_ADS_ENDPOINT"] == f"127.0.0.1:{ports[2]}" and env["GOOGLE_ADS_INSECURE_CHANNEL"] == "true"
        assert env["GOOGLE_YOUTUBE_UPLOAD_URL"] == f"http://127.0.0.1:{ports[3]}/resumable/upload"
        assert env["GOOGLE_ADS_CLIENT_ID"] and env["GOOGLE_ADS_CLIENT_SECRET"] and env["GOOGLE_ADS_DEVELOPER_TOKEN"]

        # META_GRAPH_URL answers the Graph API's own routes (forwarded to the Graph stand-in), which
        # check the token with the OAuth stand-in: a made-up token is refused in Meta's shape
        status, body = _get(f"{oauth}/{settings.META_API_VERSION}/act_1234567890/campaigns?access_token=made-up")
        assert status == 400 and body["error"]["code"] == 190 and body["error"]["type"] == "OAuthException"
        status, body = _get(f"{graph}/_standin/state")
        assert status == 200 and body["created"]["campaign"] == 0
        # the Google Ads gRPC port and the YouTube upload host accept connections
        for port in ports[2:]:
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.django_db
def test_connect_demo_gives_the_demo_organization_working_tokens(alice_org):
    demo = make_member(alice_org, DEMO_EMAIL, "owner")
    standin = OAuthStandin().start()
    try:
        Command()._connect_demo(standin)
        conns = {c.platform: c for c in PlatformConnection.objects.filter(organization=alice_org)}
        assert set(conns) == {"meta", "google"}
        assert conns["meta"].ad_account_id == "act_1234567890" and conns["google"].ad_account_id == "1234567890"
        for conn in conns.values():
            assert conn.status == "active" and conn.connected_by == demo
            assert standin.token_info(conn.token) == "ok"
        assert conns["google"].refresh_token
        Command()._connect_demo(standin)  # make run again: replaced, not doubled
        assert PlatformConnection.objects.filter(organization=alice_org).count() == 2
    finally:
        standin.stop()
