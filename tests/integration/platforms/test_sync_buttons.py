"""The "Sync now" buttons: on the Connections page per active connection (owners and admins, the
page's roles) and on the campaign page (roles with ``edit``); each posts to its sync view and the
result message shows on the page it came back to."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns import services as campaign_services
from campaigns.models import PlatformConnection
from kolony.accounts.models import Role
from kolony.tenancy import role_can

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    """The sync job itself is tested in test_insights_sync.py; here only what the user sees."""
    calls = []
    monkeypatch.setattr("campaigns.platforms.insights.insights_sync_enqueue",
                        lambda **kw: calls.append(kw) or True)
    return calls


def _connect(org, platform="meta", status="active"):
    conn = PlatformConnection(organization=org, platform=platform, status=status,
                              ad_account_id="act_1234567890" if platform == "meta" else "1234567890",
                              account_name="Aurora Coffee – Ads")
    conn.token = "tok-standin"  # noqa: S105 - a test token
    conn.save()
    return conn


def _campaign(org, user, platforms=("meta",)):
    return campaign_services.campaign_create(organization=org, actor=user, name="Aurora launch", objective="traffic",
                                             platforms=list(platforms))


@pytest.mark.parametrize("role", [r.value for r in Role if r != Role.OWNER])
def test_campaign_page_button_for_roles_that_may_sync(role, alice, alice_org, member_of, client_for, _no_enqueue):
    _connect(alice_org)
    campaign = _campaign(alice_org, alice)
    client = client_for(member_of(role))
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    allowed = role_can(role, "edit")
    assert ('data-testid="campaign-sync"' in page) is allowed
    response = client.post(reverse("campaigns:campaign_sync_insights", args=[campaign.pk]), follow=True)
    if allowed:
        assert response.redirect_chain[-1][0] == reverse("campaigns:detail", args=[campaign.pk])
        assert "Syncing results from Meta: the numbers update in a minute or two." in response.content.decode()
        assert len(_no_enqueue) == 1
    else:
        assert response.status_code == 403
        assert _no_enqueue == []


def test_campaign_page_sync_without_connection_says_where_to_connect(alice, alice_org, client_for, _no_enqueue):
    campaign = _campaign(alice_org, alice, platforms=("meta", "google"))
    page = client_for(alice).post(reverse("campaigns:campaign_sync_insights", args=[campaign.pk]), follow=True)
    assert "Connect this campaign&#x27;s ad platforms on the Connections page to pull its results." in page.content.decode()
    assert _no_enqueue == []


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_connections_page_button_per_active_connection(role, alice, alice_org, member_of, client_for, _no_enqueue):
    meta = _connect(alice_org, "meta")
    google = _connect(alice_org, "google", status="needs_reconnect")
    client = client_for(alice if role == "owner" else member_of(role))
    url = reverse("campaigns:connections")
    page = client.get(url).content.decode()
    assert 'data-testid="sync-meta"' in page
    assert reverse("campaigns:connection_sync_insights", args=[meta.pk]) in page
    assert 'data-testid="sync-google"' not in page  # reconnect first
    assert reverse("campaigns:connection_sync_insights", args=[google.pk]) not in page

    response = client.post(reverse("campaigns:connection_sync_insights", args=[meta.pk]), {"next": url}, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "Syncing results from Meta: the numbers update in a minute or two." in response.content.decode()
    response = client.post(reverse("campaigns:connection_sync_insights", args=[google.pk]), {"next": url}, follow=True)
    assert "Reconnect Google on the Connections page before syncing." in response.content.decode()
    assert len(_no_enqueue) == 1
