"""The variant pages (Make variants on a job, the set page) and the API (issue 17)."""

import pytest

from tests.integration.platforms.publish_helpers import (
    ad_set_for,
    connect,
)
from videogen.models import VariantSet
from videogen.variants import services

pytestmark = pytest.mark.django_db
HOOKS = ["Meet Aurora.", "Tired of bitter coffee?", "20% off cold brew this week."]


def test_make_variants_from_the_job_page(base_job, bob, client_for):
    client = client_for(bob)
    page = client.get(f"/studio/jobs/{base_job.pk}/").content.decode()
    assert f"/studio/jobs/{base_job.pk}/variants/new/" in page and "Make variants" in page
    for factor in ("hook", "voice", "call_to_action", "music_mood", "layout_family", "first_scene_image"):
        res = client.get(f"/studio/jobs/{base_job.pk}/variants/new/?factor={factor}&n=3")
        assert res.status_code == 200, factor
        assert res.content.decode().count('data-testid="variant-level"') >= 2, factor
    res = client.post(f"/studio/jobs/{base_job.pk}/variants/new/", {"factor": "hook", "n": 3, "level": HOOKS})
    vs = VariantSet.objects.get()
    assert res.status_code == 302 and res["Location"] == f"/studio/variants/{vs.pk}/"
    page = client.get(res["Location"]).content.decode()
    for i, hook in enumerate(HOOKS, start=1):
        assert f"v{i}{' (control)' if i == 1 else ''}: {hook}" in page
    assert page.count('data-testid="not-rendered"') == 3
    assert "once every variant is approved" in page
    job_page = client.get(f"/studio/jobs/{vs.jobs.order_by('pk').last().pk}/").content.decode()
    assert "Variant of the test" in job_page and "Tired of bitter" not in job_page.split("Variant of the test")[0][-50:]


def test_bad_levels_show_the_problem_on_the_form(base_job, bob, client_for):
    res = client_for(bob).post(f"/studio/jobs/{base_job.pk}/variants/new/", {"factor": "hook", "level": ["Same", "same"]})
    assert res.status_code == 400
    assert "same as level 1" in res.content.decode()
    assert not VariantSet.objects.exists()


def test_submit_approve_and_publish_from_the_set_page(base_job, bob, dana, alice, alice_org, client_for, rendered, fake):
    vs = services.variant_set_create(user=bob, job=base_job, factor="hook", levels=HOOKS)
    rendered(vs, bob)
    connect(alice_org)
    ad_set = ad_set_for(alice_org, alice)
    editor, reviewer = client_for(bob), client_for(dana)
    page = reviewer.get(f"/studio/variants/{vs.pk}/").content.decode()
    assert 'data-testid="approve-set"' not in page  # nothing in review yet
    editor.post(f"/studio/variants/{vs.pk}/submit/")
    page = reviewer.get(f"/studio/variants/{vs.pk}/").content.decode()
    assert page.count('data-review-status="in_review"') == 3 and 'data-testid="approve-set"' in page
    reviewer.post(f"/studio/variants/{vs.pk}/approve/")
    page = editor.get(f"/studio/variants/{vs.pk}/").content.decode()
    assert page.count('data-review-status="approved"') == 3 and 'data-testid="publish-set-form"' in page
    res = editor.post(f"/studio/variants/{vs.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk})
    assert res.status_code == 302
    page = editor.get(f"/studio/variants/{vs.pk}/").content.decode()
    assert page.count('data-testid="publication-status"') == 3 and f"/experiments/{vs.pk}/" in page
    assert "Aurora — hook: Tired of bitter coffee? (v2)" in page


def test_api_create_list_detail_approve_publish(base_job, bob, dana, alice, alice_org, api_for, rendered, fake):
    api = api_for(bob)
    assert api.post("/api/v1/variant-sets/propose/", {"job": base_job.pk, "factor": "hook", "n": 3},
                    format="json").json()[0]["source"] == "control"
    res = api.post("/api/v1/variant-sets/", {"job": base_job.pk, "factor": "hook", "levels": ["Only one"]}, format="json")
    assert res.status_code == 400 and "2–5 levels" in res.json()["errors"]["levels"][0]
    res = api.post("/api/v1/variant-sets/", {"job": base_job.pk, "factor": "hook", "levels": HOOKS}, format="json")
    assert res.status_code == 201, res.content
    data = res.json()
    assert [v["level"] for v in data["variants"]] == HOOKS and data["variants"][0]["is_control"]
    vs = VariantSet.objects.get(pk=data["id"])
    assert [s["id"] for s in api.get("/api/v1/variant-sets/").json()["results"]] == [vs.pk] \
        if isinstance(api.get("/api/v1/variant-sets/").json(), dict) else True
    rendered(vs, bob)
    assert api.post(f"/api/v1/variant-sets/{vs.pk}/approve/").status_code == 403  # editors don't approve
    assert api_for(dana).post(f"/api/v1/variant-sets/{vs.pk}/approve/").status_code == 409  # nothing in review
    assert api.post(f"/api/v1/variant-sets/{vs.pk}/submit/").status_code == 200
    res = api_for(dana).post(f"/api/v1/variant-sets/{vs.pk}/approve/", {}, format="json")
    assert res.status_code == 200 and {v["review_status"] for v in res.json()["variants"]} == {"approved"}
    connect(alice_org)
    ad_set = ad_set_for(alice_org, alice)
    res = api.post(f"/api/v1/variant-sets/{vs.pk}/publish/", {"platform": "meta", "ad_set": ad_set.pk}, format="json")
    assert res.status_code == 202, res.content
    assert len(res.json()["publications"]) == 3 and res.json()["variant_set"]["status"] == "running"
