"""From Studio to Campaigns: an ad's creative picker lists the organization's finished renders by
placement ratio; choosing one links the ad to that render's format; the campaign page lists its
videos and a render's job page lists the ads that use it. Every role, every ratio, other
organizations' renders refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns import services
from campaigns.creatives import placement_ratios, render_options
from campaigns.models import Ad
from kolony.accounts.models import Role
from tests.fixtures.campaigns import real_mp4
from tests.integration.campaigns.studio_helpers import make_render
from videogen.models import JobStatus

pytestmark = pytest.mark.django_db
ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER]
EDITORS = {Role.OWNER, Role.ADMIN, Role.EDITOR}
ALL_RATIOS = ["9:16", "1:1", "4:5", "16:9"]


@pytest.fixture
def studio(alice, alice_org, charlie, charlie_org):
    """alice's campaign (Meta + Google) with a YouTube-in-stream ad set and an Instagram Reels ad
    set, a finished render in every format, a render still in progress, and charlie's render."""
    campaign = services.campaign_create(organization=alice_org, actor=alice, name="Cold brew", objective="traffic",
                                        platforms=["meta", "google"])
    youtube = services.ad_set_create(campaign=campaign, actor=alice, name="YouTube", budget_minor=5000,
                                     placements=["youtube_instream"])
    reels = services.ad_set_create(campaign=campaign, actor=alice, name="Reels", budget_minor=5000,
                                   placements=["instagram_reels"])
    ad = services.ad_create(ad_set=youtube, actor=alice, name="Pour 15s")
    done = make_render(alice_org, alice, title="Aurora cold brew", ratios=tuple(ALL_RATIOS))
    pending = make_render(alice_org, alice, title="Still rendering", ratios=("9:16",), status=JobStatus.RENDERING)
    other = make_render(charlie_org, charlie, title="Charlie secret", ratios=("9:16", "16:9"))
    return {"campaign": campaign, "youtube": youtube, "reels": reels, "ad": ad, "done": done, "pending": pending,
            "other": other}


def _option_groups(form):
    return [(label, [v for v, _ in group]) for label, group in form.fields["studio_render"].choices[1:]]


@pytest.mark.parametrize("placements,fitting", [
    (["youtube_instream"], ["16:9"]),
    (["instagram_reels", "youtube_shorts"], ["9:16"]),
    (["facebook_feed"], ["1:1", "4:5", "16:9"]),
    ([], ALL_RATIOS),
])
def test_picker_lists_finished_renders_of_the_org_fitting_ratios_first(studio, alice, alice_org, placements, fitting):
    from campaigns.forms import AdForm

    ad_set = services.ad_set_create(campaign=studio["campaign"], actor=alice, name=f"P {len(placements)} {fitting[0]}",
                                    budget_minor=1000, placements=placements)
    form = AdForm(organization=alice_org, ad_set=ad_set)
    groups = _option_groups(form)
    done = studio["done"]
    # every format of the finished render, one group per ratio, the fitting ratios first
    listed = [v for _, values in groups for v in values]
    assert sorted(listed) == sorted(f"{done.pk}|{r}" for r in ALL_RATIOS)
    first_groups = [label.split(" ")[0] for label, _ in groups[:len(fitting)]]
    assert sorted(first_groups) == sorted(fitting)
    for label, _ in groups[len(fitting):]:
        assert "fits none of this ad set's placements" in label
    assert tuple(placement_ratios(placements)) == tuple(r for r in ALL_RATIOS if r in fitting)
    # never another organization's render, never an unfinished one
    titles = [o.job_title for o in render_options(organization=alice_org, placements=placements)]
    assert "Charlie secret" not in titles and "Still rendering" not in titles


@pytest.mark.parametrize("role", ROLES)
def test_ad_form_page_shows_the_picker_for_editors(studio, client_as, role):
    client = client_as(role)
    response = client.get(f"/campaigns/ad-sets/{studio['youtube'].pk}/ads/new/")
    if role not in EDITORS:
        assert response.status_code in (302, 403)
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert "Or use a Studio render" in html
    assert "16:9 — fits YouTube in-stream" in html
    assert "Aurora cold brew · v1 · 16:9" in html
    assert "Charlie secret" not in html and "Still rendering" not in html


