"""The Connections page: states, switching the account, the picker refusing foreign accounts,
cancelling, tenancy, audit sentences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import PlatformConnection
from campaigns.platforms import connections
from campaigns.platforms.base import AccountChoice, TokenSet
from kolony.accounts.audit_display import audit_sentence
from kolony.accounts.models import AuditEvent
from tests.integration.platforms.test_oauth_flow import callback, consent, start

pytestmark = pytest.mark.django_db


def meta_connection(standin, org, user):
    grant = standin.grant_tokens("meta")
    tokens = TokenSet(access_token=grant["access_token"], expires_at=timezone.now() + dt.timedelta(days=59))
    return connections.connection_create_from_oauth(
        organization=org, actor=user, platform="meta", tokens=tokens,
        accounts=[AccountChoice(id="act_1234567890", name="Aurora Coffee – Ads")], ad_account_id="act_1234567890")


def test_page_shows_each_platform_state(oauth_settings, alice_client, alice_org, alice):
    page = alice_client.get(reverse("campaigns:connections")).content.decode()
    assert page.count("Not connected") == 2 and 'data-testid="connect-meta"' in page and 'data-testid="connect-google"' in page
    conn = meta_connection(oauth_settings, alice_org, alice)
    page = alice_client.get(reverse("campaigns:connections")).content.decode()
    meta = page.split('data-testid="connection-meta"')[1].split("</section>")[0]
    assert "Connected</span>" in meta and "Aurora Coffee – Ads" in meta and "act_1234567890" in meta
    assert "Change account" in meta and "Disconnect" in meta and conn.token not in page
    assert "Not connected" in page.split('data-testid="connection-google"')[1]


def test_change_account_lists_live_and_switches(oauth_settings, alice_client, alice_org, alice):
    conn = meta_connection(oauth_settings, alice_org, alice)
    url = reverse("campaigns:connection_account", kwargs={"pk": conn.pk})
    page = alice_client.get(url).content.decode()
    assert "Aurora Coffee – Tests" in page and "act_2345678901" in page
    resp = alice_client.post(url, {"ad_account_id": "2345678901"}, follow=True)  # bare digits are accepted
    assert "Meta now uses Aurora Coffee – Tests (act_2345678901)." in resp.content.decode()
    conn.refresh_from_db()
    assert conn.ad_account_id == "act_2345678901"
    event = AuditEvent.objects.get(action="platform.account_changed")
    assert audit_sentence(event).endswith("switched the Meta connection to the ad account ‘Meta act_2345678901’")


def test_change_account_refuses_an_account_the_token_cannot_use(oauth_settings, alice_client, alice_org, alice):
    conn = meta_connection(oauth_settings, alice_org, alice)
    url = reverse("campaigns:connection_account", kwargs={"pk": conn.pk})
    resp = alice_client.post(url, {"ad_account_id": "act_999"})
    assert "Pick one of the accounts the platform listed" in resp.content.decode()
    conn.refresh_from_db()
    assert conn.ad_account_id == "act_1234567890"


def test_picker_refuses_a_made_up_account_and_can_be_cancelled(oauth_settings, alice_client):
    callback(alice_client, consent(start(alice_client, "meta")))
    resp = alice_client.post(reverse("campaigns:connection_pick"), {"ad_account_id": "act_5555555555"}, follow=True)
    assert "Pick one of the accounts the platform listed" in resp.content.decode()
    assert not PlatformConnection.objects.exists()
    resp = alice_client.post(reverse("campaigns:connection_pick"), {"cancel": "1"}, follow=True)
    assert "Nothing was connected." in resp.content.decode() and "Pick the Meta" not in resp.content.decode()
    resp = alice_client.post(reverse("campaigns:connection_pick"), {"ad_account_id": "act_1234567890"}, follow=True)
    assert "expired or was already used" in resp.content.decode()
    assert not PlatformConnection.objects.exists()


def test_pending_sign_in_is_not_shown_to_another_org(oauth_settings, alice_client, alice, charlie_org):
    from kolony.accounts.models import Membership

    Membership.objects.create(user=alice, organization=charlie_org, role="owner")
    callback(alice_client, consent(start(alice_client, "meta")))
    alice_client.post(reverse("accounts:organization_switch", kwargs={"org_id": charlie_org.pk}))
    page = alice_client.get(reverse("campaigns:connections")).content.decode()
    assert "Pick the Meta" not in page
    alice_client.post(reverse("campaigns:connection_pick"), {"ad_account_id": "act_1234567890"})
    assert not PlatformConnection.objects.exists()


def test_other_org_gets_404(oauth_settings, alice_org, alice, charlie_client):
    conn = meta_connection(oauth_settings, alice_org, alice)
    assert charlie_client.get(reverse("campaigns:connection_account", kwargs={"pk": conn.pk})).status_code == 404
    assert charlie_client.post(reverse("campaigns:connection_disconnect", kwargs={"pk": conn.pk})).status_code == 404
    assert PlatformConnection.objects.filter(pk=conn.pk).exists()


def test_audit_sentences(oauth_settings, alice_org, alice, alice_client):
    conn = meta_connection(oauth_settings, alice_org, alice)
    connections.connection_mark_needs_reconnect(connection=conn, message="expired")
    alice_client.post(reverse("campaigns:connection_disconnect", kwargs={"pk": conn.pk}))
    sentences = [audit_sentence(e) for e in AuditEvent.objects.filter(action__startswith="platform.").order_by("id")]
    assert sentences[0].endswith("connected the Meta ad account ‘Meta act_1234567890’")
    assert "needs to be reconnected" in sentences[1]
    assert sentences[2].endswith("disconnected the Meta ad account ‘Meta act_1234567890’")
