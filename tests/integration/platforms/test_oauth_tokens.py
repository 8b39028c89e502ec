"""connection_token: refresh before expiry, expired / revoked → needs_reconnect, transient failures;
tokens encrypted at rest with MultiFernet key rotation."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db
from django.utils import timezone

from campaigns.models import PlatformConnection
from campaigns.platforms import connections, oauth
from campaigns.platforms.base import AccountChoice, PlatformError, TokenSet
from kolony.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def make_connection(standin, org, user, platform: str, *, expires_in: int) -> PlatformConnection:
    grant = standin.grant_tokens(platform)
    account = AccountChoice(id="act_1234567890" if platform == "meta" else "1234567890", name="Aurora")
    tokens = TokenSet(access_token=grant["access_token"], refresh_token=grant.get("refresh_token", ""),
                      expires_at=timezone.now() + dt.timedelta(seconds=expires_in))
    return connections.connection_create_from_oauth(organization=org, actor=user, platform=platform, tokens=tokens,
                                                    accounts=[account], ad_account_id=account.id)


def token_calls(standin) -> int:
    return sum(1 for r in standin.state.requests if r["path"].endswith(("/token", "/oauth/access_token")))


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_token_not_due_is_used_as_is(oauth_settings, alice_org, alice, platform):
    conn = make_connection(oauth_settings, alice_org, alice, platform, expires_in=3000)
    assert oauth.connection_token(conn) == conn.token
    assert token_calls(oauth_settings) == 0


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_token_due_is_refreshed_first(oauth_settings, alice_org, alice, platform, settings):
    settings.PLATFORM_TOKEN_REFRESH_MARGIN_S = 300
    conn = make_connection(oauth_settings, alice_org, alice, platform, expires_in=120)
    old, old_refresh = conn.token, conn.refresh_token
    new = oauth.connection_token(conn)
    assert new != old and oauth_settings.token_info(new) == "ok"
    conn.refresh_from_db()
    assert conn.token == new and conn.token_expires_at > timezone.now() + dt.timedelta(minutes=30)
    assert conn.refresh_token == old_refresh, "Google sends no new refresh token: the old one is kept"
    assert conn.status == "active" and token_calls(oauth_settings) == 1
    # now fresh: no second refresh
    assert oauth.connection_token(conn) == new and token_calls(oauth_settings) == 1


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_revoked_grant_asks_to_reconnect(oauth_settings, alice_org, alice, alice_client, platform):
    conn = make_connection(oauth_settings, alice_org, alice, platform, expires_in=60)
    oauth_settings.revoke(platform)
    with pytest.raises(PlatformError) as exc:
        oauth.connection_token(conn)
    assert exc.value.auth and exc.value.code == "needs_reconnect"
    conn.refresh_from_db()
    assert conn.status == "needs_reconnect"
    expected = "Token has been expired or revoked." if platform == "google" else "has not authorized application"
    assert expected in conn.status_message
    assert AuditEvent.objects.filter(action="platform.needs_reconnect").count() == 1
    # every later call fails at once, without asking the platform again
    calls = token_calls(oauth_settings)
    with pytest.raises(PlatformError):
        oauth.connection_token(conn)
    assert token_calls(oauth_settings) == calls
    page = alice_client.get("/campaigns/connections/").content.decode()
    section = page.split(f'data-testid="connection-{platform}"')[1].split("</section>")[0]
    assert "Needs reconnect" in section and expected in section and "Reconnect</button>" in section


def test_expired_meta_token_forced_refresh_asks_to_reconnect(oauth_settings, alice_org, alice):
    """The platform said "expired" (code 190) on a call: one forced refresh, which fails → reconnect."""
    conn = make_connection(oauth_settings, alice_org, alice, "meta", expires_in=3000)
    oauth_settings.expire_all()
    with pytest.raises(PlatformError) as exc:
        oauth.connection_token(conn, force_refresh=True)
    assert exc.value.auth and "Session has expired" in exc.value.message
    conn.refresh_from_db()
    assert conn.status == "needs_reconnect"


def test_transient_refresh_failure_keeps_the_connection(oauth_settings, alice_org, alice, settings):
    conn = make_connection(oauth_settings, alice_org, alice, "google", expires_in=120)
    oauth_settings.fail("google_token", "transient")
    assert oauth.connection_token(conn) == conn.token, "still valid for a moment: used, refreshed next time"
    conn.token_expires_at = timezone.now() - dt.timedelta(seconds=1)
    conn.save()
    oauth_settings.fail("google_token", "transient")
    with pytest.raises(PlatformError) as exc:
        oauth.connection_token(conn)
    assert exc.value.transient and not exc.value.auth
    conn.refresh_from_db()
    assert conn.status == "active"
    assert oauth.connection_token(conn) != "" and PlatformConnection.objects.get().status == "active"


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_disconnect_revokes_and_deletes_the_tokens(oauth_settings, alice_org, alice, alice_client, platform):
    conn = make_connection(oauth_settings, alice_org, alice, platform, expires_in=3000)
    token = conn.token
    resp = alice_client.post(f"/campaigns/connections/{conn.pk}/disconnect/", follow=True)
    assert "Disconnected" in resp.content.decode()
    assert not PlatformConnection.objects.exists()
    assert oauth_settings.token_info(token) == "revoked"
    assert oauth_settings.state.revocations == [platform]
    assert AuditEvent.objects.filter(action="platform.disconnected").count() == 1


def test_disconnect_when_the_platform_is_unreachable_still_deletes(oauth_settings, alice_org, alice, alice_client, settings):
    conn = make_connection(oauth_settings, alice_org, alice, "google", expires_in=3000)
    settings.GOOGLE_OAUTH_REVOKE_URL = "http://127.0.0.1:9/revoke"
    resp = alice_client.post(f"/campaigns/connections/{conn.pk}/disconnect/", follow=True)
    assert "could not be told" in resp.content.decode()
    assert not PlatformConnection.objects.exists()


def _raw(pk: int) -> tuple[str, str]:
    with db.cursor() as cur:
        cur.execute("SELECT token_encrypted, refresh_token_encrypted FROM campaigns_platformconnection WHERE id = %s", [pk])
        return cur.fetchone()


def test_tokens_are_encrypted_at_rest_and_keys_rotate(oauth_settings, alice_org, alice, settings):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KOLONY_FIELD_ENCRYPTION_KEY = key_a
    conn = make_connection(oauth_settings, alice_org, alice, "google", expires_in=3000)
    access, refresh = conn.token, conn.refresh_token
    raw_access, raw_refresh = _raw(conn.pk)
    assert access not in raw_access and refresh not in raw_refresh and raw_access and raw_refresh
    assert Fernet(key_a.encode()).decrypt(raw_access.encode()).decode() == access

    # rotation: the new key first, the old one still decrypts; a refresh re-encrypts with the new key
    settings.KOLONY_FIELD_ENCRYPTION_KEY = f"{key_b},{key_a}"
    conn = PlatformConnection.objects.get(pk=conn.pk)
    assert conn.token == access and conn.refresh_token == refresh
    conn.token_expires_at = timezone.now()
    conn.save()
    new = oauth.connection_token(conn)
    raw_new, _ = _raw(conn.pk)
    assert new not in raw_new and Fernet(key_b.encode()).decrypt(raw_new.encode()).decode() == new
    # once only the new key is left, the rotated token still reads; the old key alone no longer does
    settings.KOLONY_FIELD_ENCRYPTION_KEY = key_b
    assert PlatformConnection.objects.get(pk=conn.pk).token == new
    settings.KOLONY_FIELD_ENCRYPTION_KEY = key_a
    assert PlatformConnection.objects.get(pk=conn.pk).token == ""


def test_no_token_is_ever_logged(oauth_settings, alice_org, alice, caplog, settings):
    caplog.set_level("DEBUG")
    conn = make_connection(oauth_settings, alice_org, alice, "google", expires_in=10)
    new = oauth.connection_token(conn)
    oauth_settings.revoke("google")
    conn.token_expires_at = timezone.now()
    conn.save()
    with pytest.raises(PlatformError) as exc:
        oauth.connection_token(conn)
    for secret in (new, conn.refresh_token, settings.GOOGLE_ADS_CLIENT_SECRET):
        assert secret not in caplog.text and secret not in exc.value.message