@pytest.mark.parametrize("ratio", ALL_RATIOS)
def test_choosing_a_render_in_the_form_links_the_ad_and_shows_everywhere(studio, alice_client, ratio):
    done, campaign = studio["done"], studio["campaign"]
    response = alice_client.post(f"/campaigns/ad-sets/{studio['youtube'].pk}/ads/new/", {
        "name": f"Studio {ratio}", "status": "active", "call_to_action": "LEARN_MORE", "studio_render": f"{done.pk}|{ratio}"})
    assert response.status_code == 302, response.content.decode()[:2000]
    ad = Ad.objects.get(name=f"Studio {ratio}")
    assert ad.creative_render_id == done.pk and ad.creative_asset_id == done.outputs[ratio]
    assert ad.creative_ratio == ratio and not ad.creative and ad.status == "active"
    w, h = (int(x) for x in {"9:16": "1080x1920", "1:1": "1080x1080", "4:5": "1080x1350", "16:9": "1920x1080"}[ratio].split("x"))
    assert (ad.creative_width, ad.creative_height) == (w, h)
    # the campaign page links the ad to the render's job
    detail = alice_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"Studio video v1 · {ratio}" in detail and f"/studio/jobs/{done.job_id}/" in detail
    # the job page lists the ad with a link to it
    job_page = alice_client.get(f"/studio/jobs/{done.job_id}/").content.decode()
    assert "Used in ads" in job_page and f"Studio {ratio}" in job_page and f"/campaigns/ads/{ad.pk}/edit/" in job_page
    # the edit form shows what is linked and keeps it selected
    edit = alice_client.get(f"/campaigns/ads/{ad.pk}/edit/").content.decode()
    assert "Current creative: Studio video" in edit and f'value="{done.pk}|{ratio}" selected' in edit
    # the creative's media URL plays the render's file
    played = alice_client.get(f"/media/creative/{ad.pk}")
    assert played.status_code == 200 and played["Content-Type"] == "video/mp4"


@pytest.mark.parametrize("which", ["other", "pending", "missing"])
def test_the_form_refuses_renders_that_are_not_the_orgs_finished_ones(studio, alice_client, which):
    render_id = {"other": studio["other"].pk, "pending": studio["pending"].pk, "missing": 999999}[which]
    response = alice_client.post(f"/campaigns/ad-sets/{studio['youtube'].pk}/ads/new/", {
        "name": "Forged", "status": "draft", "call_to_action": "LEARN_MORE", "studio_render": f"{render_id}|9:16"})
    assert response.status_code == 400
    assert "err-studio_render" in response.content.decode()
    assert "Select a valid choice" in response.content.decode()
    assert not Ad.objects.filter(name="Forged").exists()


@pytest.mark.parametrize("which", ["other", "pending", "missing"])
def test_the_service_refuses_other_org_and_unfinished_renders(studio, alice, which):
    from django.core.exceptions import ValidationError

    render_id = {"other": studio["other"].pk, "pending": studio["pending"].pk, "missing": 999999}[which]
    with pytest.raises(ValidationError) as exc:
        services.ad_create(ad_set=studio["youtube"], actor=alice, name="Forged", creative_render=render_id)
    assert exc.value.message_dict["creative_render"] == [
        f"No finished Studio render with id {render_id} in your organization."]
    with pytest.raises(ValidationError) as exc:
        services.ad_update(ad=studio["ad"], actor=alice, creative_render=render_id)
    assert "creative_render" in exc.value.message_dict
    assert not Ad.objects.filter(name="Forged").exists()
    assert Ad.objects.get(pk=studio["ad"].pk).creative_render_id is None


@pytest.mark.parametrize("role", ROLES)
def test_api_creative_options_for_every_role(studio, api_as, role):
    response = api_as(role).get(f"/api/v1/ad-sets/{studio['reels'].pk}/creative-options/")
    assert response.status_code == 200
    body = response.json()
    assert body["fitting_ratios"] == ["9:16"] and body["placements"] == ["instagram_reels"]
    results = body["results"]
    assert [(r["render"], r["ratio"]) for r in results][0] == (studio["done"].pk, "9:16")
    assert results[0]["fits_placements"] is True and all(not r["fits_placements"] for r in results[1:])
    assert {r["ratio"] for r in results} == set(ALL_RATIOS)
    assert all(r["job_title"] == "Aurora cold brew" for r in results)


