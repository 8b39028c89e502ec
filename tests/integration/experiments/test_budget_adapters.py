"""``set_budget`` of both adapters through the real SDKs against the stand-ins, which validate like
the APIs: Meta's ad-set or campaign budget (Advantage campaign budget), the daily minimum; Google's
campaign budget ``amount_micros`` with its update mask and the Demand Gen minimum."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import PlatformConnection
from campaigns.platforms import google, meta
from campaigns.platforms.base import PlatformError
from campaigns.platforms.publishing import ad_set_budget_change
from tests.integration.platforms.meta_helpers import meta_connection

pytestmark = pytest.mark.django_db


def meta_tree(org, user, standin, *, campaign_budget=None):
    campaign = campaign_services.campaign_create(organization=org, actor=user, name="Budget test", objective="sales",
                                                 platforms=["meta"], budget_level="campaign" if campaign_budget else "ad_set",
                                                 budget_minor=campaign_budget)
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=user, name="Set",
                                             budget_minor=None if campaign_budget else 5000)
    cid, sid = standin.new_id(), standin.new_id()
    standin.state.objects[cid] = {"id": cid, "_type": "campaign", "_account": "act_1234567890", "status": "ACTIVE",
                                  "daily_budget": str(campaign_budget) if campaign_budget else None}
    standin.state.objects[sid] = {"id": sid, "_type": "adset", "_account": "act_1234567890", "campaign_id": cid,
                                  "status": "ACTIVE", "daily_budget": None if campaign_budget else "5000"}
    campaign.external, ad_set.external = {"meta": {"id": cid}}, {"meta": {"id": sid}}
    campaign.save()
    ad_set.save()
    ad_set.refresh_from_db()
    return campaign, ad_set, cid, sid


def test_meta_ad_set_budget(alice_org, alice, meta_settings, meta_graph):
    conn = meta_connection(alice_org)
    _, ad_set, _, sid = meta_tree(alice_org, alice, meta_graph)
    assert meta.ADAPTER.set_budget(connection=conn, ad_set=ad_set, budget_minor=7500) == 7500
    assert meta_graph.state.objects[sid]["daily_budget"] == "7500"
    with pytest.raises(PlatformError) as exc:
        meta.ADAPTER.set_budget(connection=conn, ad_set=ad_set, budget_minor=50)
    assert exc.value.field == "daily_budget" and "minimum budget" in exc.value.message


def test_meta_campaign_budget_is_changed_on_the_campaign(alice_org, alice, meta_settings, meta_graph):
    meta_connection(alice_org)
    campaign, ad_set, cid, sid = meta_tree(alice_org, alice, meta_graph, campaign_budget=9000)
    assert ad_set_budget_change(ad_set=ad_set, platform="meta", budget_minor=12000, user=alice) == 12000
    assert meta_graph.state.objects[cid]["daily_budget"] == "12000" and meta_graph.state.objects[sid]["daily_budget"] is None
    campaign.refresh_from_db()
    assert campaign.budget_minor == 12000


def test_meta_stand_in_refuses_an_ad_set_budget_under_a_campaign_budget(alice_org, alice, meta_settings, meta_graph):
    conn = meta_connection(alice_org)
    campaign, ad_set, _, _ = meta_tree(alice_org, alice, meta_graph, campaign_budget=9000)
    ad_set.campaign.budget_level = "ad_set"  # pretend Kolony thought the ad set held it
    with pytest.raises(PlatformError) as exc:
        meta.ADAPTER.set_budget(connection=conn, ad_set=ad_set, budget_minor=6000)
    assert "Advantage campaign budget" in exc.value.message


def test_budget_change_refuses_bad_amounts_and_unpublished_ad_sets(alice_org, alice, meta_settings, meta_graph):
    meta_connection(alice_org)
    _, ad_set, _, _ = meta_tree(alice_org, alice, meta_graph)
    for bad in (0, -5, 10.5, True):
        with pytest.raises(Exception) as exc:
            ad_set_budget_change(ad_set=ad_set, platform="meta", budget_minor=bad, user=alice)
        assert "budget_minor" in str(exc.value)
    ad_set.external = {}
    ad_set.campaign.external = {}
    with pytest.raises(Exception, match="not published on Meta"):
        ad_set_budget_change(ad_set=ad_set, platform="meta", budget_minor=6000, user=alice)


@pytest.fixture
def google_conn(alice_org):
    conn = PlatformConnection(organization=alice_org, platform="google", ad_account_id="1234567890", account_name="Aurora",
                              token_expires_at=timezone.now() + dt.timedelta(hours=1))
    conn.token = "ya29.standin-access"
    conn.refresh_token = "1//standin-refresh"
    conn.save()
    return conn


def google_tree(org, user, standin):
    from google.ads.googleads.v26.enums.types.advertising_channel_type import AdvertisingChannelTypeEnum
    from google.ads.googleads.v26.resources.types import campaign as campaign_pb
    from google.ads.googleads.v26.resources.types import campaign_budget as budget_pb

    cid = "1234567890"
    budget_rn, campaign_rn = f"customers/{cid}/campaignBudgets/901", f"customers/{cid}/campaigns/902"
    standin.state.budgets[budget_rn] = budget_pb.CampaignBudget(resource_name=budget_rn, id=901, name="b", amount_micros=50_000_000)
    standin.state.campaigns[campaign_rn] = campaign_pb.Campaign(
        resource_name=campaign_rn, id=902, name="c", campaign_budget=budget_rn,
        advertising_channel_type=AdvertisingChannelTypeEnum.AdvertisingChannelType.DEMAND_GEN)
    campaign = campaign_services.campaign_create(organization=org, actor=user, name="Google budget", objective="sales",
                                                 platforms=["google"])
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=user, name="Group", budget_minor=5000)
    campaign.external = {"google": {"id": campaign_rn}}
    campaign.save()
    ad_set.refresh_from_db()
    return ad_set, budget_rn


def test_google_campaign_budget_amount(alice_org, alice, google_ads_settings, google_conn):
    ad_set, budget_rn = google_tree(alice_org, alice, google_ads_settings)
    assert google.ADAPTER.set_budget(connection=google_conn, ad_set=ad_set, budget_minor=7000) == 7000
    assert google_ads_settings.state.budgets[budget_rn].amount_micros == 70_000_000
    with pytest.raises(PlatformError) as exc:
        google.ADAPTER.set_budget(connection=google_conn, ad_set=ad_set, budget_minor=300)  # $3 < Demand Gen's $5
    assert exc.value.code == "CampaignBudgetError.BUDGET_BELOW_PER_DAY_MINIMUM"
    assert exc.value.field.endswith("amount_micros")
    assert google_ads_settings.state.budgets[budget_rn].amount_micros == 70_000_000
