"""Shared fixtures. Every tenant-facing test gets the healthchecks-style trio:

- ``alice``: owner of "Alice Co";
- ``bob``: editor in alice's organization;
- ``charlie``: owner of "Charlie Ltd", who must never see alice's data;
- ``dana``: reviewer in alice's organization (approves renders).
"""

import os

import pytest
from django.test import Client
from rest_framework.test import APIClient

from kolony.accounts.models import Membership, Organization, Role, User

# Fixtures shared by several test folders (a campaign tree, MP4 uploads, ...).
pytest_plugins = ["tests.fixtures.campaigns", "tests.fixtures.videogen", "tests.fixtures.stripe_standin",
                  "tests.fixtures.platform_standins"]

PASSWORD = "correct-horse-battery-9"


def make_member(org: Organization, email: str, role: str, full_name: str = "") -> User:
    """A user with ``role`` in ``org`` (password :data:`PASSWORD`)."""
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def alice_org(db):
    return Organization.objects.create(name="Alice Co")


@pytest.fixture
def charlie_org(db):
    return Organization.objects.create(name="Charlie Ltd")


@pytest.fixture
def alice(alice_org):
    return make_member(alice_org, "alice@example.com", Role.OWNER, "Alice Owner")


@pytest.fixture
def bob(alice_org, alice):
    return make_member(alice_org, "bob@example.com", Role.EDITOR, "Bob Editor")


@pytest.fixture
def dana(alice_org, alice):
    return make_member(alice_org, "dana@example.com", Role.REVIEWER, "Dana Reviewer")


@pytest.fixture
def charlie(charlie_org):
    return make_member(charlie_org, "charlie@example.com", Role.OWNER, "Charlie Other")


@pytest.fixture
def member_of(alice_org, alice):
    """``member_of(role)`` → a new user with that role in alice's organization."""
    counter = {"n": 0}

    def make(role: str) -> User:
        counter["n"] += 1
        return make_member(alice_org, f"{role}{counter['n']}@example.com", role)

    return make


def login_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_token_key(user: User, name: str = "tests") -> str:
    """A new named API token of ``user``; returns its key (shown once, stored hashed)."""
    from kolony.accounts.services import api_token_create

    return api_token_create(user=user, name=name)[1]


def api_client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(user)}")
    return client


@pytest.fixture
def alice_client(alice):
    return login_client(alice)


@pytest.fixture
def bob_client(bob):
    return login_client(bob)


@pytest.fixture
def dana_client(dana):
    return login_client(dana)


@pytest.fixture
def charlie_client(charlie):
    return login_client(charlie)


@pytest.fixture
def alice_api(alice):
    return api_client_for(alice)


@pytest.fixture
def charlie_api(charlie):
    return api_client_for(charlie)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads and renders of each test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def redis_conn():
    """A real Redis connection to the test database (REDIS_URL), flushed before and after."""
    import django_rq

    conn = django_rq.get_connection("default")
    conn.flushdb()
    yield conn
    conn.flushdb()


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture
def client_for(db):
    """``client_for(user)`` → a Django test Client signed in as ``user``."""
    return login_client


@pytest.fixture
def api_for(db):
    """``api_for(user)`` → a DRF APIClient authenticated with ``user``'s token."""
    return api_client_for


@pytest.fixture
def user_as(alice, member_of):
    """``user_as(role)`` → alice for "owner", else a new member of alice's organization with ``role``."""
    return lambda role: alice if role == Role.OWNER else member_of(role)


@pytest.fixture
def client_as(user_as):
    """``client_as(role)`` → a signed-in Client for a user with ``role`` in alice's organization."""
    return lambda role: login_client(user_as(role))


@pytest.fixture
def api_as(user_as):
    """``api_as(role)`` → a token-authenticated APIClient for a user with ``role`` in alice's organization."""
    return lambda role: api_client_for(user_as(role))
