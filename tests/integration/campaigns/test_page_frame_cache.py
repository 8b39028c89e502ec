"""The whole-page cache of the campaign list (``list:page`` in kolony.pagecache): the frame
(navigation, organization switcher, user menu) is cached per viewer with the content, served only
after the membership check, never shared between users, and a change to what the frame shows
(organization name, role, memberships, the user's name) shows on the very next request."""

import re

import pytest
from django.test import Client

from campaigns import services
from kolony.accounts.models import Membership
from kolony.accounts.services import membership_change_role
from tests.conftest import login_client

pytestmark = pytest.mark.django_db
HEADER = "X-Kolony-Cache"


def text(response) -> str:
    return response.content.decode()


def test_second_visit_is_one_cache_read_after_auth(alice_client, tree, django_assert_max_num_queries):
    assert alice_client.get("/campaigns/")[HEADER] == "miss"
    with django_assert_max_num_queries(0):  # session, user + memberships (identity cache) and page: all from Redis
        page = alice_client.get("/campaigns/")
    assert page[HEADER] == "hit"
    assert "Cold brew" in text(page) and "Alice Co" in text(page) and "<html" in text(page)


def test_viewers_share_the_content_but_never_the_frame(alice, bob, tree):
    alice_page = text(login_client(alice).get("/campaigns/"))
    bob_response = login_client(bob).get("/campaigns/")
    bob_page = text(bob_response)
    assert bob_response[HEADER] == "hit"  # the content, rendered for alice, shared by the editors
    assert '<summary>Alice</summary>' in alice_page and '<summary>Bob</summary>' in bob_page
    assert '<summary>Alice</summary>' not in bob_page
    assert "Editor" in re.search(r'data-testid="org-switcher">(.*?)</summary>', bob_page, re.S).group(1)


def test_each_session_gets_its_own_csrf_token_from_a_cached_page(alice, tree):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(alice)
    second.force_login(alice)
    first.get("/campaigns/")
    response = second.get("/campaigns/")
    assert response[HEADER] == "hit"
    page = text(response)
    assert "kolony-csrf-token" not in page
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert len(tokens) == 1 and header_token in tokens
    posted = second.post("/campaigns/bulk/", {"ids": [tree[0].pk], "action": "activate", "csrfmiddlewaretoken": tokens.pop()})
    assert posted.status_code == 302


def test_organization_rename_shows_in_the_frame_at_once(alice_client, alice_org, tree):
    alice_client.get("/campaigns/")
    assert alice_client.get("/campaigns/")[HEADER] == "hit"
    alice_org.name = "Aurora Roasters"  # a per-object save, as the admin does; no campaign data changed
    alice_org.save(update_fields=["name"])
    page = text(alice_client.get("/campaigns/"))
    assert "Aurora Roasters" in page and "Alice Co" not in page


def test_user_rename_shows_in_the_frame_at_once(alice_client, alice, tree):
    alice_client.get("/campaigns/")
    alice.full_name = "Alicia Owner"
    alice.save(update_fields=["full_name"])
    assert "<summary>Alicia</summary>" in text(alice_client.get("/campaigns/"))


def test_role_change_and_removal_are_checked_before_the_cache(alice, bob, alice_org, tree):
    client = login_client(bob)
    assert 'data-testid="bulk-apply"' in text(client.get("/campaigns/"))
    assert client.get("/campaigns/")[HEADER] == "hit"
    membership_change_role(actor_membership=Membership.objects.get(user=alice, organization=alice_org),
                           membership=Membership.objects.get(user=bob, organization=alice_org), role="viewer")
    page = text(client.get("/campaigns/"))
    assert "bulk-apply" not in page and "Viewer" in page
    Membership.objects.filter(user=bob, organization=alice_org).delete()
    response = client.get("/campaigns/")
    assert response.status_code == 302 and HEADER not in response


def test_new_membership_and_switch_show_at_once(alice_client, alice, charlie, charlie_org, tree):
    alice_client.get("/campaigns/")
    Membership.objects.create(user=alice, organization=charlie_org, role="viewer")
    page = text(alice_client.get("/campaigns/"))
    assert "Charlie Ltd" in page and "Cold brew" in page
    alice_client.post(f"/accounts/organizations/{charlie_org.pk}/switch/")
    other = text(alice_client.get("/campaigns/"))
    assert "Cold brew" not in other and "bulk-apply" not in other


def test_an_edit_retires_the_whole_page(alice_client, alice, tree):
    alice_client.get("/campaigns/")
    assert alice_client.get("/campaigns/")[HEADER] == "hit"
    services.campaign_update(campaign=tree[0], actor=alice, name="Iced latte")
    after = alice_client.get("/campaigns/")
    assert after[HEADER] == "miss" and "Iced latte" in text(after) and "Cold brew" not in text(after)
    assert alice_client.get("/campaigns/")[HEADER] == "hit"


def test_active_section_follows_the_path(alice_client, tree):
    page = text(alice_client.get("/campaigns/"))
    assert re.search(r'href="/campaigns/" class="active"', page)
