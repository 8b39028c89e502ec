"""The approvals page (tabs, campaign filter), the review page for every state × role, the page
forms of each transition, the team page's review setting, the job page's review column."""

import re

import pytest
from django.urls import reverse

from kolony.accounts.models import AuditEvent
from tests.integration.review.helpers import REVIEWERS, ROLES, SUBMITTERS, passing_policy
from videogen.models import Render
from videogen.review import services
from videogen.review.models import ReviewStatus

pytestmark = pytest.mark.django_db
APPROVALS = "/studio/approvals/"


@pytest.fixture(autouse=True)
def _policy(monkeypatch):
    monkeypatch.setattr("videogen.review.policy.policy_check", passing_policy)


def _rows(response) -> list[int]:
    return [int(i) for i in re.findall(r'class="review-row" data-render-id="(\d+)"', response.content.decode())]


@pytest.fixture
def board(alice_org, alice, bob, dana, render_for, tree):
    """bob's "Cold brew" v1 in review (for the campaign), alice's own "Espresso" in review, bob's
    "Latte" approved by dana, bob's "Mocha" in draft."""
    cold = render_for(alice_org, bob, title="Cold brew", campaign=tree[0])
    services.render_submit(render=cold, user=bob)
    espresso = render_for(alice_org, alice, title="Espresso")
    services.render_submit(render=espresso, user=alice)
    latte = render_for(alice_org, bob, title="Latte")
    services.render_submit(render=latte, user=bob)
    services.render_approve(render=latte, user=dana)
    mocha = render_for(alice_org, bob, title="Mocha")
    return {"cold": cold, "espresso": espresso, "latte": latte, "mocha": mocha, "campaign": tree[0]}


def test_waiting_for_me_lists_what_each_person_may_approve(board, client_for, alice, bob, dana):
    assert _rows(client_for(dana).get(APPROVALS)) == [board["cold"].pk, board["espresso"].pk]  # oldest first
    assert _rows(client_for(alice).get(APPROVALS)) == [board["cold"].pk]  # not her own (second pair of eyes)
    page = client_for(bob).get(APPROVALS)
    assert _rows(page) == [] and "Your role doesn't approve renders" in page.content.decode()


def test_my_submissions_and_recently_approved(board, client_for, alice, bob):
    mine = client_for(bob).get(APPROVALS + "?tab=mine")
    assert set(_rows(mine)) == {board["cold"].pk, board["latte"].pk}
    assert _rows(client_for(alice).get(APPROVALS + "?tab=mine")) == [board["espresso"].pk]
    approved = client_for(bob).get(APPROVALS + "?tab=approved")
    assert _rows(approved) == [board["latte"].pk]
    text = approved.content.decode()
    assert "Latte" in text and "approved" in text and "by Dana" in text


def test_rows_show_poster_title_version_policy_age_and_state(board, client_for, dana):
    text = client_for(dana).get(APPROVALS).content.decode()
    assert "Cold brew" in text and "v1" in text and "Policy checks passed" in text
    assert 'data-review-status="in_review"' in text and "submitted just now" in text
    assert 'data-tab-count="waiting">2<' in text


def test_campaign_filter(board, client_for, dana, charlie_org):
    assert _rows(client_for(dana).get(f"{APPROVALS}?campaign={board['campaign'].pk}")) == [board["cold"].pk]
    for junk in ("campaign=abc", "campaign=-3", "tab=everything"):
        assert client_for(dana).get(f"{APPROVALS}?{junk}").status_code == 400, junk


def test_another_organizations_campaign_filters_nothing_in(board, client_for, dana, charlie, charlie_org):
    from campaigns.models import Campaign

    other = Campaign.objects.filter(organization=charlie_org).first()
    campaign_id = other.pk if other else 999999
    assert _rows(client_for(dana).get(f"{APPROVALS}?campaign={campaign_id}")) == [board["cold"].pk, board["espresso"].pk]
    assert _rows(client_for(charlie).get(APPROVALS + "?tab=approved")) == []


