"""Campaign pages for each role, tenant isolation, filters, bulk actions, CSV, htmx validation and
the list's constant query count."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.models import Ad, AdSet, Campaign

pytestmark = pytest.mark.django_db
ROLES = ["owner", "admin", "editor", "reviewer", "viewer"]
EDITORS = {"owner", "admin", "editor"}


def view_urls(campaign, ad_set, ad):
    return ["/", "/campaigns/", f"/campaigns/{campaign.pk}/", "/campaigns/export.csv", "/campaigns/report.csv?group_by=ad"]


def edit_get_urls(campaign, ad_set, ad):
    return ["/campaigns/new/", f"/campaigns/{campaign.pk}/edit/", f"/campaigns/{campaign.pk}/ad-sets/new/",
            f"/campaigns/ad-sets/{ad_set.pk}/edit/", f"/campaigns/ad-sets/{ad_set.pk}/ads/new/", f"/campaigns/ads/{ad.pk}/edit/"]


def object_post_urls(campaign, ad_set, ad):
    return [
        (f"/campaigns/{campaign.pk}/edit/", {"name": "Hijacked"}),
        (f"/campaigns/{campaign.pk}/duplicate/", {}),
        (f"/campaigns/{campaign.pk}/status/", {"action": "archive"}),
        (f"/campaigns/{campaign.pk}/ad-sets/new/", {"name": "x"}),
        (f"/campaigns/ad-sets/{ad_set.pk}/edit/", {"name": "x"}),
        (f"/campaigns/ad-sets/{ad_set.pk}/archive/", {}),
        (f"/campaigns/ad-sets/{ad_set.pk}/ads/new/", {"name": "x"}),
        (f"/campaigns/ads/{ad.pk}/edit/", {"name": "x"}),
        (f"/campaigns/ads/{ad.pk}/archive/", {}),
    ]


def body(response):
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(role, client_as, tree):
    client = client_as(role)
    for url in view_urls(*tree):
        assert client.get(url).status_code == 200, url
    for url in edit_get_urls(*tree):
        assert client.get(url).status_code == (200 if role in EDITORS else 403), url
    if role not in EDITORS:
        for url, data in object_post_urls(*tree):
            assert client.post(url, data).status_code == 403, url
        assert client.post("/campaigns/bulk/", {"ids": [tree[0].pk], "action": "archive"}).status_code == 403
        assert client.post("/campaigns/new/", {"name": "x"}).status_code == 403
        assert Campaign.objects.get(pk=tree[0].pk).status == "draft" and Campaign.objects.count() == 1


@pytest.mark.parametrize("role", sorted(EDITORS))
def test_editors_can_write(role, client_as, tree):
    client = client_as(role)
    campaign, ad_set, ad = tree
    response = client.post(f"/campaigns/{campaign.pk}/status/", {"action": "activate"})
    assert response.status_code == 302 and Campaign.objects.get(pk=campaign.pk).status == "active"
    assert client.post(f"/campaigns/{campaign.pk}/duplicate/").status_code == 302
    assert Campaign.objects.filter(name="Cold brew (copy)").exists()


def test_charlie_gets_404_for_alices_objects(charlie_client, tree):
    campaign, ad_set, ad = tree
    for url in [f"/campaigns/{campaign.pk}/", *edit_get_urls(*tree)[1:]]:
        assert charlie_client.get(url).status_code == 404, url
    for url, data in object_post_urls(*tree):
        assert charlie_client.post(url, data).status_code == 404, url
    response = charlie_client.post("/campaigns/bulk/", {"ids": [campaign.pk], "action": "archive"})
    assert response.status_code == 302 and Campaign.objects.get(pk=campaign.pk).status == "draft"
    assert "Cold brew" not in body(charlie_client.get("/campaigns/"))
    assert "Cold brew" not in body(charlie_client.get("/campaigns/export.csv"))
    report = body(charlie_client.get(f"/campaigns/report.csv?group_by=campaign&campaign={campaign.pk}"))
    assert str(campaign.pk) not in report.split("\n", 1)[1]
    assert AdSet.objects.get(pk=ad_set.pk).name == "US 25-44" and Ad.objects.get(pk=ad.pk).status == "draft"


def test_anonymous_is_sent_to_login(client, tree):
    for url in view_urls(*tree)[1:] + edit_get_urls(*tree):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_create_campaign_ad_set_and_ad_through_forms(alice_client, alice_org, make_mp4):
    response = alice_client.post("/campaigns/new/", {
        "name": "Spring launch", "objective": "traffic", "platforms": ["meta"], "status": "draft",
        "budget_level": "campaign", "budget_type": "daily", "budget": "50.00", "currency": "usd",
    })
    campaign = Campaign.objects.get(organization=alice_org, name="Spring launch")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.budget_minor, campaign.currency) == (5000, "USD")
    response = alice_client.post(f"/campaigns/{campaign.pk}/ad-sets/new/", {
        "name": "US", "status": "draft", "optimization_goal": "LINK_CLICKS", "billing_event": "IMPRESSIONS",
        "bid_strategy": "LOWEST_COST_WITHOUT_CAP", "countries": "us, ca", "age_min": "21", "age_max": "65",
        "languages": "en", "interests": "coffee, espresso", "placements": ["instagram_reels"],
    })
    assert response.status_code == 302
    ad_set = campaign.ad_sets.get()
    assert ad_set.targeting == {"countries": ["US", "CA"], "age_min": 21, "age_max": 65, "genders": [], "languages": ["en"],
                                "interests": ["coffee", "espresso"]}
    response = alice_client.post(f"/campaigns/ad-sets/{ad_set.pk}/ads/new/", {
        "name": "Pour 15s", "status": "active", "call_to_action": "SHOP_NOW", "destination_url": "https://aurora.example",
        "creative": make_mp4(),
    })
    assert response.status_code == 302
    assert Ad.objects.get(ad_set=ad_set).creative.name.endswith(".mp4")
    page = body(alice_client.get(f"/campaigns/{campaign.pk}/"))
    assert "Pour 15s" in page and "US" in page


def test_form_errors_are_per_field_and_nothing_is_saved(alice_client, tree):
    campaign = tree[0]
    response = alice_client.post("/campaigns/new/", {
        "name": "cold brew", "objective": "traffic", "platforms": ["meta"], "status": "draft", "budget_level": "campaign",
        "budget_type": "daily", "budget": "-5", "currency": "XYZ", "starts_at": "2026-03-02T10:00", "ends_at": "2026-03-01T10:00",
    })
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "budget", "currency", "ends_at"}
    assert Campaign.objects.count() == 1
    response = alice_client.post(f"/campaigns/{campaign.pk}/ad-sets/new/", {
        "name": "US", "status": "draft", "optimization_goal": "OFFSITE_CONVERSIONS", "billing_event": "IMPRESSIONS",
        "bid_strategy": "LOWEST_COST_WITHOUT_CAP", "budget": "0", "countries": "US, ZZ", "age_min": "30", "age_max": "20",
    })
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "greater than zero" in errors["budget"][0]
    assert "'ZZ' is not a country code we know" in errors["countries"][0]
    assert errors["age_min"] == ["Minimum age can't be above maximum age."]


def test_htmx_inline_validation_returns_oob_errors(alice_client, tree):
    response = alice_client.post("/campaigns/new/?validate=1", {
        "name": "Cold Brew", "objective": "traffic", "platforms": ["meta"], "status": "draft", "budget_level": "ad_set",
        "budget_type": "daily", "currency": "XYZ", "_changed": "currency"}, HTTP_HX_REQUEST="true")
    html = body(response)
    assert response.status_code == 200 and 'id="err-name" hx-swap-oob="true"' in html
    assert "already exists" in html and "is not a currency code we know" in html
    assert 'id="err-budget" hx-swap-oob="true" aria-live="polite"></ul>' in html  # untouched, empty: no error shown
    assert Campaign.objects.count() == 1
    response = alice_client.post("/campaigns/new/?validate=1", {"name": "", "_changed": "name"}, HTTP_HX_REQUEST="true")
    html = body(response)
    assert "This field is required." in html.split('id="err-name"')[1].split("</ul>")[0]
    assert "This field is required." not in html.split('id="err-objective"')[1].split("</ul>")[0]


def test_archived_campaign_cannot_be_edited(alice_client, alice, tree):
    campaign = tree[0]
    services.campaign_archive(campaign=campaign, actor=alice)
    response = alice_client.get(f"/campaigns/{campaign.pk}/edit/")
    assert response.status_code == 302
    response = alice_client.post(f"/campaigns/{campaign.pk}/edit/", {"name": "New name"}, follow=True)
    assert "archived" in body(response)
    assert Campaign.objects.get(pk=campaign.pk).name == "Cold brew"


@pytest.fixture
def many(alice, alice_org):
    def make(n, start=0):
        for i in range(start, start + n):
            c = services.campaign_create(organization=alice_org, actor=alice, name=f"Campaign {i:03}", objective="traffic",
                                         platforms=["meta"] if i % 2 else ["google"])
            s = services.ad_set_create(campaign=c, actor=alice, name="S", budget_minor=100)
            services.ad_create(ad_set=s, actor=alice, name="A")
    return make


def test_list_filters_sort_and_pagination(alice_client, alice, many):
    many(12)
    html = body(alice_client.get("/campaigns/?q=campaign 00&sort=name&per_page=10"))
    assert html.index("Campaign 000") < html.index("Campaign 009") and "Campaign 010" not in html
    html = body(alice_client.get("/campaigns/?sort=name&per_page=10&page=2"))
    assert "Campaign 011" in html and "Campaign 000" not in html and "Page 2 of 2" in html
    html = body(alice_client.get("/campaigns/?platform=meta&per_page=100"))
    assert "Campaign 001" in html and "Campaign 000" not in html
    c = Campaign.objects.get(name="Campaign 003")
    services.campaign_archive(campaign=c, actor=alice)
    assert "Campaign 003" not in body(alice_client.get("/campaigns/?per_page=100"))
    assert "Campaign 003" in body(alice_client.get("/campaigns/?status=archived"))
    partial = alice_client.get("/campaigns/?q=002", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="campaign-table")
    assert body(partial).startswith('<div id="campaign-table">') and "Campaign 002" in body(partial)


def test_bulk_actions(alice_client, many):
    many(3)
    ids = list(Campaign.objects.values_list("pk", flat=True))
    response = alice_client.post("/campaigns/bulk/", {"ids": ids[:2], "action": "activate", "next": "/campaigns/?sort=name"})
    assert response["Location"] == "/campaigns/?sort=name"
    assert sorted(Campaign.objects.values_list("status", flat=True)) == ["active", "active", "draft"]
    alice_client.post("/campaigns/bulk/", {"ids": ids, "action": "archive"})
    assert set(Campaign.objects.values_list("status", flat=True)) == {"archived"}
    response = alice_client.post("/campaigns/bulk/", {"ids": [], "action": "pause", "next": "https://evil.example/"})
    assert response["Location"] == "/campaigns/"


def test_csv_exports(alice_client, tree, yesterday):
    services.insights_upsert(ad=tree[2], rows=[{"platform": "meta", "date": yesterday, "impressions": 1000, "clicks": 20,
                                                 "spend_minor": 1234, "conversions": 2, "conversion_value_minor": 5000}])
    rows = list(csv.DictReader(io.StringIO(body(alice_client.get("/campaigns/export.csv")))))
    assert rows[0]["name"] == "Cold brew" and rows[0]["spend (major units)"] == "12.34" and rows[0]["roas (ratio)"] == "4.0519"
    report = list(csv.DictReader(io.StringIO(body(alice_client.get("/campaigns/report.csv?group_by=ad&range=7")))))
    assert report[0]["name"] == "Pour 15s" and report[0]["spend (major units)"] == "12.34" and report[0]["ctr (%)"] == "2.0000"
    assert alice_client.get("/campaigns/report.csv?group_by=country").status_code == 400


def test_list_page_query_count_is_constant(alice_client, many):
    many(3)
    alice_client.get("/campaigns/?per_page=5")  # the session is read from the database once, then from Redis
    with CaptureQueriesContext(connection) as small:
        assert alice_client.get("/campaigns/?per_page=100").status_code == 200
    many(30, start=3)
    with CaptureQueriesContext(connection) as large:
        response = alice_client.get("/campaigns/?per_page=100")
    assert body(response).count("data-campaign-id=") == 33
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
