"""Team self-service pages (issue 11, "Team"): the roles page generated from the one capabilities
table, the copyable invite link, the profile page with password change, and the API tokens page
(named, hashed tokens: create, use, revoke) — for every role."""

import re

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from kolony.accounts import roles
from kolony.accounts.models import ApiToken, Invitation, Role
from kolony.accounts.services import api_token_create, api_token_hash
from kolony.tenancy import CAPABILITIES
from tests.conftest import PASSWORD, login_client

pytestmark = pytest.mark.django_db

ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER]
NEW_PASSWORD = "a-much-better-secret-731"


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _cells(html: str) -> dict[tuple[str, str], str]:
    """(capability, role) → "yes"/"no" as the roles page shows it."""
    cells = {}
    for row in re.finditer(r'<tr data-capability="([a-z_]+)">(.*?)</tr>', html, re.S):
        for role, allowed in re.findall(r'data-role="([a-z]+)" data-allowed="(yes|no)"', row.group(2)):
            cells[(row.group(1), role)] = allowed
    return cells


# --- roles page ------------------------------------------------------------------------------

def test_every_capability_has_plain_words():
    assert set(roles.CAPABILITY_WORDS) == set(CAPABILITIES)
    assert all(name and description for name, description in roles.CAPABILITY_WORDS.values())


@pytest.mark.parametrize("role", ROLES)
def test_roles_page_shows_the_capabilities_table_to_every_role(client_as, role):
    page = client_as(role).get(reverse("accounts:roles"))
    assert page.status_code == 200
    html = page.content.decode()
    expected = {(cap, r): "yes" if r in holders else "no" for cap, holders in CAPABILITIES.items() for r in Role.values}
    assert _cells(html) == expected  # every capability × every role, straight from the table
    for name, description in roles.CAPABILITY_WORDS.values():
        assert name in html and description in html
    assert re.search(rf'data-testid="my-role">{Role(role).label}<', html)


def test_roles_page_follows_the_table(alice_client, monkeypatch):
    """The page is generated from CAPABILITIES: change the table and the page changes."""
    monkeypatch.setitem(CAPABILITIES, "publish", frozenset({"owner"}))
    cells = _cells(alice_client.get(reverse("accounts:roles")).content.decode())
    assert cells[("publish", "owner")] == "yes"
    assert cells[("publish", "admin")] == cells[("publish", "editor")] == "no"


def test_team_page_links_to_the_roles_page(client_as):
    for role in ROLES:
        assert reverse("accounts:roles") in client_as(role).get(reverse("accounts:team")).content.decode()


# --- invite link -----------------------------------------------------------------------------

class BrokenMailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


def _invite_links(html: str) -> list[str]:
    return re.findall(r'data-testid="invite-link"', html) and re.findall(
        r'<input id="invite-link-\d+" type="text" value="([^"]+)"', html)


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_pending_invitation_shows_the_link_that_was_emailed(client_as, role, django_capture_on_commit_callbacks):
    client = client_as(role)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("accounts:team"), {"email": "newbie@example.com", "role": Role.EDITOR})
    assert sent.status_code == 302
    emailed = re.search(r"http://testserver/accounts/invitations/\S+/", mail.outbox[-1].body).group(0)
    links = _invite_links(client.get(reverse("accounts:team")).content.decode())
    assert links == [emailed]
    assert _invite_links(client.get(reverse("accounts:team")).content.decode()) == [emailed]  # stable
    accept = Client().get(emailed)
    assert accept.status_code == 200 and "newbie@example.com" in accept.content.decode()


def test_invitation_stands_and_its_link_is_shown_without_a_mail_server(alice_client, settings,
                                                                       django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = alice_client.post(reverse("accounts:team"), {"email": "nomail@example.com", "role": Role.VIEWER},
                                 follow=True)
    assert callbacks  # the e-mail was attempted (and failed) after the commit
    assert sent.status_code == 200
    invitation = Invitation.objects.get(email="nomail@example.com")
    [link] = _invite_links(sent.content.decode())
    assert "Copy link" in sent.content.decode()
    assert Client().get(link).status_code == 200
    assert invitation.is_pending


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.VIEWER])
def test_roles_that_cannot_manage_the_team_see_no_invite_links(alice_client, client_as, role):
    alice_client.post(reverse("accounts:team"), {"email": "secret@example.com", "role": Role.VIEWER})
    html = client_as(role).get(reverse("accounts:team")).content.decode()
    assert "invitations/" not in html and "secret@example.com" not in html


