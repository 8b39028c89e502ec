"""Services: defaults, per-field errors with nothing saved, rules, duplication, archiving, audit."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from campaigns import services
from campaigns.models import Ad, AdSet, Campaign, InsightDaily
from kolony.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def errors_of(fn, **kw):
    with pytest.raises(ValidationError) as exc:
        fn(**kw)
    return exc.value.message_dict


def test_smallest_campaign_has_sensible_defaults(alice, alice_org):
    c = services.campaign_create(organization=alice_org, actor=alice, name="  Spring launch ", objective="traffic", platforms=["meta"])
    assert (c.name, c.status, c.currency, c.budget_level, c.budget_type, c.budget_minor, c.special_ad_categories) == (
        "Spring launch", "draft", "USD", "ad_set", "daily", None, [])
    assert c.created_by == alice
    assert AuditEvent.objects.filter(organization=alice_org, action="campaign.created", target_id=str(c.pk)).exists()


def test_bad_campaign_reports_every_field_and_saves_nothing(alice, alice_org):
    services.campaign_create(organization=alice_org, actor=alice, name="Taken", objective="traffic", platforms=["meta"])
    errors = errors_of(
        services.campaign_create, organization=alice_org, actor=alice, name="taken", objective="reach", platforms=["tiktok"],
        currency="ABC", budget_level="campaign", budget_minor=0, starts_at=T0, ends_at=T0 - dt.timedelta(days=1),
    )
    assert set(errors) == {"name", "objective", "platforms", "currency", "budget_minor", "ends_at"}
    assert "already exists" in errors["name"][0]
    assert "not a currency code we know" in errors["currency"][0]
    assert "greater than zero" in errors["budget_minor"][0]
    assert "after the start" in errors["ends_at"][0]
    assert Campaign.objects.count() == 1
    assert AuditEvent.objects.filter(action="campaign.created").count() == 1


def test_budget_level_rules(alice, alice_org):
    errors = errors_of(services.campaign_create, organization=alice_org, actor=alice, name="A", objective="sales",
                       platforms=["meta"], budget_level="campaign")
    assert "Set the campaign budget" in errors["budget_minor"][0]
    errors = errors_of(services.campaign_create, organization=alice_org, actor=alice, name="A", objective="sales",
                       platforms=["meta"], budget_level="campaign", budget_type="lifetime", budget_minor=100_00)
    assert "lifetime budget needs an end" in errors["ends_at"][0]
    cbo = services.campaign_create(organization=alice_org, actor=alice, name="CBO", objective="sales", platforms=["meta"],
                                   budget_level="campaign", budget_minor=50_00)
    errors = errors_of(services.ad_set_create, campaign=cbo, actor=alice, name="S", budget_minor=10_00)
    assert "set on the campaign" in errors["budget_minor"][0]
    assert services.ad_set_create(campaign=cbo, actor=alice, name="S").budget_minor is None


def test_ad_set_rules(alice, tree):
    campaign, _, _ = tree
    errors = errors_of(services.ad_set_create, campaign=campaign, actor=alice, name="us 25-44", budget_minor=-1,
                       optimization_goal="APP_INSTALLS", targeting={"countries": ["XX"], "age_min": 70},
                       bid_strategy="COST_CAP")
    assert set(errors) == {"name", "budget_minor", "optimization_goal", "targeting", "bid_amount_minor"}
    assert "does not suit the sales objective" in errors["optimization_goal"][0]
    meta_only = services.campaign_create(organization=campaign.organization, actor=alice, name="Meta only",
                                         objective="traffic", platforms=["meta"])
    errors = errors_of(services.ad_set_create, campaign=meta_only, actor=alice, name="S", budget_minor=100,
                       placements=["youtube_shorts"])
    assert "Google placement" in errors["placements"][0]
    s = services.ad_set_create(campaign=meta_only, actor=alice, name="S", budget_minor=100)
    assert s.optimization_goal == "LINK_CLICKS" and s.currency == "USD"
    assert s.targeting["countries"] == ["US"]
    assert AdSet.objects.filter(campaign=campaign).count() == 1


def test_ad_set_schedule_inside_campaign(alice, alice_org):
    c = services.campaign_create(organization=alice_org, actor=alice, name="Dated", objective="traffic", platforms=["meta"],
                                 starts_at=T0, ends_at=T0 + dt.timedelta(days=10))
    errors = errors_of(services.ad_set_create, campaign=c, actor=alice, name="S", budget_minor=100,
                       starts_at=T0 - dt.timedelta(days=1), ends_at=T0 + dt.timedelta(days=11))
    assert set(errors) == {"starts_at", "ends_at"}


def test_ad_rules(alice, tree, make_mp4):
    _, ad_set, _ = tree
    errors = errors_of(services.ad_create, ad_set=ad_set, actor=alice, name="pour 15S", call_to_action="CLICK",
                       destination_url="ftp://x", creative=make_mp4("x.mp4", b"GIF89a" + b"\x00" * 20), status="active")
    assert set(errors) == {"name", "call_to_action", "destination_url", "creative"}
    assert "MP4" in errors["creative"][0]
    errors = errors_of(services.ad_create, ad_set=ad_set, actor=alice, name="No video", status="active")
    assert "Upload a video creative" in errors["status"][0]
    ad = services.ad_create(ad_set=ad_set, actor=alice, name="With video", creative=make_mp4(), status="active")
    assert ad.creative.name.endswith(".mp4") and ad.creative.storage.exists(ad.creative.name)


def test_update_rules(alice, tree):
    campaign, ad_set, ad = tree
    services.campaign_update(campaign=campaign, actor=alice, name="Cold brew 2", objective="leads", currency="EUR")
    assert "does not offer" in errors_of(services.campaign_update, campaign=campaign, actor=alice, objective="traffic")["objective"][0]
    ad_set.refresh_from_db()
    assert ad_set.currency == "EUR"
    services.campaign_set_status(campaign=campaign, actor=alice, status="active")
    errors = errors_of(services.campaign_update, campaign=campaign, actor=alice, objective="sales", currency="USD", status="draft")
    assert set(errors) == {"objective", "currency", "status"}
    errors = errors_of(services.campaign_update, campaign=campaign, actor=alice, organization=None)
    assert "cannot be changed" in errors["organization"][0]


def test_archive_cascades_and_freezes(alice, tree):
    campaign, ad_set, ad = tree
    services.campaign_archive(campaign=campaign, actor=alice)
    assert {campaign.__class__.objects.get(pk=campaign.pk).status, AdSet.objects.get(pk=ad_set.pk).status,
            Ad.objects.get(pk=ad.pk).status} == {"archived"}
    for fn, kw in ((services.campaign_update, {"campaign": campaign, "name": "x"}),
                   (services.ad_set_update, {"ad_set": ad_set, "name": "x"}), (services.ad_update, {"ad": ad, "name": "x"})):
        assert "archived" in errors_of(fn, actor=alice, **kw)["__all__"][0]
    assert "archived" in errors_of(services.ad_set_create, campaign=Campaign.objects.get(pk=campaign.pk), actor=alice,
                                   name="new", budget_minor=100)["campaign"][0]
    assert "Archived" in errors_of(services.campaign_set_status, campaign=campaign, actor=alice, status="active")["status"][0]
    assert AuditEvent.objects.filter(action="campaign.archived", target_id=str(campaign.pk)).exists()


def test_switching_budget_level(alice, tree):
    campaign, ad_set, _ = tree
    services.campaign_update(campaign=campaign, actor=alice, budget_level="campaign", budget_minor=100_00)
    ad_set.refresh_from_db()
    assert ad_set.budget_minor is None
    errors = errors_of(services.campaign_update, campaign=campaign, actor=alice, budget_level="ad_set", budget_minor=None)
    assert "US 25-44" in errors["budget_level"][0]


def test_duplicate_copies_tree_as_draft(alice, tree, yesterday):
    campaign, ad_set, ad = tree
    services.campaign_set_status(campaign=campaign, actor=alice, status="active")
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 10}])
    copy = services.campaign_duplicate(campaign=campaign, actor=alice)
    copy2 = services.campaign_duplicate(campaign=campaign, actor=alice)
    assert (copy.name, copy2.name, copy.status) == ("Cold brew (copy)", "Cold brew (copy 2)", "draft")
    assert [s.name for s in copy.ad_sets.all()] == ["US 25-44"]
    assert [a.name for a in Ad.objects.filter(ad_set__campaign=copy)] == ["Pour 15s"]
    assert not InsightDaily.objects.filter(campaign=copy).exists()
    assert errors_of(services.campaign_duplicate, campaign=campaign, actor=alice, name="cold brew (COPY)")["name"]


def test_bulk_status_is_scoped_and_all_or_nothing(alice, alice_org, charlie, charlie_org, tree):
    mine = tree[0]
    other = services.campaign_create(organization=alice_org, actor=alice, name="Other", objective="traffic", platforms=["meta"])
    theirs = services.campaign_create(organization=charlie_org, actor=charlie, name="Theirs", objective="traffic", platforms=["meta"])
    errors = errors_of(services.campaign_bulk_set_status, organization=alice_org, actor=alice,
                       campaign_ids=[mine.pk, theirs.pk], action="activate")
    assert str(theirs.pk) in errors["ids"][0]
    assert Campaign.objects.get(pk=mine.pk).status == "draft"
    result = services.campaign_bulk_set_status(organization=alice_org, actor=alice, campaign_ids=[mine.pk, other.pk], action="activate")
    assert result == {"changed": sorted([mine.pk, other.pk]), "skipped": [], "previous": {mine.pk: "draft", other.pk: "draft"},
                      "batch": result["batch"]}
    services.campaign_archive(campaign=other, actor=alice)
    result = services.campaign_bulk_set_status(organization=alice_org, actor=alice, campaign_ids=[mine.pk, other.pk], action="pause")
    assert result == {"changed": [mine.pk], "skipped": [other.pk], "previous": {mine.pk: "active"}, "batch": result["batch"]}
    assert errors_of(services.campaign_bulk_set_status, organization=alice_org, actor=alice, campaign_ids=[mine.pk],
                     action="delete")["action"]


def test_insights_upsert_is_idempotent_and_validated(tree, yesterday):
    _, _, ad = tree
    row = {"platform": "meta", "date": yesterday, "impressions": 100, "reach": 80, "clicks": 3, "spend_minor": 250}
    assert services.insights_upsert(ad=ad, rows=[row]) == 1
    assert services.insights_upsert(ad=ad, rows=[{**row, "clicks": 4}, {**row, "platform": "google"}]) == 2
    assert InsightDaily.objects.count() == 2
    assert InsightDaily.objects.get(platform="meta").clicks == 4
    errors = errors_of(services.insights_upsert, ad=ad, rows=[
        {**row, "spend_minor": -1}, {**row, "platform": "tiktok"}, {**row, "reach": 1000}, {**row, "date": "yesterday"},
        {**row, "ctr": 0.1}, {**row, "date": yesterday.isoformat(), "clicks": 9}])
    assert len(errors["rows"]) == 5 and errors["rows"][0].startswith("row 0: spend_minor cannot be negative")
    assert InsightDaily.objects.get(platform="meta").clicks == 4  # nothing written


def test_platform_connection_save(alice, alice_org):
    conn = services.platform_connection_save(organization=alice_org, actor=alice, platform="google",
                                             ad_account_id="123-456-7890", token="ya29.secret")
    assert conn.ad_account_id == "1234567890" and conn.token == "ya29.secret"
    again = services.platform_connection_save(organization=alice_org, actor=alice, platform="google",
                                              ad_account_id="1234567890", token="ya29.new")
    assert again.pk == conn.pk and again.token == "ya29.new"
    assert "act_" in errors_of(services.platform_connection_save, organization=alice_org, actor=alice, platform="meta",
                               ad_account_id="abc", token="t")["ad_account_id"][0]
