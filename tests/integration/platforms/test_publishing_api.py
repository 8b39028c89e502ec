"""POST /api/v1/renders/{id}/publish/, GET /api/v1/publications/{id}/, POST .../retry/; the
Publish panel, the publication page and Activate / Pause on the campaign page; the live socket."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from campaigns.models import Ad, Publication
from campaigns.platforms import publishing
from tests.integration.platforms.publish_helpers import (
    ad_set_for,
    approved_render,
    connect,
)


@pytest.fixture
def setup(alice_org, alice, bob, fake):
    connect(alice_org)
    return approved_render(alice_org, bob), ad_set_for(alice_org, alice)


def test_publish_answers_202_and_the_publication_shows_its_steps(setup, api_for, alice, fake):
    render, ad_set = setup
    api = api_for(alice)
    res = api.post(f"/api/v1/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk}, format="json")
    assert res.status_code == 202, res.content
    pub_id = res.json()["publication"]
    assert res.json()["status"] == "queued" and res.json()["ws_url"].endswith(f"/ws/publications/{pub_id}/")
    publishing.run_publication(pub_id)
    data = api.get(f"/api/v1/publications/{pub_id}/").json()
    assert data["status"] == "succeeded" and data["progress"] == 100
    assert [s["name"] for s in data["steps"]] == list(fake.steps)
    assert all(s["status"] == "done" for s in data["steps"])
    assert data["external"]["id"] == fake.created["ad"][0]


@pytest.mark.parametrize("body, field", [
    ({"platform": "tiktok", "ad_set": "1"}, "platform"),
    ({"ad_set": "1"}, "platform"),
    ({"platform": "meta"}, "ad_set"),
    ({"platform": "meta", "ad_set": "x", "aspect_ratio": "3:2"}, "aspect_ratio"),
])
def test_bad_bodies_name_the_field(body, field, setup, api_for, alice):
    render, _ = setup
    res = api_for(alice).post(f"/api/v1/renders/{render.pk}/publish/", body, format="json")
    assert res.status_code == 400 and field in res.json()["errors"]


def test_not_approved_is_409_naming_the_state(setup, api_for, alice):
    render, ad_set = setup
    render.review_status = "in_review"
    render.save(update_fields=["review_status"])
    res = api_for(alice).post(f"/api/v1/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk}, format="json")
    assert res.status_code == 409 and "in review" in res.json()["detail"]
    assert not Publication.objects.exists()


def test_missing_ratio_is_400_on_aspect_ratio(alice_org, alice, api_for, fake):
    connect(alice_org)
    render = approved_render(alice_org, alice, ratios=("16:9",))
    ad_set = ad_set_for(alice_org, alice, placements=("instagram_reels",))
    res = api_for(alice).post(f"/api/v1/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk}, format="json")
    assert res.status_code == 400 and "9:16" in res.json()["errors"]["aspect_ratio"][0]


def test_other_organizations_render_ad_set_and_publication_are_404(setup, api_for, alice, charlie, charlie_org):
    render, ad_set = setup
    theirs = ad_set_for(charlie_org, charlie, name="Theirs")
    api = api_for(alice)
    assert api.post(f"/api/v1/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": theirs.pk},
                    format="json").status_code == 404
    pub = publishing.publication_create(render=render, ad_set=ad_set, platform="meta", user=alice)
    other = api_for(charlie)
    assert other.get(f"/api/v1/publications/{pub.pk}/").status_code == 404
    assert other.post(f"/api/v1/publications/{pub.pk}/retry/").status_code == 404
    assert other.post(f"/api/v1/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk},
                      format="json").status_code == 404


@pytest.mark.parametrize("role, allowed", [("owner", True), ("admin", True), ("editor", True), ("reviewer", False),
                                            ("viewer", False)])
def test_who_may_publish(role, allowed, setup, api_as):
    render, ad_set = setup
    res = api_as(role).post(f"/api/v1/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk}, format="json")
    assert res.status_code == (202 if allowed else 403)


def test_retry_api_resumes_a_failed_publication(setup, api_for, alice, fake):
    from campaigns.platforms.base import PlatformError

    render, ad_set = setup
    fake.fail("ad", PlatformError("Ad account is disabled", code="1487", field="account"))
    pub = publishing.publication_create(render=render, ad_set=ad_set, platform="meta", user=alice)
    publishing.run_publication(pub.pk)
    api = api_for(alice)
    data = api.get(f"/api/v1/publications/{pub.pk}/").json()
    assert data["status"] == "failed" and data["error"] == {"message": "Ad account is disabled", "code": "1487", "field": "account"}
    assert api.post(f"/api/v1/publications/{pub.pk}/retry/").status_code == 202
    publishing.run_publication(pub.pk)
    assert api.get(f"/api/v1/publications/{pub.pk}/").json()["status"] == "succeeded"
    assert api.post(f"/api/v1/publications/{pub.pk}/retry/").status_code == 409
    assert fake.count("ad") == 1


def test_review_page_panel_publishes_and_campaign_page_activates(setup, client_for, alice, fake):
    render, ad_set = setup
    client = client_for(alice)
    page = client.get(f"/studio/renders/{render.pk}/").content.decode()
    assert 'data-testid="publish-form"' in page and ad_set.name in page
    res = client.post(f"/campaigns/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk})
    pub = Publication.objects.get()
    assert res.status_code == 302 and res["Location"] == f"/campaigns/publications/{pub.pk}/"
    page = client.get(res["Location"]).content.decode()
    assert "Waiting for a worker" in page and f"/ws/publications/{pub.pk}/" in page
    publishing.run_publication(pub.pk)
    ad = Ad.objects.get(pk=pub.ad_id)
    detail = client.get(f"/campaigns/{ad_set.campaign_id}/").content.decode()
    assert ad.external["meta"]["id"] in detail and 'data-testid="ad-activate"' in detail
    client.post(f"/campaigns/ads/{ad.pk}/platform-status/", {"platform": "meta", "action": "activate"})
    detail = client.get(f"/campaigns/{ad_set.campaign_id}/").content.decode()
    assert "ACTIVE" in detail and 'data-testid="ad-pause"' in detail
    assert fake.status_calls == [(ad.external["meta"]["id"], True)]


def test_panel_errors_are_shown_on_the_review_page(alice_org, alice, client_for, fake):
    render = approved_render(alice_org, alice)  # nothing connected
    ad_set = ad_set_for(alice_org, alice)
    client = client_for(alice)
    res = client.post(f"/campaigns/renders/{render.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk}, follow=True)
    assert "Meta is not connected" in res.content.decode()
    assert not Publication.objects.exists()


def test_not_approved_render_has_no_publish_form(alice_org, alice, client_for, fake):
    from tests.integration.campaigns.studio_helpers import make_render

    render = make_render(alice_org, alice)
    page = client_for(alice).get(f"/studio/renders/{render.pk}/").content.decode()
    assert 'data-testid="publish-form"' not in page


@pytest.mark.django_db(transaction=True)
def test_socket_sends_the_state_to_members_and_refuses_others(alice_org, alice, charlie, fake):
    from kolony.asgi import application
    from tests.integration.studio.test_consumer import _session_headers

    connect(alice_org)
    render, ad_set = approved_render(alice_org, alice), ad_set_for(alice_org, alice)
    pub = publishing.publication_create(render=render, ad_set=ad_set, platform="meta", user=alice)

    headers = {u.pk: _session_headers(u) for u in (alice, charlie)}

    async def talk(user):
        comm = WebsocketCommunicator(application, f"/ws/publications/{pub.pk}/", headers=headers[user.pk])
        connected, code = await comm.connect(timeout=5)
        msg = await comm.receive_json_from(timeout=5) if connected else None
        await comm.disconnect()
        return connected, code, msg

    connected, _, msg = async_to_sync(talk)(alice)
    assert connected and msg["publication"] == pub.pk and msg["status"] == "queued"
    assert [s["name"] for s in msg["steps"]][:2] == ["campaign", "ad_set"]
    connected, code, _ = async_to_sync(talk)(charlie)
    assert not connected and code == 4404
