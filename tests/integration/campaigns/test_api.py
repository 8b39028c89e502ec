"""REST API: every route for each role, tenant isolation, smallest create, bad input, archive on
DELETE, filters, insights, KPIs, OpenAPI schema and the list's constant query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.models import Ad, AdSet, Campaign

pytestmark = pytest.mark.django_db
ROLES = ["owner", "admin", "editor", "reviewer", "viewer"]
EDITORS = {"owner", "admin", "editor"}


def read_urls(campaign, ad_set, ad, insight_id):
    return [
        "/api/v1/campaigns/", f"/api/v1/campaigns/{campaign.pk}/", "/api/v1/ad-sets/", f"/api/v1/ad-sets/{ad_set.pk}/",
        "/api/v1/ads/", f"/api/v1/ads/{ad.pk}/", f"/api/v1/insights/?ad={ad.pk}", f"/api/v1/insights/{insight_id}/",
        "/api/v1/kpis/?group_by=campaign",
    ]


@pytest.fixture
def objs(tree, yesterday):
    services.insights_upsert(ad=tree[2], rows=[{"platform": "meta", "date": yesterday, "impressions": 100, "clicks": 4,
                                                 "spend_minor": 200}])
    return (*tree, tree[2].insights.get().pk)


@pytest.mark.parametrize("role", ROLES)
def test_routes_by_role(role, api_as, objs):
    api = api_as(role)
    campaign, ad_set, ad, insight_id = objs
    for url in read_urls(*objs):
        assert api.get(url).status_code == 200, url
    can = role in EDITORS
    writes = [
        ("post", "/api/v1/campaigns/", {"name": f"New {role}", "objective": "traffic", "platforms": ["meta"]}, 201),
        ("post", "/api/v1/ad-sets/", {"campaign": campaign.pk, "name": f"Set {role}", "budget_minor": 100}, 201),
        ("post", "/api/v1/ads/", {"ad_set": ad_set.pk, "name": f"Ad {role}"}, 201),
        ("patch", f"/api/v1/campaigns/{campaign.pk}/", {"name": f"Renamed {role}"}, 200),
        ("patch", f"/api/v1/ad-sets/{ad_set.pk}/", {"name": f"Set renamed {role}"}, 200),
        ("patch", f"/api/v1/ads/{ad.pk}/", {"headline": "Hello"}, 200),
        ("delete", f"/api/v1/ads/{ad.pk}/", None, 200),
        ("delete", f"/api/v1/ad-sets/{ad_set.pk}/", None, 200),
        ("delete", f"/api/v1/campaigns/{campaign.pk}/", None, 200),
    ]
    for method, url, data, ok in writes:
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code == (ok if can else 403), (url, response.json())
    assert api.post("/api/v1/insights/", {}, format="json").status_code == (405 if can else 403)
    if not can:
        assert Campaign.objects.get(pk=campaign.pk).name == "Cold brew" and Campaign.objects.count() == 1


def test_charlie_gets_404_everywhere(charlie_api, objs):
    campaign, ad_set, ad, insight_id = objs
    for url in read_urls(*objs)[:-1]:
        response = charlie_api.get(url)
        if url.endswith("/") and url.count("/") > 4:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 200 and response.json()["count"] == 0, url
    for url in (f"/api/v1/campaigns/{campaign.pk}/", f"/api/v1/ad-sets/{ad_set.pk}/", f"/api/v1/ads/{ad.pk}/"):
        assert charlie_api.patch(url, {"name": "x"}, format="json").status_code == 404
        assert charlie_api.delete(url).status_code == 404
    response = charlie_api.post("/api/v1/ad-sets/", {"campaign": campaign.pk, "name": "S", "budget_minor": 100}, format="json")
    assert response.status_code == 400 and "in your organization" in response.json()["errors"]["campaign"][0]
    response = charlie_api.post("/api/v1/ads/", {"ad_set": ad_set.pk, "name": "A"}, format="json")
    assert response.status_code == 400 and "ad_set" in response.json()["errors"]
    kpis = charlie_api.get(f"/api/v1/kpis/?campaign={campaign.pk}").json()
    assert kpis["totals"]["impressions"] == 0
    assert Campaign.objects.get(pk=campaign.pk).status == "draft" and AdSet.objects.count() == 1 and Ad.objects.count() == 1


def test_other_org_header_is_404(alice_api, charlie_org):
    response = alice_api.get("/api/v1/campaigns/", HTTP_X_KOLONY_ORGANIZATION=str(charlie_org.pk))
    assert response.status_code == 404


def test_smallest_create(alice_api):
    response = alice_api.post("/api/v1/campaigns/", {"name": "Spring launch", "objective": "traffic", "platforms": ["meta"]},
                              format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["id"] and data["status"] == "draft" and data["meta_objective"] == "OUTCOME_TRAFFIC"
    assert data["currency"] == "USD" and data["budget_level"] == "ad_set" and data["special_ad_categories"] == []


def test_bad_input_is_per_field_and_saves_nothing(alice_api, objs):
    campaign, ad_set, _, _ = objs
    response = alice_api.post("/api/v1/campaigns/", {
        "name": "Cold brew", "objective": "traffic", "platforms": ["meta"], "currency": "XYZ", "budget_level": "campaign",
        "budget_minor": 0, "starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-03-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "currency", "budget_minor", "ends_at"}
    response = alice_api.post("/api/v1/campaigns/", {"name": "X", "objective": "fame", "platforms": "meta"}, format="json")
    assert response.status_code == 400 and {"objective", "platforms"} <= set(response.json()["errors"])
    response = alice_api.post("/api/v1/ad-sets/", {"campaign": campaign.pk, "name": "T", "budget_minor": -100,
                                                   "targeting": {"countries": ["US", "XX"], "age_min": "old"}}, format="json")
    errors = response.json()["errors"]
    assert response.status_code == 400 and set(errors) == {"budget_minor", "targeting"}
    assert any("countries[1]" in m for m in errors["targeting"]) or any("age_min" in m for m in errors["targeting"])
    assert Campaign.objects.count() == 1 and AdSet.objects.count() == 1


def test_delete_archives_and_archived_is_read_only(alice_api, objs):
    campaign = objs[0]
    response = alice_api.delete(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 200 and response.json()["status"] == "archived"
    assert alice_api.get(f"/api/v1/campaigns/{campaign.pk}/").json()["status"] == "archived"
    assert alice_api.get(f"/api/v1/ads/{objs[2].pk}/").json()["status"] == "archived"
    response = alice_api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "Again"}, format="json")
    assert response.status_code == 400 and "archived" in response.json()["errors"]["non_field_errors"][0]
    assert alice_api.get("/api/v1/campaigns/").json()["count"] == 0
    assert alice_api.get("/api/v1/campaigns/?status=archived").json()["count"] == 1


def test_filters_and_pagination(alice, alice_org, alice_api):
    for i in range(55):
        services.campaign_create(organization=alice_org, actor=alice, name=f"C{i:02}", objective="sales" if i % 5 else "leads",
                                 platforms=["google"] if i == 7 else ["meta"])
    page1 = alice_api.get("/api/v1/campaigns/?ordering=name").json()
    assert page1["count"] == 55 and len(page1["results"]) == 50 and page1["results"][0]["name"] == "C00"
    assert len(alice_api.get("/api/v1/campaigns/?page=2").json()["results"]) == 5
    assert alice_api.get("/api/v1/campaigns/?objective=leads").json()["count"] == 11
    assert [c["name"] for c in alice_api.get("/api/v1/campaigns/?platform=google").json()["results"]] == ["C07"]
    assert alice_api.get("/api/v1/campaigns/?search=c1").json()["count"] == 10


def test_ad_upload_via_multipart(alice_api, objs, make_mp4):
    ad_set = objs[1]
    response = alice_api.post("/api/v1/ads/", {"ad_set": ad_set.pk, "name": "Video", "status": "active", "creative": make_mp4()},
                              format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["creative"].endswith(".mp4")
    response = alice_api.post("/api/v1/ads/", {"ad_set": ad_set.pk, "name": "Bad", "creative": make_mp4("x.mp4", b"nope" * 10)},
                              format="multipart")
    assert response.status_code == 400 and "creative" in response.json()["errors"]


def test_insights_and_kpis(alice_api, objs, yesterday):
    campaign, _, ad, _ = objs
    rows = alice_api.get(f"/api/v1/insights/?ad={ad.pk}&from={yesterday}&to={yesterday}").json()["results"]
    assert rows[0]["spend_minor"] == 200 and rows[0]["platform"] == "meta"
    assert alice_api.get(f"/api/v1/insights/?from={yesterday + dt.timedelta(days=1)}").json()["count"] == 0
    assert alice_api.get("/api/v1/insights/?from=2026-02-02&to=2026-02-01").status_code == 400
    data = alice_api.get(f"/api/v1/kpis/?from={yesterday}&to={yesterday}&group_by=day").json()
    assert data["totals"]["ctr"] == pytest.approx(0.04) and data["totals"]["cpm_minor"] == pytest.approx(2000.0)
    assert data["results"][0]["date"] == str(yesterday) and data["totals"]["roas"] == 0.0
    default = alice_api.get("/api/v1/kpis/").json()
    assert default["group_by"] is None and default["totals"]["spend_minor"] == 200 and default["results"] == []
    by_campaign = alice_api.get("/api/v1/kpis/?group_by=campaign").json()["results"]
    assert by_campaign[0]["id"] == campaign.pk and by_campaign[0]["name"] == "Cold brew"
    assert alice_api.get("/api/v1/kpis/?group_by=country").status_code == 400
    assert alice_api.get("/api/v1/kpis/?from=2026-03-02&to=2026-03-01").status_code == 400


def test_openapi_schema_lists_routes_with_examples(alice_api):
    schema = alice_api.get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/campaigns/", "/api/v1/campaigns/{id}/", "/api/v1/ad-sets/", "/api/v1/ads/", "/api/v1/insights/",
                 "/api/v1/kpis/"):
        assert path in schema["paths"], path
    create = schema["paths"]["/api/v1/campaigns/"]["post"]
    examples = create["requestBody"]["content"]["application/json"]["examples"]
    assert any(e["value"] == {"name": "Spring launch", "objective": "traffic", "platforms": ["meta"]} for e in examples.values())


def test_api_list_query_count_is_constant(alice, alice_org, alice_api):
    def make(n, start):
        for i in range(start, start + n):
            c = services.campaign_create(organization=alice_org, actor=alice, name=f"C{i}", objective="traffic", platforms=["meta"])
            services.ad_set_create(campaign=c, actor=alice, name="S", budget_minor=100)

    make(2, 0)
    alice_api.get("/api/v1/ad-sets/")  # signs in: the token's user and memberships are cached from here on
    with CaptureQueriesContext(connection) as small:
        assert alice_api.get("/api/v1/campaigns/").status_code == 200
    make(40, 2)
    with CaptureQueriesContext(connection) as large:
        assert len(alice_api.get("/api/v1/campaigns/").json()["results"]) == 42
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as ad_sets:
        alice_api.get("/api/v1/ad-sets/")
    assert len(ad_sets) == len(small)
