"""The page cache of the campaign list, the API list and the dashboard (kolony.pagecache):
an edit shows on the very next request, bodies never leak between roles, organizations or CSRF
tokens, and a broken cache only costs speed."""

import re

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import Client
from django.utils import timezone

from campaigns import admin as campaigns_admin
from campaigns import services
from campaigns.models import Campaign
from kolony import datacache as cache
from kolony import pagecache
from tests.conftest import api_client_for, login_client

pytestmark = pytest.mark.django_db
HEADER = "X-Kolony-Cache"


def text(response) -> str:
    return response.content.decode()


def spend_cell(html: str, campaign) -> str:
    match = re.search(rf'<tr data-campaign-id="{campaign.pk}">(.*?)</tr>', html, re.S)
    assert match, f"campaign {campaign.pk} has a row"
    row = match.group(1)
    spend = re.search(r'<td class="num" data-label="Spend">(.*?)</td>', row)
    assert spend, "the row has a spend cell"
    return spend.group(1)


def test_list_page_is_cached_and_an_edit_shows_at_once(alice_client, alice, tree):
    campaign = tree[0]
    first = alice_client.get("/campaigns/")
    assert first[HEADER] == "miss" and "Cold brew" in text(first)
    second = alice_client.get("/campaigns/")
    assert second[HEADER] == "hit" and "Cold brew" in text(second)
    services.campaign_update(campaign=campaign, actor=alice, name="Iced latte")
    after = alice_client.get("/campaigns/")
    assert after[HEADER] == "miss"
    assert "Iced latte" in text(after) and "Cold brew" not in text(after)


def test_list_page_shows_new_insights_and_ads_at_once(alice_client, alice, tree, yesterday):
    campaign, ad_set, ad = tree
    assert spend_cell(text(alice_client.get("/campaigns/")), campaign) == "$0.00"
    assert alice_client.get("/campaigns/")[HEADER] == "hit"
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 1000, "spend_minor": 1234}])
    assert spend_cell(text(alice_client.get("/campaigns/")), campaign) == "$12.34"
    services.ad_create(ad_set=ad_set, actor=alice, name="Second ad")
    assert "1 / 2" in text(alice_client.get("/campaigns/"))
    services.campaign_archive(campaign=campaign, actor=alice)
    assert f'data-campaign-id="{campaign.pk}"' not in text(alice_client.get("/campaigns/"))


def test_edit_through_the_pages_shows_at_once(alice_client, tree):
    campaign = tree[0]
    alice_client.get("/campaigns/")
    assert alice_client.get("/campaigns/")[HEADER] == "hit"
    response = alice_client.post("/campaigns/bulk/", {"ids": [campaign.pk], "action": "activate"})
    assert response.status_code == 302
    page = alice_client.get(response["Location"])  # the message is waiting: no cache, fresh page
    assert HEADER not in page and "Activated 1 campaign." in text(page) and "badge active" in text(page)
    again = alice_client.get("/campaigns/")
    assert "Activated 1 campaign." not in text(again) and "badge active" in text(again)


def test_same_query_in_another_order_shares_the_entry(alice_client, tree):
    assert alice_client.get("/campaigns/?status=draft&sort=name")[HEADER] == "miss"
    assert alice_client.get("/campaigns/?sort=name&status=draft")[HEADER] == "hit"
    assert alice_client.get("/campaigns/?sort=-name&status=draft")[HEADER] == "miss"
    assert alice_client.get("/campaigns/?status=active&sort=name")[HEADER] == "miss"
    assert "No campaigns match these filters." in text(alice_client.get("/campaigns/?status=active&sort=name"))


def test_roles_get_their_own_body(alice_client, member_of, tree):
    assert "data-testid=\"bulk-apply\"" in text(alice_client.get("/campaigns/"))
    viewer = login_client(member_of("viewer"))
    response = viewer.get("/campaigns/")
    assert response[HEADER] == "miss" and "bulk-apply" not in text(response) and "Cold brew" in text(response)
    assert "bulk-apply" not in text(viewer.get("/campaigns/"))


def test_organizations_never_share_bodies(alice_client, charlie_client, charlie, charlie_org, tree):
    alice_client.get("/campaigns/")
    alice_client.get("/api/v1/campaigns/")
    page = charlie_client.get("/campaigns/")
    assert page[HEADER] == "miss" and "Cold brew" not in text(page)
    api = api_client_for(charlie).get("/api/v1/campaigns/")
    assert api[HEADER] == "miss" and api.json()["count"] == 0