def _buttons(response) -> set[str]:
    text = response.content.decode()
    return {b for b in ("approve", "request-changes", "submit-review", "withdraw") if f'data-testid="{b}"' in text}


EXPECTED = {  # state → role → buttons bob's render shows to that role
    "draft": {r: ({"submit-review"} if r in SUBMITTERS else set()) for r in ROLES},
    "in_review": {r: (({"approve", "request-changes"} if r in REVIEWERS else set()) | ({"withdraw"} if r in SUBMITTERS else set()))
                  for r in ROLES},
    "changes_requested": {r: ({"submit-review"} if r in SUBMITTERS else set()) for r in ROLES},
    "approved": {r: set() for r in ROLES},
}


@pytest.mark.parametrize("state", list(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_review_page_shows_the_actions_of_each_role_in_each_state(state, role, review_render, bob, dana, client_as):
    if state != "draft":
        services.render_submit(render=review_render, user=bob)
    if state == "approved":
        services.render_approve(render=review_render, user=dana)
    if state == "changes_requested":
        services.render_request_changes(render=review_render, user=dana, comment="Shorter <b>intro</b>")
    page = client_as(role).get(reverse("videogen:review", args=[review_render.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert _buttons(page) == EXPECTED[state][role]
    assert 'id="review-player"' in text and 'data-duration="1"' in text and 'data-ratio="9:16"' in text
    assert f'data-review-status="{state}"' in text
    assert "Shorter <b>intro</b>" not in text  # comment bodies escaped
    if state == "approved":
        assert "This version is frozen" in text


def test_review_page_for_the_submitter_under_the_second_pair_rule(alice_org, alice, client_for, render_for):
    mine = render_for(alice_org, alice, title="Espresso")
    services.render_submit(render=mine, user=alice)
    page = client_for(alice).get(reverse("videogen:review", args=[mine.pk]))
    assert "approve" not in _buttons(page) and "request-changes" in _buttons(page)
    assert "Someone else must approve this version" in page.content.decode()


def test_review_page_compares_with_the_previous_approved_version(alice_org, bob, dana, client_for, render_for, review_render):
    Render.objects.filter(pk=review_render.pk).update(plan_snapshot=[
        {"scene_key": "a", "on_screen_text": "Hot deal", "duration": 3}, {"scene_key": "b", "on_screen_text": "Order", "duration": 3}])
    services.render_submit(render=review_render, user=bob)
    services.render_approve(render=review_render, user=dana)
    v2 = render_for(alice_org, bob, job=review_render.job, number=2)
    Render.objects.filter(pk=v2.pk).update(plan_snapshot=[
        {"scene_key": "a", "on_screen_text": "Cold brew", "duration": 3}, {"scene_key": "b", "on_screen_text": "Order", "duration": 3}])
    services.render_submit(render=v2, user=bob)
    text = client_for(dana).get(reverse("videogen:review", args=[v2.pk])).content.decode()
    assert "Compared with the approved v1" in text
    assert 'data-scene="1"' in text and "Hot deal" in text and "Cold brew" in text
    assert text.count("data-compare-video></video>") == 2
    first = client_for(dana).get(reverse("videogen:review", args=[review_render.pk])).content.decode()
    assert 'data-testid="no-previous"' in first


def test_page_forms_run_each_transition(review_render, bob, dana, client_for):
    bob_c, dana_c = client_for(bob), client_for(dana)
    job_page = reverse("videogen:job", args=[review_render.job_id])
    response = bob_c.post(reverse("videogen:review_submit", args=[review_render.pk]), {"next": "job"})
    assert response.status_code == 302 and response["Location"].startswith(job_page)
    assert Render.objects.get(pk=review_render.pk).review_status == ReviewStatus.IN_REVIEW
    review = reverse("videogen:review", args=[review_render.pk])
    response = dana_c.post(reverse("videogen:review_request_changes", args=[review_render.pk]), {"comment": ""}, follow=True)
    assert "the comment is required" in response.content.decode()
    assert Render.objects.get(pk=review_render.pk).review_status == ReviewStatus.IN_REVIEW
    response = dana_c.post(reverse("videogen:review_request_changes", args=[review_render.pk]),
                           {"comment": "Brighter end card"}, follow=True)
    assert response.redirect_chain[-1][0] == review and "Sent v1 of ‘Cold brew’ back" in response.content.decode()
    bob_c.post(reverse("videogen:review_submit", args=[review_render.pk]))
    response = dana_c.post(reverse("videogen:review_approve", args=[review_render.pk]), follow=True)
    assert "Approved v1 of ‘Cold brew’" in response.content.decode()
    again = dana_c.post(reverse("videogen:review_approve", args=[review_render.pk]), follow=True)
    assert "is approved (by Dana Reviewer)" in again.content.decode()
    denied = bob_c.post(reverse("videogen:review_withdraw", args=[review_render.pk]), follow=True)
    assert "is approved" in denied.content.decode()


def test_a_role_that_may_not_sees_why(review_render, client_as):
    response = client_as("viewer").post(reverse("videogen:review_submit", args=[review_render.pk]), follow=True)
    assert "Your role (Viewer) cannot submit a render for review" in response.content.decode()
    assert Render.objects.get(pk=review_render.pk).review_status == ReviewStatus.DRAFT


def test_pages_escape_user_text(alice_org, bob, dana, client_for, render_for):
    evil = render_for(alice_org, bob, title='<script>alert("x")</script>')
    services.render_submit(render=evil, user=bob)
    for url in (APPROVALS, reverse("videogen:review", args=[evil.pk])):
        text = client_for(dana).get(url).content.decode()
        assert '<script>alert("x")</script>' not in text and "&lt;script&gt;" in text


def test_job_page_shows_review_badges_links_and_submit_for_editors(review_render, client_as, client_for, bob):
    url = reverse("videogen:job", args=[review_render.job_id])
    for role in ROLES:
        text = client_as(role).get(url).content.decode()
        assert 'data-review-status="draft"' in text and reverse("videogen:review", args=[review_render.pk]) in text
        assert ('data-testid="submit-review"' in text) == (role in SUBMITTERS), role
    services.render_submit(render=review_render, user=bob)
    text = client_for(bob).get(url).content.decode()
    assert 'data-review-status="in_review"' in text and 'data-testid="submit-review"' not in text


def test_team_page_review_setting(alice, alice_org, client_for, client_as):
    page = client_for(alice).get(reverse("accounts:team")).content.decode()
    assert "Require a second pair of eyes" in page and 'data-testid="require-second-reviewer" checked' in page
    response = client_for(alice).post(reverse("videogen:review_settings"), {}, follow=True)
    alice_org.refresh_from_db()
    assert alice_org.require_second_reviewer is False and "Second pair of eyes turned off" in response.content.decode()
    assert AuditEvent.objects.filter(action="organization.review_settings_changed", actor=alice).exists()
    client_for(alice).post(reverse("videogen:review_settings"), {"require_second_reviewer": "on"})
    alice_org.refresh_from_db()
    assert alice_org.require_second_reviewer is True
    for role in ("editor", "reviewer", "viewer"):
        client = client_as(role)
        assert client.post(reverse("videogen:review_settings"), {}).status_code == 403
        text = client.get(reverse("accounts:team")).content.decode()
        assert "A second pair of eyes is required" in text and 'name="require_second_reviewer"' not in text
    alice_org.refresh_from_db()
    assert alice_org.require_second_reviewer is True


def test_audit_log_reads_each_review_event(review_render, bob, dana, client_for, alice):
    services.render_submit(render=review_render, user=bob)
    services.render_request_changes(render=review_render, user=dana, comment="Shorter")
    services.render_submit(render=review_render, user=bob)
    services.render_approve(render=review_render, user=dana)
    text = client_for(alice).get(reverse("accounts:audit_log")).content.decode()
    for sentence in ("submitted version 1 of the video job", "requested changes to version 1 of the video job",
                     "approved version 1 of the video job"):
        assert sentence in text, sentence
