"""Database constraints hold even when code bypasses the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Ad, AdSet, Campaign, InsightDaily, PlatformConnection

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def make_campaign(org, **kw):
    data = {"organization": org, "name": "Spring", "objective": "traffic", "platforms": ["meta"]}
    data.update(kw)
    return Campaign.objects.create(**data)


def violates(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_campaign_constraints(alice_org, charlie_org):
    make_campaign(alice_org)
    violates(lambda: make_campaign(alice_org, name="SPRING"))  # unique per org, case-insensitive
    make_campaign(charlie_org)  # same name in another organization is fine
    violates(lambda: make_campaign(alice_org, name="a", starts_at=T0, ends_at=T0 - dt.timedelta(hours=1)))
    violates(lambda: make_campaign(alice_org, name="b", starts_at=T0, ends_at=T0))
    violates(lambda: make_campaign(alice_org, name="c", budget_level="campaign", budget_minor=0))
    violates(lambda: make_campaign(alice_org, name="d", budget_level="campaign", budget_minor=-5))
    violates(lambda: make_campaign(alice_org, name="e", budget_level="campaign", budget_minor=None))
    violates(lambda: make_campaign(alice_org, name="f", budget_level="ad_set", budget_minor=100))
    violates(lambda: make_campaign(alice_org, name="g", budget_level="campaign", budget_type="lifetime", budget_minor=100))
    violates(lambda: make_campaign(alice_org, name="h", platforms=[]))
    violates(lambda: make_campaign(alice_org, name="i", platforms=["tiktok"]))
    violates(lambda: make_campaign(alice_org, name="j", currency="usd"))
    violates(lambda: make_campaign(alice_org, name="k", objective="OUTCOME_SALES"))
    violates(lambda: make_campaign(alice_org, name=""))
    violates(lambda: make_campaign(alice_org, name="l", special_ad_categories=["gambling"]))
    ok = make_campaign(alice_org, name="m", budget_level="campaign", budget_type="lifetime", budget_minor=100,
                       starts_at=T0, ends_at=T0 + dt.timedelta(days=7))
    assert ok.pk


def test_archived_names_can_be_reused(alice_org):
    make_campaign(alice_org, status="archived")
    assert make_campaign(alice_org).pk


def test_ad_set_and_ad_constraints(alice_org):
    campaign = make_campaign(alice_org)

    def ad_set(**kw):
        data = {"campaign": campaign, "name": "US", "optimization_goal": "LINK_CLICKS", "targeting": {"countries": ["US"]}}
        data.update(kw)
        return AdSet.objects.create(**data)

    s = ad_set()
    violates(lambda: ad_set(name="us"))
    violates(lambda: ad_set(name="b", budget_minor=0))
    violates(lambda: ad_set(name="c", bid_strategy="COST_CAP"))
    violates(lambda: ad_set(name="d", bid_amount_minor=-1))
    violates(lambda: ad_set(name="e", placements=["myspace"]))
    violates(lambda: ad_set(name="f", starts_at=T0, ends_at=T0 - dt.timedelta(days=1)))
    assert ad_set(name="g", bid_strategy="COST_CAP", bid_amount_minor=300).pk
    Ad.objects.create(ad_set=s, name="A")
    violates(lambda: Ad.objects.create(ad_set=s, name="a"))
    violates(lambda: Ad.objects.create(ad_set=s, name="B", call_to_action="CLICK_HERE"))
    violates(lambda: Ad.objects.create(ad_set=s, name="C", destination_url="javascript:alert(1)"))


def test_insight_constraints(alice_org):
    campaign = make_campaign(alice_org)
    s = AdSet.objects.create(campaign=campaign, name="US", optimization_goal="LINK_CLICKS", targeting={"countries": ["US"]})
    ad = Ad.objects.create(ad_set=s, name="A")
    day = dt.date(2026, 3, 1)

    def row(**kw):
        data = {"organization": alice_org, "campaign": campaign, "ad_set": s, "ad": ad, "platform": "meta", "date": day}
        data.update(kw)
        return InsightDaily.objects.create(**data)

    row(impressions=10, reach=5)
    violates(lambda: row())  # unique (ad, platform, date)
    assert row(platform="google").pk
    violates(lambda: row(date=day + dt.timedelta(days=1), spend_minor=-1))
    violates(lambda: row(date=day + dt.timedelta(days=2), impressions=5, reach=6))
    violates(lambda: row(date=day + dt.timedelta(days=3), video_p25=5, video_p50=6))
    violates(lambda: row(date=day + dt.timedelta(days=4), platform="tiktok"))


def test_platform_connection_token_is_encrypted(alice_org, charlie_org):
    conn = PlatformConnection(organization=alice_org, platform="meta", ad_account_id="act_123")
    conn.token = "EAAB-secret-token"
    conn.save()
    stored = PlatformConnection.objects.values_list("token_encrypted", flat=True).get(pk=conn.pk)
    assert "secret" not in stored and stored
    assert PlatformConnection.objects.get(pk=conn.pk).token == "EAAB-secret-token"
    violates(lambda: PlatformConnection.objects.create(organization=alice_org, platform="meta", ad_account_id="act_9"))
    violates(lambda: PlatformConnection.objects.create(organization=charlie_org, platform="meta", ad_account_id="123"))
    violates(lambda: PlatformConnection.objects.create(organization=charlie_org, platform="google", ad_account_id="123-456-7890"))


def test_token_with_rotated_keys(alice_org, settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KOLONY_FIELD_ENCRYPTION_KEY = old
    conn = PlatformConnection(organization=alice_org, platform="google", ad_account_id="1234567890")
    conn.token = "ya29.token"
    conn.save()
    settings.KOLONY_FIELD_ENCRYPTION_KEY = f"{new},{old}"
    assert PlatformConnection.objects.get(pk=conn.pk).token == "ya29.token"
    settings.KOLONY_FIELD_ENCRYPTION_KEY = new
    assert PlatformConnection.objects.get(pk=conn.pk).token == ""


def test_tracked_url_merges_utm_parameters():
    ad = Ad(destination_url="https://aurora.example/shop?ref=x&utm_source=old", utm_source="meta", utm_campaign="spring")
    assert ad.tracked_url() == "https://aurora.example/shop?ref=x&utm_source=meta&utm_campaign=spring"
    assert Ad(destination_url="").tracked_url() == ""
