"""API tokens die with the password: every way a password changes revokes the user's tokens, and
the identity cache (warm before the change) stops serving them on the very next request."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kolony.accounts.models import ApiToken
from kolony.accounts.services import api_token_create
from tests.conftest import api_client_for, login_client

pytestmark = pytest.mark.django_db

NEW = "brand-new-secret-42"


def _via_reset_page(user):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": user.email})
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/accounts/reset/" in line)
    form = client.get(link[link.index("/accounts/reset/"):], follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302


def _via_admin(user):
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    response = login_client(user).post(f"/admin/accounts/user/{user.pk}/password/", {"password1": NEW, "password2": NEW})
    assert response.status_code == 302, response.content.decode()[:2000]


def _via_model(user):
    user.set_password(NEW)
    user.save()


def _via_model_update_fields(user):
    user.set_password(NEW)
    user.save(update_fields=["password"])


@pytest.mark.parametrize("change", [_via_reset_page, _via_admin, _via_model, _via_model_update_fields],
                         ids=["reset-page", "admin", "save", "save-update-fields"])
def test_every_password_change_revokes_the_users_tokens(alice, charlie, change):
    alice_api, charlie_api = api_client_for(alice), api_client_for(charlie)
    assert alice_api.get("/api/v1/organizations/").status_code == 200  # the identity cache is warm
    change(alice)
    alice.refresh_from_db()
    assert alice.check_password(NEW)
    response = alice_api.get("/api/v1/organizations/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
    assert not ApiToken.objects.filter(user=alice).exists()
    assert charlie_api.get("/api/v1/organizations/").status_code == 200  # only alice's tokens
    fresh = api_client_for(alice)  # signing in again gives a new token that works
    assert fresh.get("/api/v1/organizations/").status_code == 200


def test_a_hash_upgrade_at_sign_in_is_not_a_password_change(alice, settings):
    from tests.conftest import PASSWORD

    token, _key = api_token_create(user=alice, name="script")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the stored hash is now outdated
    assert alice.check_password(PASSWORD)  # re-hashes and saves
    assert alice.password.startswith("pbkdf2_sha1$")
    assert ApiToken.objects.filter(pk=token.pk).exists()