# --- profile and password --------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_profile_shows_email_and_saves_the_name(user_as, role):
    user = user_as(role)
    client = login_client(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f'value="{user.email}" readonly' in page
    assert "revokes all your API tokens" in page
    saved = client.post(reverse("accounts:profile"), {"form": "profile", "full_name": "  Dana Marketer "}, follow=True)
    assert "Your profile was saved." in saved.content.decode()
    user.refresh_from_db()
    assert user.full_name == "Dana Marketer"
    assert 'value="Dana Marketer"' in saved.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_password_change_keeps_this_session_and_revokes_tokens(user_as, role):
    user = user_as(role)
    client, other_browser = login_client(user), login_client(user)
    key = api_token_create(user=user, name="Reporting script")[1]
    assert _api(key).get("/api/v1/organizations/").status_code == 200
    done = client.post(reverse("accounts:profile"), {
        "form": "password", "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    }, follow=True)
    assert done.status_code == 200 and done.redirect_chain[-1][0] == reverse("accounts:profile")
    assert "Your password was changed" in done.content.decode() and "1 API token was revoked" in done.content.decode()
    assert client.get(reverse("core:dashboard")).status_code == 200  # still signed in here
    assert other_browser.get(reverse("core:dashboard")).status_code == 302  # signed out elsewhere
    assert _api(key).get("/api/v1/organizations/").status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"old_password": "wrong-one", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
     "old_password", "Your old password was entered incorrectly"),
    ({"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
     "new_password2", "The two password fields"),
    ({"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}, "new_password2", "too short"),
])
def test_bad_password_change_says_what_is_wrong_and_changes_nothing(alice, alice_client, data, field, message):
    key = api_token_create(user=alice, name="script")[1]
    page = alice_client.post(reverse("accounts:profile"), {"form": "password", **data})
    assert page.status_code == 400
    html = page.content.decode()
    errors = html[html.index(f'name="{field}"'):]
    assert message in errors[:1500]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert _api(key).get("/api/v1/organizations/").status_code == 200


def test_profile_needs_sign_in():
    response = Client().get(reverse("accounts:profile"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- API tokens page -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_every_role_creates_uses_and_revokes_their_own_token(user_as, alice, role):
    user = user_as(role)
    client = login_client(user)
    created = client.post(reverse("accounts:api_tokens"), {"name": "Reporting script"}, follow=True)
    assert created.status_code == 200
    html = created.content.decode()
    key = re.search(r'data-testid="new-token-key"', html) and re.search(r'id="new-token-key" type="text" value="([^"]+)"', html).group(1)
    assert key.startswith("kol_") and "Reporting script" in html
    token = ApiToken.objects.get(user=user)
    assert token.key_hash == api_token_hash(key) and key not in (token.key_hash, token.prefix, token.name)
    assert key not in client.get(reverse("accounts:api_tokens")).content.decode()  # shown once

    api = _api(key)
    assert api.get("/api/v1/organizations/").status_code == 200
    assert api.get("/api/v1/campaigns/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    listed = client.get(reverse("accounts:api_tokens")).content.decode()
    assert f'data-token-id="{token.pk}"' in listed and "Never" not in listed

    if user != alice:  # nobody sees or revokes another user's token
        alice_key = api_token_create(user=alice, name="Alice's")[1]
        alice_token = ApiToken.objects.get(key_hash=api_token_hash(alice_key))
        assert "Alice&#x27;s" not in listed and f'data-token-id="{alice_token.pk}"' not in listed
        assert client.post(reverse("accounts:api_token_revoke", args=[alice_token.pk])).status_code == 404
        assert _api(alice_key).get("/api/v1/organizations/").status_code == 200

    revoked = client.post(reverse("accounts:api_token_revoke", args=[token.pk]), follow=True)
    assert "Revoked the token “Reporting script”" in revoked.content.decode()
    response = api.get("/api/v1/organizations/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
    assert client.post(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 404  # already gone


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name(alice, alice_client, name):
    page = alice_client.post(reverse("accounts:api_tokens"), {"name": name})
    assert page.status_code == 400
    html = page.content.decode()
    assert re.search(r'name="name"[^>]*>.*?<ul class="errorlist', html, re.S)
    assert not ApiToken.objects.filter(user=alice).exists()


def test_revoke_takes_only_post(alice, alice_client):
    token, _key = api_token_create(user=alice, name="script")
    assert alice_client.get(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_tokens_pages_need_sign_in(alice):
    token, _key = api_token_create(user=alice, name="script")
    for response in (Client().get(reverse("accounts:api_tokens")),
                     Client().post(reverse("accounts:api_token_revoke", args=[token.pk]))):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_token_endpoint_still_gives_a_working_named_token(alice, alice_client):
    client = APIClient()
    first = client.post("/api/v1/auth/token/", {"email": alice.email, "password": PASSWORD}, format="json").json()["token"]
    second = client.post("/api/v1/auth/token/", {"email": alice.email, "password": PASSWORD}, format="json").json()["token"]
    assert first != second  # hashed: an old key cannot be shown again, so each sign-in makes one
    for key in (first, second):
        assert _api(key).get("/api/v1/organizations/").status_code == 200
    listed = alice_client.get(reverse("accounts:api_tokens")).content.decode()
    assert listed.count("<td>Signed in with e-mail and password</td>") == 2


def test_old_drf_tokens_are_carried_over_hashed(alice):
    """The migration turns each DRF authtoken row into a hashed ApiToken with the same key."""
    import importlib

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    migration = importlib.import_module("kolony.accounts.migrations.0002_api_tokens")
    legacy = Token.objects.create(user=alice)
    migration.copy_drf_tokens(apps, None)
    assert not Token.objects.exists()
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash == api_token_hash(legacy.key)
    assert _api(legacy.key).get("/api/v1/organizations/").status_code == 200
