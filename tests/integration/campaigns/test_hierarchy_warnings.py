"""Warnings (not blocks) where a campaign's hierarchy doesn't make sense, each kind computed by
``campaigns.warnings.hierarchy_warnings`` and shown on the pages where it can be fixed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns import services
from campaigns.warnings import KINDS, hierarchy_warnings
from kolony.accounts.models import Role
from tests.fixtures.campaigns import real_mp4
from tests.integration.campaigns.studio_helpers import make_render

pytestmark = pytest.mark.django_db
CLIPS = {"9:16": "90x160", "16:9": "160x90", "1:1": "100x100", "4:5": "96x120"}


def video(ratio):
    return SimpleUploadedFile(f"clip-{ratio.replace(':', 'x')}.mp4", real_mp4(1.0, CLIPS[ratio]), content_type="video/mp4")


def _campaign(alice, org, name="Hierarchy", status="draft"):
    c = services.campaign_create(organization=org, actor=alice, name=name, objective="traffic", platforms=["meta", "google"])
    if status != "draft":
        c = services.campaign_set_status(campaign=c, actor=alice, status=status)
    return c


def scenario(kind, alice, org, variant=""):
    """A campaign showing exactly one warning of ``kind``; returns (campaign, ad_set, ad)."""
    if kind == "ad_active_in_inactive_ad_set":
        c = _campaign(alice, org)
        s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, status=variant or "draft")
        a = services.ad_create(ad_set=s, actor=alice, name="Live ad", status="active", creative=video("9:16"))
        return c, s, a
    if kind == "ad_set_active_in_draft_campaign":
        c = _campaign(alice, org)
        s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, status="active")
        a = services.ad_create(ad_set=s, actor=alice, name="Ad", creative=video("9:16"))
        return c, s, None
    if kind == "active_campaign_without_ads":
        c = _campaign(alice, org, status="active")
        s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, status="active")
        return c, s, None
    if kind == "active_campaign_ad_without_creative":
        c = _campaign(alice, org, status="active")
        s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, status="active")
        a = services.ad_create(ad_set=s, actor=alice, name="No video yet")
        return c, s, a
    if kind == "creative_ratio_mismatch":
        ratio, placements = variant
        c = _campaign(alice, org)
        s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, placements=placements)
        a = services.ad_create(ad_set=s, actor=alice, name="Wrong shape", creative=video(ratio))
        return c, s, a
    raise AssertionError(kind)


CASES = [
    ("ad_active_in_inactive_ad_set", "draft"),
    ("ad_active_in_inactive_ad_set", "paused"),
    ("ad_set_active_in_draft_campaign", ""),
    ("active_campaign_without_ads", ""),
    ("active_campaign_ad_without_creative", ""),
    ("creative_ratio_mismatch", ("9:16", ["youtube_instream"])),
    ("creative_ratio_mismatch", ("16:9", ["instagram_reels", "facebook_stories"])),
    ("creative_ratio_mismatch", ("1:1", ["youtube_shorts"])),
]
WORDS = {
    "ad_active_in_inactive_ad_set": "is active, but its ad set “Set” is {variant}, so the ad won't run",
    "ad_set_active_in_draft_campaign": "Ad set “Set” is active, but the campaign is still a draft",
    "active_campaign_without_ads": "is active but has no ads",
    "active_campaign_ad_without_creative": "Ad “No video yet” has no video, but the campaign is active",
    "creative_ratio_mismatch": "Ad “Wrong shape” uses a {ratio} video, but its ad set's placements",
}


def test_every_kind_has_a_case():
    assert {k for k, _ in CASES} == set(KINDS)


@pytest.mark.parametrize("kind,variant", CASES)
def test_each_warning_kind_is_computed_and_shown_where_it_can_be_fixed(alice, alice_org, alice_client, kind, variant):
    campaign, ad_set, ad = scenario(kind, alice, alice_org, variant)
    warnings = hierarchy_warnings(campaign=campaign)
    assert [w.kind for w in warnings] == [kind]
    words = WORDS[kind].format(variant=variant, ratio=variant[0] if isinstance(variant, tuple) else "")
    assert words in warnings[0].message
    # the campaign page shows it, with a link to where it is fixed
    html = alice_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="hierarchy-warnings"' in html and f'data-warning="{kind}"' in html
    assert words.replace("'", "&#x27;") in html and warnings[0].fix_url in html
    # the ad set's form and the ad's form show the ones about them
    if warnings[0].ad_set_id:
        page = alice_client.get(f"/campaigns/ad-sets/{ad_set.pk}/edit/").content.decode()
        assert f'data-warning="{kind}"' in page
    if ad is not None:
        page = alice_client.get(f"/campaigns/ads/{ad.pk}/edit/").content.decode()
        assert f'data-warning="{kind}"' in page
    # a warning never blocks: the objects still save
    if ad is not None:
        services.ad_update(ad=ad, actor=alice, headline="Still saves")


@pytest.mark.parametrize("ratio,placements", [
    ("9:16", ["instagram_reels", "youtube_shorts"]),
    ("16:9", ["youtube_instream"]),
    ("1:1", ["facebook_feed", "instagram_feed"]),
    ("4:5", ["instagram_feed"]),
    ("9:16", []),  # automatic placements take any ratio
    ("16:9", ["youtube_instream", "instagram_reels"]),  # fits one of them
])
def test_creatives_that_fit_a_placement_have_no_ratio_warning(alice, alice_org, ratio, placements):
    c = _campaign(alice, alice_org)
    s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, placements=placements)
    services.ad_create(ad_set=s, actor=alice, name="Right shape", creative=video(ratio))
    assert hierarchy_warnings(campaign=c) == []


def test_a_linked_studio_render_on_the_wrong_placement_is_flagged(alice, alice_org, alice_client):
    c = _campaign(alice, alice_org)
    s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, placements=["youtube_instream"])
    render = make_render(alice_org, alice, ratios=("9:16", "16:9"))
    ad = services.ad_create(ad_set=s, actor=alice, name="Studio ad", creative_render=render.pk, creative_ratio="9:16")
    [w] = hierarchy_warnings(campaign=c)
    assert w.kind == "creative_ratio_mismatch" and "uses a 9:16 video" in w.message and "show 16:9" in w.message
    assert "YouTube in-stream" in w.message and "Instagram Reels" in w.message
    services.ad_update(ad=ad, actor=alice, creative_render=render.pk, creative_ratio="16:9")
    assert hierarchy_warnings(campaign=c) == []


def test_a_sound_hierarchy_and_archived_objects_have_no_warnings(alice, alice_org, alice_client):
    c = _campaign(alice, alice_org, status="active")
    s = services.ad_set_create(campaign=c, actor=alice, name="Set", budget_minor=1000, status="active",
                               placements=["instagram_reels"])
    services.ad_create(ad_set=s, actor=alice, name="Good", status="active", creative=video("9:16"))
    bad = services.ad_create(ad_set=s, actor=alice, name="Archived without video")
    services.ad_archive(ad=bad, actor=alice)
    assert hierarchy_warnings(campaign=c) == []
    assert 'data-testid="hierarchy-warnings"' not in alice_client.get(f"/campaigns/{c.pk}/").content.decode()
    services.campaign_set_status(campaign=c, actor=alice, status="archived")
    c.refresh_from_db()
    assert hierarchy_warnings(campaign=c) == []


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER])
def test_every_role_sees_the_warnings_on_the_campaign_page(alice, alice_org, client_as, role):
    campaign, _, _ = scenario("active_campaign_ad_without_creative", alice, alice_org)
    html = client_as(role).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-warning="active_campaign_ad_without_creative"' in html


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER])
def test_api_lists_the_warnings_for_every_role(alice, alice_org, api_as, charlie_api, role):
    campaign, ad_set, ad = scenario("creative_ratio_mismatch", alice, alice_org, ("9:16", ["youtube_instream"]))
    response = api_as(role).get(f"/api/v1/campaigns/{campaign.pk}/warnings/")
    assert response.status_code == 200
    [w] = response.json()["results"]
    assert (w["kind"], w["campaign"], w["ad_set"], w["ad"]) == ("creative_ratio_mismatch", campaign.pk, ad_set.pk, ad.pk)
    assert w["fix_url"] == f"/campaigns/ads/{ad.pk}/edit/" and "uses a 9:16 video" in w["message"]
    assert charlie_api.get(f"/api/v1/campaigns/{campaign.pk}/warnings/").status_code == 404
