"""The signed-in user and their memberships come from the shared identity cache
(kolony.accounts.identity): no query per request, and every change to who may see what — a removed
member, a deactivated user, a new password, a revoked API token — counts on the very next request."""

import pytest
from django.core.cache import caches

from kolony.accounts import identity
from kolony.accounts.models import ApiToken, Membership
from kolony.accounts.services import api_token_hash, membership_remove
from kolony.datacache import current_version
from tests.conftest import api_client_for, login_client

pytestmark = pytest.mark.django_db


WHO_IS_ASKING = ('FROM "accounts_user"', 'FROM "accounts_membership"', 'FROM "accounts_apitoken"',
                 'UPDATE "accounts_apitoken"', 'FROM "django_session"')


def _who_is_asking_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if any(table in q["sql"] for table in WHO_IS_ASKING)]


@pytest.mark.parametrize("path", ["/accounts/audit/", "/campaigns/new/", "/studio/"])
def test_signed_in_page_reads_no_session_user_or_membership_rows(alice_client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice_client.get(path)  # first request of the session: user and memberships cached
    with CaptureQueriesContext(connection) as captured:
        page = alice_client.get(path)
    assert page.status_code == 200 and "Alice Co" in page.content.decode()
    assert _who_is_asking_queries(captured) == []


def test_api_request_reads_no_token_user_or_membership_rows(alice_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice_api.get("/api/v1/ad-sets/")
    with CaptureQueriesContext(connection) as captured:
        assert alice_api.get("/api/v1/ad-sets/").status_code == 200
    assert captured.captured_queries and _who_is_asking_queries(captured) == []


def test_removed_member_is_shut_out_on_the_next_request(alice, bob, alice_org, bob_client):
    assert bob_client.get("/dashboard/").status_code == 200
    membership_remove(actor_membership=Membership.objects.get(user=alice, organization=alice_org),
                      membership=Membership.objects.get(user=bob, organization=alice_org))
    response = bob_client.get("/dashboard/")
    assert response.status_code == 302 and "no-organization" in response["Location"]
    assert bob_client.get("/campaigns/").status_code == 302


def test_deactivated_user_is_signed_out_on_the_next_request(alice, alice_client):
    assert alice_client.get("/dashboard/").status_code == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = alice_client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_new_password_signs_out_other_sessions(alice, alice_client):
    assert alice_client.get("/dashboard/").status_code == 200
    alice.set_password("a-brand-new-secret-99")
    alice.save(update_fields=["password"])
    assert alice_client.get("/dashboard/").status_code == 302


def test_revoked_token_is_refused_at_once(alice, alice_api):
    assert alice_api.get("/api/v1/campaigns/").status_code == 200
    for token in ApiToken.objects.filter(user=alice):
        token.delete()
    response = alice_api.get("/api/v1/campaigns/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."


def test_token_of_a_deactivated_user_is_refused(alice, alice_api):
    assert alice_api.get("/api/v1/campaigns/").status_code == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = alice_api.get("/api/v1/campaigns/")
    assert response.status_code == 401 and response.json()["detail"] == "User inactive or deleted."


def test_new_membership_reaches_the_api_at_once(alice, charlie_org, alice_api):
    header = {"HTTP_X_KOLONY_ORGANIZATION": str(charlie_org.pk)}
    assert alice_api.get("/api/v1/campaigns/", **header).status_code == 404
    Membership.objects.create(user=alice, organization=charlie_org, role="viewer")
    assert alice_api.get("/api/v1/campaigns/", **header).status_code == 200


def test_entries_of_another_database_incarnation_are_never_read(alice, charlie, alice_client):
    """A recreated database restarts its ids: an entry cached for user id N by the old one (here:
    charlie's identity filed under alice's id with another database oid) must not be served."""
    epoch = identity._epoch()
    name, oid = epoch.rsplit(".", 1)
    assert oid.isdigit()  # the PostgreSQL database oid is part of every key
    caches["identity"].set(f"user:{name}.{int(oid) + 1}:{alice.pk}", identity._load(charlie.pk), 60)
    page = alice_client.get("/dashboard/").content.decode()
    assert "Alice Co" in page and "Charlie Ltd" not in page


def test_without_the_identity_cache_requests_read_the_database(settings, alice, alice_org):
    settings.CACHES = {k: v for k, v in settings.CACHES.items() if k != "identity"}
    client = login_client(alice)
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "Alice Co" in page.content.decode()
    assert api_client_for(alice).get("/api/v1/campaigns/").status_code == 200


def test_identity_cached_by_a_reader_racing_a_removal_is_never_served(alice, bob, alice_org, bob_client):
    """A reader that loaded bob's rows (still a member) before the removal and stores them after
    it must not put him back in: its entry carries the identity version of before the removal."""
    assert bob_client.get("/dashboard/").status_code == 200
    found = caches["identity"].get_many([identity._version_key(bob.pk)])
    version_seen_by_reader = current_version(found, identity._version_key(bob.pk), caches["identity"])
    stale_rows = identity._load(bob.pk)
    membership_remove(actor_membership=Membership.objects.get(user=alice, organization=alice_org),
                      membership=Membership.objects.get(user=bob, organization=alice_org))
    caches["identity"].set(identity._user_key(bob.pk), (version_seen_by_reader, *stale_rows), 60)  # the slow reader
    assert bob_client.get("/dashboard/").status_code == 302


def test_token_entry_stored_by_a_reader_racing_a_revocation_is_never_served(alice, alice_api):
    assert alice_api.get("/api/v1/campaigns/").status_code == 200
    key = alice_api._credentials["HTTP_AUTHORIZATION"].split()[1]
    token = ApiToken.objects.get(key_hash=api_token_hash(key))
    found = caches["identity"].get_many([identity._version_key(alice.pk)])
    version_seen_by_reader = current_version(found, identity._version_key(alice.pk), caches["identity"])
    token.delete()
    caches["identity"].set(identity._token_key(api_token_hash(key)), (version_seen_by_reader, alice.pk, token.pk), 60)  # the slow reader
    assert alice_api.get("/api/v1/campaigns/").status_code == 401