def test_cached_page_carries_each_visitors_own_csrf_token(alice, bob, tree):
    alice_client = Client(enforce_csrf_checks=True)
    alice_client.force_login(alice)
    bob_client = Client(enforce_csrf_checks=True)
    bob_client.force_login(bob)
    alice_page = text(alice_client.get("/campaigns/"))
    bob_response = bob_client.get("/campaigns/")
    bob_page = text(bob_response)
    assert bob_response[HEADER] == "hit"  # owner and editor share the editors' body
    assert "kolony-csrf-token" not in alice_page and "kolony-csrf-token" not in bob_page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bob_page).group(1)
    assert token not in alice_page
    response = bob_client.post("/campaigns/bulk/", {"ids": [tree[0].pk], "action": "activate", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Campaign.objects.get(pk=tree[0].pk).status == "active"


def test_a_campaign_name_cannot_smuggle_the_token(alice_client, alice, alice_org):
    services.campaign_create(organization=alice_org, actor=alice, name="<kolony-csrf-token/>", objective="traffic", platforms=["meta"])
    alice_client.get("/campaigns/")
    page = text(alice_client.get("/campaigns/"))
    assert "&lt;kolony-csrf-token/&gt;" in page


def test_htmx_table_is_cached_apart_from_the_page(alice_client, alice, tree):
    headers = {"HX-Request": "true", "HX-Target": "campaign-table"}
    table = alice_client.get("/campaigns/", headers=headers)
    assert table[HEADER] == "miss" and text(table).startswith('<div id="campaign-table">')
    assert alice_client.get("/campaigns/", headers=headers)[HEADER] == "hit"
    assert "<html" in text(alice_client.get("/campaigns/"))


def test_api_list_is_cached_and_a_patch_shows_at_once(alice_api, tree):
    campaign = tree[0]
    first = alice_api.get("/api/v1/campaigns/")
    assert first[HEADER] == "miss" and first.json()["results"][0]["name"] == "Cold brew"
    second = alice_api.get("/api/v1/campaigns/")
    assert second[HEADER] == "hit" and second["Content-Type"] == "application/json"
    assert second.json() == first.json()
    assert alice_api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "Iced latte"}, format="json").status_code == 200
    after = alice_api.get("/api/v1/campaigns/")
    assert after[HEADER] == "miss" and after.json()["results"][0]["name"] == "Iced latte"
    alice_api.post("/api/v1/campaigns/", {"name": "Spring launch", "objective": "traffic", "platforms": ["meta"]}, format="json")
    assert alice_api.get("/api/v1/campaigns/").json()["count"] == 2


def test_api_cache_keys_on_host_for_absolute_links(alice_api, alice, alice_org):
    for i in range(51):
        services.campaign_create(organization=alice_org, actor=alice, name=f"C{i}", objective="traffic", platforms=["meta"])
    assert alice_api.get("/api/v1/campaigns/").json()["next"].startswith("http://testserver/")
    other = alice_api.get("/api/v1/campaigns/", HTTP_HOST="localhost")
    assert other[HEADER] == "miss" and other.json()["next"].startswith("http://localhost/")


def test_dashboard_section_is_cached_and_new_insights_show_at_once(alice_client, tree, yesterday):
    ad = tree[2]
    first = alice_client.get("/dashboard/?range=7")
    assert first[HEADER] == "miss" and 'data-kpi="spend">$0.00' in text(first)
    assert alice_client.get("/dashboard/?range=7")[HEADER] == "hit"
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 1000, "spend_minor": 1234}])
    after = alice_client.get("/dashboard/?range=7")
    assert after[HEADER] == "miss" and 'data-kpi="spend">$12.34' in text(after)


def test_admin_edits_retire_cached_pages(alice_client, tree, rf, admin_user):
    campaign = Campaign.objects.get(pk=tree[0].pk)
    alice_client.get("/campaigns/")
    model_admin = campaigns_admin.CampaignAdmin(Campaign, AdminSite())
    campaign.name = "Renamed in admin"
    model_admin.save_model(rf.post("/"), campaign, None, True)
    assert "Renamed in admin" in text(alice_client.get("/campaigns/"))


def _version(org):
    return cache.data_version(org)


@pytest.mark.parametrize("write", [
    "campaign_create", "campaign_update", "campaign_set_status", "campaign_bulk_set_status", "campaign_duplicate",
    "ad_set_create", "ad_set_update", "ad_set_archive", "ad_create", "ad_update", "ad_archive",
    "platform_connection_save", "insights_upsert",
])
def test_every_write_service_bumps_the_data_version(write, alice, alice_org, tree, yesterday):
    campaign, ad_set, ad = tree
    calls = {
        "campaign_create": lambda: services.campaign_create(organization=alice_org, actor=alice, name="N", objective="traffic",
                                                            platforms=["meta"]),
        "campaign_update": lambda: services.campaign_update(campaign=campaign, actor=alice, name="N"),
        "campaign_set_status": lambda: services.campaign_set_status(campaign=campaign, actor=alice, status="paused"),
        "campaign_bulk_set_status": lambda: services.campaign_bulk_set_status(organization=alice_org, actor=alice,
                                                                              campaign_ids=[campaign.pk], action="pause"),
        "campaign_duplicate": lambda: services.campaign_duplicate(campaign=campaign, actor=alice),
        "ad_set_create": lambda: services.ad_set_create(campaign=campaign, actor=alice, name="N", budget_minor=100),
        "ad_set_update": lambda: services.ad_set_update(ad_set=ad_set, actor=alice, name="N"),
        "ad_set_archive": lambda: services.ad_set_archive(ad_set=ad_set, actor=alice),
        "ad_create": lambda: services.ad_create(ad_set=ad_set, actor=alice, name="N"),
        "ad_update": lambda: services.ad_update(ad=ad, actor=alice, name="N"),
        "ad_archive": lambda: services.ad_archive(ad=ad, actor=alice),
        "platform_connection_save": lambda: services.platform_connection_save(
            organization=alice_org, actor=alice, platform="meta", ad_account_id="act_123", token="t"),
        "insights_upsert": lambda: services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": yesterday, "impressions": 5}]),
    }
    before = _version(alice_org)
    calls[write]()
    assert _version(alice_org) != before


