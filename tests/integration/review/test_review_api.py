"""The renders API: list/detail fields and filters, every transition × every role (200 / 403),
409 naming the current state, 400 for a missing comment, 404 for another organization."""

import pytest

from kolony.notifications.models import Notification
from tests.integration.review.helpers import REVIEWERS, ROLES, SUBMITTERS, passing_policy
from videogen.models import Render
from videogen.review import services
from videogen.review.models import PolicyFinding, RenderComment, ReviewStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(monkeypatch):
    monkeypatch.setattr("videogen.review.policy.policy_check", passing_policy)


def _url(render, action=""):
    return f"/api/v1/renders/{render.pk}/" + (f"{action}/" if action else "")


@pytest.mark.parametrize("role", ROLES)
def test_submit_via_api_by_every_role(role, api_as, review_render):
    response = api_as(role).post(_url(review_render, "submit"), {"comment": "Ready"}, format="json")
    if role in SUBMITTERS:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["review_status"] == "in_review" and body["id"] == review_render.pk and body["submitted_by"]["id"]
    else:
        assert response.status_code == 403
        assert "cannot submit" in response.json()["detail"]
        assert Render.objects.get(pk=review_render.pk).review_status == ReviewStatus.DRAFT


@pytest.mark.parametrize("action", ["approve", "request-changes", "withdraw"])
@pytest.mark.parametrize("role", ROLES)
def test_decisions_via_api_by_every_role(role, action, api_as, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    allowed = REVIEWERS if action != "withdraw" else SUBMITTERS
    response = api_as(role).post(_url(review_render, action), {"comment": "Tighter cut at 0:03"}, format="json")
    state = Render.objects.get(pk=review_render.pk).review_status
    if role in allowed:
        assert response.status_code == 200, response.content
        expected = {"approve": "approved", "request-changes": "changes_requested", "withdraw": "draft"}[action]
        assert response.json()["review_status"] == expected == state
    else:
        assert response.status_code == 403, response.content
        assert state == ReviewStatus.IN_REVIEW


def test_a_second_approve_is_409_naming_the_state(alice_api, api_for, dana, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    assert api_for(dana).post(_url(review_render, "approve"), {}, format="json").status_code == 200
    again = alice_api.post(_url(review_render, "approve"), {}, format="json")
    assert again.status_code == 409
    body = again.json()
    assert "is approved (by Dana Reviewer)" in body["detail"] and body["errors"]["review_status"]


def test_submitting_an_approved_render_is_409(api_for, bob, dana, review_render):
    services.render_submit(render=review_render, user=bob)
    services.render_approve(render=review_render, user=dana)
    response = api_for(bob).post(_url(review_render, "submit"), {}, format="json")
    assert response.status_code == 409 and "is approved" in response.json()["detail"]


def test_request_changes_needs_a_comment(api_for, dana, bob, review_render):
    services.render_submit(render=review_render, user=bob)
    for body in ({}, {"comment": ""}, {"comment": "   "}):
        response = api_for(dana).post(_url(review_render, "request-changes"), body, format="json")
        assert response.status_code == 400 and "comment" in response.json()["errors"], body
    assert Render.objects.get(pk=review_render.pk).review_status == ReviewStatus.IN_REVIEW
    assert not RenderComment.objects.exists()


def test_second_pair_rule_is_403_via_api(alice_org, alice_api, alice, render_for):
    mine = render_for(alice_org, alice, title="Alice's own")
    services.render_submit(render=mine, user=alice)
    response = alice_api.post(_url(mine, "approve"), {}, format="json")
    assert response.status_code == 403 and "second pair of eyes" in response.json()["detail"]


def test_blocking_finding_is_409_naming_it(api_for, dana, bob, review_render):
    services.render_submit(render=review_render, user=bob)
    PolicyFinding.objects.create(render=review_render, rule="spec.bumper_duration", severity="blocking",
                                 message="Bumper ads are exactly 6 s; this one is 1.0 s.", fingerprint="b")
    response = api_for(dana).post(_url(review_render, "approve"), {}, format="json")
    assert response.status_code == 409
    assert "spec.bumper_duration" in response.json()["detail"] and "exactly 6 s" in response.json()["detail"]


def test_detail_carries_files_findings_and_counts(alice_api, bob, dana, review_render):
    services.render_submit(render=review_render, user=bob)
    PolicyFinding.objects.create(render=review_render, rule="claims.guaranteed_results", severity="warning",
                                 message="Guaranteed results", fingerprint="w", scene_key="s1", field="on_screen_text")
    services.render_request_changes(render=review_render, user=dana, comment="Drop the guarantee")
    body = alice_api.get(_url(review_render)).json()
    assert body["id"] == review_render.pk and body["job"] == review_render.job_id and body["number"] == 1
    assert body["review_status"] == "changes_requested" and body["comments_count"] == 1
    assert body["decided_by"]["name"] == "Dana Reviewer" and body["decided_at"]
    assert set(body["outputs"]) == {"9:16", "16:9"}
    download = alice_api.get(body["outputs"]["9:16"]["url"])
    assert download.status_code == 200 and b"ftyp" in b"".join(download.streaming_content)[:64]
    finding = body["policy_findings"][0]
    assert finding["severity"] == "warning" and finding["rule"] == "claims.guaranteed_results" and finding["accepted"] is False
    assert finding["scene_key"] == "s1" and finding["field"] == "on_screen_text"


def test_list_filters_by_state_campaign_and_job(alice_org, alice_api, bob, render_for, tree):
    campaign = tree[0]
    a = render_for(alice_org, bob, title="For the campaign", campaign=campaign)
    b = render_for(alice_org, bob, title="No campaign")
    services.render_submit(render=a, user=bob)
    ids = lambda resp: sorted(r["id"] for r in resp.json()["results"])  # noqa: E731
    assert ids(alice_api.get("/api/v1/renders/")) == sorted([a.pk, b.pk])
    assert ids(alice_api.get("/api/v1/renders/?review_status=in_review")) == [a.pk]
    assert ids(alice_api.get("/api/v1/renders/?review_status=draft")) == [b.pk]
    assert ids(alice_api.get(f"/api/v1/renders/?campaign={campaign.pk}")) == [a.pk]
    assert ids(alice_api.get(f"/api/v1/renders/?job={b.job_id}")) == [b.pk]
    for junk in ("review_status=shipped", "campaign=abc", "job=-1", "job=99999999999999999999999"):
        response = alice_api.get(f"/api/v1/renders/?{junk}")
        assert response.status_code == 400 and junk.split("=")[0] in response.json()["errors"], junk


def test_job_detail_renders_carry_id_and_review_status(alice_api, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    renders = alice_api.get(f"/api/v1/video-jobs/{review_render.job_id}/").json()["renders"]
    assert renders[0]["id"] == review_render.pk and renders[0]["review_status"] == "in_review"


def test_another_organization_gets_404_everywhere(charlie_api, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    assert charlie_api.get(_url(review_render)).status_code == 404
    for action in ("submit", "withdraw", "approve", "request-changes"):
        assert charlie_api.post(_url(review_render, action), {"comment": "x"}, format="json").status_code == 404
    assert charlie_api.get("/api/v1/renders/").json()["results"] == []
    assert Render.objects.get(pk=review_render.pk).review_status == ReviewStatus.IN_REVIEW


def test_deleted_job_answers_404(api_for, dana, bob, review_render):
    services.render_submit(render=review_render, user=bob)
    review_render.job.delete()
    assert api_for(dana).post(_url(review_render, "approve"), {}, format="json").status_code == 404


def test_reviewers_are_notified_on_submit_and_submitter_on_decision(api_for, bob, dana, alice, review_render):
    api_for(bob).post(_url(review_render, "submit"), {}, format="json")
    assert set(Notification.objects.filter(kind="review.submitted").values_list("recipient", flat=True)) == {dana.pk, alice.pk}
    api_for(dana).post(_url(review_render, "approve"), {}, format="json")
    assert list(Notification.objects.filter(kind="review.approved").values_list("recipient", flat=True)) == [bob.pk]


@pytest.mark.parametrize("role", sorted(set(ROLES) - REVIEWERS))
def test_a_role_that_may_not_gets_403_before_the_body_is_checked(role, api_as, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    response = api_as(role).post(_url(review_render, "request-changes"), {}, format="json")
    assert response.status_code == 403 and "cannot request changes" in response.json()["detail"]
