"""Sign-in brute force (django-axes on the login page and the token endpoint), the API's throttles
on the shared Redis cache, the real client address behind proxies, and safe ``next`` redirects."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import caches
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from kolony.accounts.security import client_ip, safe_next_url
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


def _page_attempt(client, email, password, ip="203.0.113.5"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def _api_attempt(client, email, password, ip="203.0.113.5", **extra):
    return client.post(TOKEN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, **extra)


@pytest.fixture(autouse=True)
def _clean_throttle_cache():
    caches["throttle"].clear()


@pytest.mark.parametrize("entry", ["page", "api"])
def test_right_password_is_refused_while_locked_out_then_works_after_cool_off(entry, alice, settings):
    client = Client() if entry == "page" else APIClient()
    attempt = _page_attempt if entry == "page" else _api_attempt
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = attempt(client, "alice@example.com", "wrong-password")
        assert wrong.status_code in (200, 400)
    locked = attempt(client, "Alice@Example.com", "wrong-password")  # the account, whatever the case
    assert locked.status_code == 429
    right = attempt(client, "alice@example.com", PASSWORD)
    assert right.status_code == 429, "the right password must not work while locked out"
    body = right.json()["detail"] if entry == "api" else right.content.decode()
    assert "Too many failed sign-in attempts" in body and "15 minutes" in body
    assert right["Retry-After"] == "900"
    if entry == "page":
        assert "_auth_user_id" not in client.session
        assert 'name="username"' in body  # the sign-in page, showing the message
    else:
        assert set(right.json()) == {"detail", "errors"}

    # another address is not locked out (the lock is the account + the client address)
    other = attempt(client, "alice@example.com", PASSWORD, ip="198.51.100.7")
    assert other.status_code in (200, 302)

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))  # the cool-off passed
    client = Client() if entry == "page" else APIClient()
    after = attempt(client, "alice@example.com", PASSWORD)
    assert after.status_code == (302 if entry == "page" else 200)


@pytest.mark.parametrize("entry", ["page", "api"])
def test_a_made_up_forwarded_for_does_not_escape_the_lockout(entry, alice, settings):
    client = Client() if entry == "page" else APIClient()
    attempt = _page_attempt if entry == "page" else _api_attempt
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        response = (client.post(reverse("accounts:login"), {"username": "alice@example.com", "password": "nope"},
                                 REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
                    if entry == "page" else
                    _api_attempt(client, "alice@example.com", "nope", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}"))
    assert response.status_code == 429
    assert attempt(client, "alice@example.com", PASSWORD).status_code == 429


def test_client_address_trusts_only_the_configured_proxies(settings):
    from rest_framework.settings import api_settings

    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    cases = [(0, "10.0.0.2"), (1, "203.0.113.9"), (2, "6.6.6.6")]
    for count, expected in cases:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}
        api_settings.reload()
        assert client_ip(forged) == expected, count
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_settings.reload()
    assert client_ip(factory.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"  # no header: the peer


def test_sign_in_endpoint_is_throttled_per_address_in_the_shared_cache(alice, monkeypatch):
    from kolony.accounts.throttling import SignInThrottle

    monkeypatch.setitem(SignInThrottle.THROTTLE_RATES, "sign_in", "3/minute")
    client = APIClient()
    codes = [_api_attempt(client, f"nobody{n}@example.com", "x").status_code for n in range(4)]
    assert codes == [400, 400, 400, 429]
    response = _api_attempt(client, "alice@example.com", PASSWORD)
    assert response.status_code == 429 and "throttled" in response.json()["detail"]
    assert response.json()["errors"] == {} and int(response["Retry-After"]) > 0
    # counted in Redis (shared by every process), not in one process's memory
    import redis
    from django.conf import settings

    assert redis.Redis.from_url(settings.REDIS_URL).keys("kolony-throttle*sign_in*")
    assert _api_attempt(client, "alice@example.com", PASSWORD, ip="198.51.100.8").status_code == 200


def test_authenticated_api_is_throttled_per_user(alice_api, charlie_api, monkeypatch):
    from kolony.accounts.throttling import UserThrottle

    monkeypatch.setitem(UserThrottle.THROTTLE_RATES, "user", "2/minute")
    codes = [alice_api.get("/api/v1/organizations/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    body = alice_api.get("/api/v1/organizations/").json()
    assert set(body) == {"detail", "errors"} and "throttled" in body["detail"]
    assert charlie_api.get("/api/v1/organizations/").status_code == 200  # per user


def test_throttle_cache_outage_does_not_break_the_api(alice_api, settings):
    settings.CACHES = {**settings.CACHES, "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                       "LOCATION": "redis://127.0.0.1:1/0"}}
    response = alice_api.get("/api/v1/organizations/")
    assert response.status_code == 200


EVIL_TARGETS = ["/\\evil.example", "//evil.example", "https://evil.example/", "\\\\evil.example",
                "javascript:alert(1)", "/\\/evil.example", " //evil.example", "http://testserver.evil.example/"]


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_signup_login_and_logout_never_follow_a_foreign_next(target, alice, client):
    signup = client.post(f"{reverse('accounts:signup')}?next={target}",
                         {"email": "zoe@example.com", "password": "zoe-long-secret-5"})
    assert signup.status_code == 302 and signup["Location"] == reverse("core:dashboard")
    client.post(reverse("accounts:logout"))
    login = client.post(reverse("accounts:login"), {"username": "alice@example.com", "password": PASSWORD, "next": target})
    assert login.status_code == 302 and login["Location"] == reverse("core:dashboard")
    logout = client.post(reverse("accounts:logout"), {"next": target})
    assert logout.status_code == 302 and logout["Location"] == reverse("accounts:login")


def test_local_next_is_followed(alice, client):
    login = client.post(reverse("accounts:login"), {"username": "alice@example.com", "password": PASSWORD,
                                                    "next": "/campaigns/?status=active"})
    assert login["Location"] == "/campaigns/?status=active"


def test_safe_next_requires_https_on_a_secure_request():
    factory = RequestFactory()
    secure = factory.get("/", {"next": "http://testserver/campaigns/"}, secure=True)
    assert safe_next_url(secure, "/") == "/"
    assert safe_next_url(factory.get("/", {"next": "https://testserver/x"}, secure=True), "/") == "https://testserver/x"
    for target in EVIL_TARGETS:
        assert safe_next_url(factory.get("/", {"next": target}), "/home") == "/home", target