def test_commit_retires_a_body_computed_before_it(alice, alice_org, tree, django_capture_on_commit_callbacks):
    """A reader that rendered the not-yet-committed state stores it under the first bump's
    version; the bump at commit retires it."""
    key = pagecache.entry_key("test", alice_org, "x")
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_update(campaign=tree[0], actor=alice, name="N")
        version, _ = cache.versioned_get(alice_org, [key])
        cache.versioned_set(key, version, "computed mid-transaction", 60)
        assert cache.versioned_get(alice_org, [key])[1] == {key: "computed mid-transaction"}
    assert cache.versioned_get(alice_org, [key])[1] == {}


def test_a_missing_version_restarts_from_a_random_number(alice_org, redis_conn):
    first = _version(alice_org)
    redis_conn.flushdb()
    assert _version(alice_org) not in (None, first, 0, 1)


def test_broken_cache_only_costs_speed(alice_client, alice_api, tree, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    broken = RedisCache("redis://127.0.0.1:1/0", {"KEY_PREFIX": "kolony:campaigns"})
    monkeypatch.setattr(cache, "_backend_and_shared", lambda: (broken, True))
    page = alice_client.get("/campaigns/")
    assert page.status_code == 200 and "Cold brew" in text(page) and page[HEADER] == "miss"
    assert alice_api.get("/api/v1/campaigns/").json()["results"][0]["name"] == "Cold brew"
    assert "Cold brew" in text(alice_client.get("/dashboard/"))


def test_without_a_shared_cache_nothing_is_cached(alice_client, tree, monkeypatch):
    from django.core.cache import caches

    monkeypatch.setattr(cache, "_backend_and_shared", lambda: (caches["default"], False))
    alice_client.get("/campaigns/")
    response = alice_client.get("/campaigns/")
    assert HEADER not in response and "Cold brew" in text(response)


def test_keys_hold_the_day(alice_org):
    today = timezone.localdate()
    assert pagecache.entry_key("list", alice_org, today) != pagecache.entry_key("list", alice_org, today.replace(year=today.year - 1))


def test_dashboard_rename_shows_at_once_without_recomputing_the_numbers(alice_client, alice, tree, yesterday, monkeypatch):
    from campaigns import selectors

    services.insights_upsert(ad=tree[2], rows=[{"platform": "meta", "date": yesterday, "impressions": 1000, "spend_minor": 1234}])
    assert "Cold brew" in text(alice_client.get("/dashboard/?range=7"))
    computed = []
    real = selectors._dashboard_numbers
    monkeypatch.setattr(selectors, "_dashboard_numbers", lambda *a, **k: computed.append(1) or real(*a, **k))
    services.campaign_update(campaign=tree[0], actor=alice, name="Iced latte")
    services.ad_update(ad=tree[2], actor=alice, name="Pour 30s")
    page = alice_client.get("/dashboard/?range=7")
    assert page[HEADER] == "miss" and computed == []
    section = re.search(r'<section id="campaigns-dashboard".*?</section>', text(page), re.S).group(0)  # not the audit log
    assert "Iced latte" in section and "Cold brew" not in section and "Pour 30s" in section
    services.insights_upsert(ad=tree[2], rows=[{"platform": "meta", "date": yesterday, "impressions": 1000, "spend_minor": 2000}])
    assert 'data-kpi="spend">$20.00' in text(alice_client.get("/dashboard/?range=7")) and computed == [1]


def test_single_flight_waits_for_the_computing_process(alice_org):
    import threading

    key = "test:single-flight"
    version = cache.data_version(alice_org, "insights")
    assert cache._backend().add(f"lock:{key}:{version}", 1, 30)  # another process is computing it

    def finish():
        cache.versioned_set(key, version, {"answer": 42}, 60)

    threading.Timer(0.2, finish).start()

    def must_not_run():
        raise AssertionError("computed twice")

    assert cache.single_flight(alice_org, key, must_not_run, timeout=60, scope="insights", wait=5) == {"answer": 42}
