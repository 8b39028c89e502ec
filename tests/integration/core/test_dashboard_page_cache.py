"""The dashboard is cached whole per viewer (kolony.core.dashboard): a second visit costs no SQL,
and what it shows — campaign results, recent activity, the frame — is never stale by a request
and never shared between viewers."""

import re

import pytest

from campaigns import services as campaign_services
from kolony.accounts.models import Membership
from kolony.accounts.services import invitation_create
from tests.conftest import login_client

pytestmark = pytest.mark.django_db
HEADER = "X-Kolony-Cache"


def text(response) -> str:
    return response.content.decode()


def test_second_visit_is_served_whole_from_the_cache_without_sql(alice_client, tree, django_assert_num_queries):
    first = alice_client.get("/dashboard/")
    assert first[HEADER] == "miss"
    with django_assert_num_queries(0):
        second = alice_client.get("/dashboard/")
    assert second[HEADER] == "hit" and text(second) == text(first).replace(_csrf(first), _csrf(second))
    assert "Alice Co" in text(second) and "Recent activity" in text(second)


def test_new_audit_event_shows_in_recent_activity_at_once(alice, alice_org, alice_client, tree):
    alice_client.get("/dashboard/")
    assert alice_client.get("/dashboard/")[HEADER] == "hit"
    invitation_create(actor_membership=Membership.objects.get(user=alice, organization=alice_org),
                      email="newcomer@example.com", role="viewer")
    page = alice_client.get("/dashboard/")
    assert page[HEADER] == "miss" and "invited newcomer@example.com as Viewer" in text(page)


def test_campaign_edit_shows_at_once(alice, alice_client, tree, yesterday):
    alice_client.get("/dashboard/")
    campaign_services.campaign_update(campaign=tree[0], actor=alice, name="Nitro launch")
    page = text(alice_client.get("/dashboard/"))
    assert "Nitro launch" in page


def test_viewers_never_get_each_others_page(alice_client, bob_client, tree):
    alice_page = text(alice_client.get("/dashboard/"))
    bob_client.get("/dashboard/")
    bob_page = bob_client.get("/dashboard/")
    assert bob_page[HEADER] == "hit"
    assert _user_menu(alice_page) == "Alice" and _user_menu(text(bob_page)) not in ("", "Alice")
    assert _csrf(alice_page) != _csrf(bob_page)


def test_removed_member_gets_no_cached_dashboard(alice, bob, alice_org, tree):
    client = login_client(bob)
    client.get("/dashboard/")
    assert client.get("/dashboard/")[HEADER] == "hit"
    Membership.objects.filter(user=bob, organization=alice_org).delete()
    response = client.get("/dashboard/")
    assert response.status_code == 302 and HEADER not in response


def test_cached_page_carries_the_requesters_own_csrf_token(alice, tree):
    first, second = login_client(alice), login_client(alice)
    first_page = first.get("/dashboard/")
    page = second.get("/dashboard/")
    assert page[HEADER] == "hit" and "kolony-csrf-token" not in text(page)
    assert _csrf(page) != _csrf(first_page) and "csrftoken" in page.cookies


def _csrf(page) -> str:
    body = page if isinstance(page, str) else text(page)
    match = re.search(r'"X-CSRFToken": "([^"]+)"', body)
    assert match, "the page carries its CSRF token"
    return match.group(1)


def _user_menu(page: str) -> str:
    match = re.search(r'class="user-menu">\s*<summary>([^<]*)</summary>', page)
    assert match, "the page shows the user menu"
    return match.group(1)