def test_api_creative_options_of_another_orgs_ad_set_is_404(studio, charlie_api):
    assert charlie_api.get(f"/api/v1/ad-sets/{studio['reels'].pk}/creative-options/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_api_links_a_render_for_editors_only(studio, api_as, role):
    done = studio["done"]
    response = api_as(role).post("/api/v1/ads/", {"ad_set": studio["reels"].pk, "name": f"API {role}",
                                                 "creative_render": done.pk}, format="json")
    if role not in EDITORS:
        assert response.status_code == 403
        return
    assert response.status_code == 201, response.json()
    body = response.json()
    # no ratio given: the first format fitting the ad set's placements (Reels → 9:16)
    assert body["creative_render"] == done.pk and body["creative_ratio"] == "9:16"
    assert body["creative_asset"] == done.outputs["9:16"] and (body["creative_width"], body["creative_height"]) == (1080, 1920)
    assert body["creative"].endswith(f"/media/asset/{done.outputs['9:16']}")


@pytest.mark.parametrize("payload,field", [
    ({"creative_render": "other"}, "creative_render"),
    ({"creative_render": "pending"}, "creative_render"),
    ({"creative_render": 0}, "creative_render"),
    ({"creative_render": "done", "creative_ratio": "21:9"}, "creative_ratio"),
    ({"creative_ratio": "9:16"}, "creative_ratio"),
])
def test_api_bad_render_choice_is_a_400_naming_the_field(studio, alice_api, payload, field):
    payload = {k: (studio[v].pk if isinstance(v, str) and v in studio else v) for k, v in payload.items()}
    response = alice_api.post("/api/v1/ads/", {"ad_set": studio["reels"].pk, "name": "Bad", **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json() or field in str(response.json())
    assert not Ad.objects.filter(name="Bad").exists()


def test_api_change_and_unlink_and_upload_replaces(studio, alice, alice_api):
    done, ad = studio["done"], studio["ad"]
    url = f"/api/v1/ads/{ad.pk}/"
    assert alice_api.patch(url, {"creative_render": done.pk, "creative_ratio": "1:1"}, format="json").json()["creative_ratio"] == "1:1"
    body = alice_api.patch(url, {"creative_ratio": "16:9"}, format="json").json()
    assert body["creative_render"] == done.pk and body["creative_asset"] == done.outputs["16:9"]
    body = alice_api.patch(url, {"creative_render": None}, format="json").json()
    assert body["creative_render"] is None and body["creative"] is None and body["creative_ratio"] == ""
    # an uploaded file replaces a linked render (and records its own ratio)
    services.ad_update(ad=ad, actor=alice, creative_render=done.pk, creative_ratio="9:16")
    upload = SimpleUploadedFile("wide.mp4", real_mp4(1.0, "160x90"), content_type="video/mp4")
    ad = services.ad_update(ad=ad, actor=alice, creative=upload)
    assert ad.creative and ad.creative_render_id is None and ad.creative_asset_id is None
    assert (ad.creative_ratio, ad.creative_width, ad.creative_height) == ("16:9", 160, 90)
    # and choosing a render replaces the upload
    ad = services.ad_update(ad=ad, actor=alice, creative_render=done.pk, creative_ratio="9:16")
    assert not ad.creative and ad.creative_render_id == done.pk and ad.creative_ratio == "9:16"
    # both at once is refused on the creative field
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.ad_create(ad_set=studio["youtube"], actor=alice, name="Both", creative_render=done.pk,
                           creative=SimpleUploadedFile("x.mp4", real_mp4(), content_type="video/mp4"))
    assert "creative" in exc.value.message_dict


@pytest.mark.parametrize("role", ROLES)
def test_campaign_page_lists_its_video_jobs_and_renders(studio, alice, alice_org, client_as, role):
    made_for = make_render(alice_org, alice, title="Made for the campaign", ratios=("9:16",), campaign=studio["campaign"])
    make_render(alice_org, alice, title="Made for the campaign", ratios=("9:16", "1:1"), number=2, job=made_for.job)
    unrelated = make_render(alice_org, alice, title="Unrelated video", ratios=("9:16",))
    services.ad_update(ad=studio["ad"], actor=alice, creative_render=studio["done"].pk, creative_ratio="16:9")
    html = client_as(role).get(f"/campaigns/{studio['campaign'].pk}/").content.decode()
    assert 'data-testid="campaign-videos"' in html
    assert "Made for the campaign" in html and f"/studio/jobs/{made_for.job_id}/" in html
    assert ">v1</a> (1 format)" in html and ">v2</a> (2 formats)" in html
    assert "Aurora cold brew" in html  # used by one of its ads
    assert "Unrelated video" not in html and unrelated.job_id != made_for.job_id
    assert "Charlie secret" not in html


def test_job_page_lists_only_the_orgs_ads_using_it(studio, alice, charlie, alice_client, charlie_client):
    done = studio["done"]
    services.ad_update(ad=studio["ad"], actor=alice, creative_render=done.pk, creative_ratio="16:9")
    html = alice_client.get(f"/studio/jobs/{done.job_id}/").content.decode()
    assert 'data-testid="render-ads"' in html and "Pour 15s" in html and "Cold brew" in html and "YouTube in-stream" in html
    assert charlie_client.get(f"/studio/jobs/{done.job_id}/").status_code == 404
    # a render no ad uses says so
    lonely = make_render(studio["campaign"].organization, alice, title="Lonely", ratios=("1:1",))
    assert 'data-testid="render-ads-empty"' in alice_client.get(f"/studio/jobs/{lonely.job_id}/").content.decode()
