"""The OAuth 2.0 round trip of the Connections page against the OAuth stand-in
(tests/fakes/oauth_standin.py): connect + pick an account, PKCE, forged / replayed / expired state,
the user saying no, a used code, roles."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.models import PlatformConnection
from campaigns.platforms import oauth
from campaigns.platforms.base import AccountChoice, PlatformError
from kolony.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db

GOOGLE_ACCOUNTS = [AccountChoice(id="1234567890", name="Aurora Coffee", currency="EUR", time_zone="Europe/Berlin")]


@pytest.fixture(autouse=True)
def _google_accounts(monkeypatch):
    """Google's account list comes over gRPC from the Google adapter (P3); here a fixed list."""
    monkeypatch.setattr(oauth, "_google_list_accounts", lambda access_token: list(GOOGLE_ACCOUNTS))


def start(client, platform: str) -> str:
    """POSTs Connect; returns the authorize URL Kolony redirected to."""
    resp = client.post(reverse("campaigns:connection_start", kwargs={"platform": platform}))
    assert resp.status_code == 302, resp.content
    return resp["Location"]


def consent(authorize_url: str, decision: str = "allow") -> str:
    """Opens the stand-in's consent page and clicks Allow / Cancel; returns the callback URL."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text
    found = re.search(rf'id="{decision}" href="([^"]+)"', page.text)
    assert found, page.text
    link = found.group(1).replace("&amp;", "&")
    base = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    back = requests.get(base + link, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    return back.headers["Location"]


def callback(client, url: str):
    parts = urlsplit(url)
    return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})


def texts(resp) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


def test_meta_connect_lists_accounts_then_saves_the_picked_one(oauth_settings, alice_client, alice_org):
    url = start(alice_client, "meta")
    q = parse_qs(urlsplit(url).query)
    assert q["client_id"] == [oauth_settings.state.meta_app_id] and q["response_type"] == ["code"]
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43
    assert len(q["state"][0]) >= 40
    resp = callback(alice_client, consent(url))
    assert resp.status_code == 302 and resp["Location"] == reverse("campaigns:connections")
    assert not PlatformConnection.objects.exists(), "nothing is saved before an account is picked"
    page = alice_client.get(reverse("campaigns:connections"))
    html = page.content.decode()
    assert "Pick the Meta ad account" in html and "Aurora Coffee – Tests" in html and "act_2345678901" in html
    assert "EAAB" not in html, "tokens are never shown"

    resp = alice_client.post(reverse("campaigns:connection_pick"), {"ad_account_id": "act_2345678901"})
    conn = PlatformConnection.objects.get(organization=alice_org, platform="meta")
    assert conn.ad_account_id == "act_2345678901" and conn.account_name == "Aurora Coffee – Tests"
    assert conn.status == "active" and conn.token.startswith("EAAB") and conn.refresh_token == ""
    assert oauth_settings.token_info(conn.token) == "ok"
    # the long-lived token (about 60 days), not the 2-hour one
    assert (conn.token_expires_at - conn.created_at).days >= 59
    assert "Connected Meta: Aurora Coffee – Tests (act_2345678901)." in texts(resp)
    event = AuditEvent.objects.get(action="platform.connected")
    assert "EAAB" not in str(event.metadata)
    page = alice_client.get(reverse("campaigns:connections")).content.decode()
    assert "Pick the Meta ad account" not in page and "Connected</span>" in page and "EAAB" not in page


def test_google_connect_with_pkce_and_refresh_token(oauth_settings, alice_client, alice_org):
    url = start(alice_client, "google")
    q = parse_qs(urlsplit(url).query)
    assert q["access_type"] == ["offline"] and q["prompt"] == ["consent"] and q["code_challenge_method"] == ["S256"]
    resp = callback(alice_client, consent(url))
    assert "Connected Google Ads: Aurora Coffee (1234567890)." in texts(resp)
    conn = PlatformConnection.objects.get(organization=alice_org, platform="google")
    assert conn.token.startswith("ya29.") and conn.refresh_token.startswith("1//")
    assert conn.scopes == "https://www.googleapis.com/auth/adwords"


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_forged_state_saves_nothing_and_keeps_the_real_sign_in(oauth_settings, alice_client, platform):
    url = start(alice_client, platform)
    back = consent(url)
    forged = re.sub(r"state=[^&]+", "state=forged-by-someone", back)
    resp = callback(alice_client, forged)
    assert any("did not come from the sign-in Kolony started" in t for t in texts(resp))
    assert not PlatformConnection.objects.exists()
    # the forged link did not burn the code at the platform either, and the real sign-in still finishes
    callback(alice_client, back)
    if platform == "meta":  # two ad accounts: the picker
        assert "Pick the Meta ad account" in alice_client.get(reverse("campaigns:connections")).content.decode()
    else:
        assert PlatformConnection.objects.filter(platform=platform).exists()


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_replayed_callback_is_refused_and_nothing_is_created_twice(oauth_settings, alice_client, platform):
    back = consent(start(alice_client, platform))
    callback(alice_client, back)
    if platform == "meta":
        alice_client.post(reverse("campaigns:connection_pick"), {"ad_account_id": "act_1234567890"})
    conn = PlatformConnection.objects.get(platform=platform)
    resp = callback(alice_client, back)
    assert any("already used or was never started here" in t for t in texts(resp))
    assert PlatformConnection.objects.count() == 1
    assert PlatformConnection.objects.get().token_encrypted == conn.token_encrypted
    assert AuditEvent.objects.filter(action="platform.connected").count() == 1


def test_callback_without_a_started_sign_in(oauth_settings, alice_client):
    resp = alice_client.get(reverse("campaigns:connection_callback", kwargs={"platform": "meta"}),
                            {"code": "AQDx", "state": "whatever"})
    assert any("already used or was never started here" in t for t in texts(resp))
    assert not PlatformConnection.objects.exists()


def test_expired_state(oauth_settings, alice_client, settings):
    back = consent(start(alice_client, "google"))
    settings.PLATFORM_OAUTH_STATE_MAX_AGE_S = -1
    resp = callback(alice_client, back)
    assert any("expired" in t for t in texts(resp))
    assert not PlatformConnection.objects.exists()


def test_state_of_another_user_is_refused(oauth_settings, alice_client, client_for, member_of):
    admin_client = client_for(member_of("admin"))
    back = consent(start(alice_client, "google"))
    resp = callback(admin_client, back)  # another session: its session has no such sign-in
    assert any("never started here" in t for t in texts(resp))
    assert not PlatformConnection.objects.exists()


@pytest.mark.parametrize("platform", ["meta", "google"])
def test_user_cancels_on_the_platform(oauth_settings, alice_client, platform):
    resp = callback(alice_client, consent(start(alice_client, platform), decision="cancel"))
    assert any("access was not granted" in t for t in texts(resp))
    assert not PlatformConnection.objects.exists()


def test_used_code_and_wrong_verifier_are_refused_by_the_platform(oauth_settings, alice_client):
    url = start(alice_client, "meta")
    flow = alice_client.session[oauth.SESSION_KEY]["meta"]
    code = parse_qs(urlsplit(consent(url)).query)["code"][0]
    with pytest.raises(PlatformError) as exc:
        oauth.exchange_code("meta", code=code, redirect_uri=flow["redirect_uri"], code_verifier="wrong" * 10)
    assert exc.value.message == "Invalid code verifier."
    oauth.exchange_code("meta", code=code, redirect_uri=flow["redirect_uri"], code_verifier=flow["verifier"])
    with pytest.raises(PlatformError) as exc:
        oauth.exchange_code("meta", code=code, redirect_uri=flow["redirect_uri"], code_verifier=flow["verifier"])
    assert exc.value.message == "This authorization code has been used." and exc.value.code == "100/36009"

    url = start(alice_client, "google")
    flow = alice_client.session[oauth.SESSION_KEY]["google"]
    code = parse_qs(urlsplit(consent(url)).query)["code"][0]
    tokens = oauth.exchange_code("google", code=code, redirect_uri=flow["redirect_uri"], code_verifier=flow["verifier"])
    with pytest.raises(PlatformError) as exc:
        oauth.exchange_code("google", code=code, redirect_uri=flow["redirect_uri"], code_verifier=flow["verifier"])
    assert exc.value.code == "invalid_grant" and exc.value.auth
    assert oauth_settings.token_info(tokens.access_token) == "revoked", "a reused code revokes what it issued"


def test_platform_down_at_the_token_exchange(oauth_settings, alice_client):
    back = consent(start(alice_client, "google"))
    oauth_settings.fail("google_token", "transient")
    resp = callback(alice_client, back)
    assert any(t.startswith("Google Ads refused the connection: Google: Stand-in failure.") for t in texts(resp))
    assert not PlatformConnection.objects.exists()


def test_meta_ad_accounts_follow_paging(oauth_settings, monkeypatch):
    from tests.fakes import oauth_standin

    many = [{"id": f"act_{1000000000 + i}", "account_id": str(1000000000 + i), "name": f"Account {i}", "currency": "EUR",
             "timezone_name": "Europe/Berlin", "account_status": 1} for i in range(120)]
    monkeypatch.setattr(oauth_standin, "META_ACCOUNTS", many)
    token = oauth_settings.grant_tokens("meta")["access_token"]
    accounts = oauth.list_accounts("meta", access_token=token)
    assert [a.id for a in accounts] == [a["id"] for a in many]
    assert sum(1 for r in oauth_settings.state.requests if r["path"].endswith("/me/adaccounts")) == 3


@pytest.mark.parametrize("role,allowed", [("owner", True), ("admin", True), ("editor", False), ("reviewer", False),
                                          ("viewer", False)])
def test_only_owners_and_admins_manage_connections(oauth_settings, client_for, member_of, role, allowed):
    client = client_for(member_of(role))
    page = client.get(reverse("campaigns:connections"))
    assert page.status_code == (200 if allowed else 403)
    resp = client.post(reverse("campaigns:connection_start", kwargs={"platform": "meta"}))
    assert resp.status_code == (302 if allowed else 403)
    menu = client.get(reverse("accounts:profile")).content.decode()
    assert (reverse("campaigns:connections") in menu) is allowed


def test_unknown_platform_is_404(oauth_settings, alice_client):
    assert alice_client.post(reverse("campaigns:connection_start", kwargs={"platform": "tiktok"})).status_code == 404
    assert alice_client.get(reverse("campaigns:connection_callback", kwargs={"platform": "tiktok"})).status_code == 404


def test_not_configured_platform_says_which_settings(oauth_settings, alice_client, settings):
    settings.META_APP_ID = ""
    page = alice_client.get(reverse("campaigns:connections")).content.decode()
    assert "META_APP_ID / META_APP_SECRET" in page
    resp = alice_client.post(reverse("campaigns:connection_start", kwargs={"platform": "meta"}))
    assert "Meta is not set up on this server: set META_APP_ID and META_APP_SECRET." in texts(resp)
