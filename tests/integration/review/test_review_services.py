"""Review transitions through the services: every transition × every role, the second-pair-of-eyes
rule on and off, superseding, blocking findings, conflicts, a deleted job, audit and notifications."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kolony.accounts.audit_display import audit_sentence
from kolony.accounts.models import AuditEvent
from kolony.notifications.models import Notification
from tests.integration.review.helpers import REVIEWERS, ROLES, SUBMITTERS, passing_policy
from videogen.models import Render
from videogen.review import services
from videogen.review.models import PolicyFinding, RenderComment, ReviewStatus
from videogen.review.services import ReviewConflict

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(monkeypatch):
    monkeypatch.setattr("videogen.review.policy.policy_check", passing_policy)


def _state(render):
    return Render.objects.get(pk=render.pk).review_status


@pytest.mark.parametrize("role", ROLES)
def test_submit_by_every_role(role, user_as, review_render, dana, alice):
    user = user_as(role)
    if role not in SUBMITTERS:
        with pytest.raises(PermissionDenied, match="cannot submit"):
            services.render_submit(render=review_render, user=user)
        assert _state(review_render) == ReviewStatus.DRAFT
        assert not AuditEvent.objects.filter(action="render.submitted").exists()
        return
    render = services.render_submit(render=review_render, user=user, comment="Logo is new — check the end card")
    assert render.review_status == ReviewStatus.IN_REVIEW and _state(render) == ReviewStatus.IN_REVIEW
    assert render.submitted_by == user and render.submitted_at is not None
    assert render.policy_status == "passed"
    event = AuditEvent.objects.get(action="render.submitted")
    assert event.actor == user and event.metadata["version"] == 1
    assert "submitted version 1 of the video job ‘Cold brew’ for review" in audit_sentence(event)
    told = set(Notification.objects.filter(kind="review.submitted").values_list("recipient__email", flat=True))
    # reviewers who may approve it: dana, and alice unless she is the submitter (bob created it)
    assert told == ({dana.email, alice.email} - {user.email})
    assert RenderComment.objects.get(render=render).body == "Logo is new — check the end card"


@pytest.mark.parametrize("role", ROLES)
def test_withdraw_by_every_role(role, user_as, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    user = user_as(role)
    if role not in SUBMITTERS:
        with pytest.raises(PermissionDenied, match="cannot withdraw"):
            services.render_withdraw(render=review_render, user=user)
        assert _state(review_render) == ReviewStatus.IN_REVIEW
        return
    render = services.render_withdraw(render=review_render, user=user)
    assert render.review_status == ReviewStatus.DRAFT and _state(render) == ReviewStatus.DRAFT
    assert AuditEvent.objects.filter(action="render.withdrawn", actor=user).count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_approve_by_every_role(role, user_as, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    user = user_as(role)
    if role not in REVIEWERS:
        with pytest.raises(PermissionDenied, match="cannot approve"):
            services.render_approve(render=review_render, user=user)
        assert _state(review_render) == ReviewStatus.IN_REVIEW
        assert not Notification.objects.filter(kind="review.approved").exists()
        return
    render = services.render_approve(render=review_render, user=user)
    assert _state(render) == ReviewStatus.APPROVED and render.decided_by == user and render.decided_at
    assert AuditEvent.objects.filter(action="render.approved", actor=user).count() == 1
    note = Notification.objects.get(kind="review.approved")
    assert note.recipient == bob and "approved v1 of ‘Cold brew’" in note.message
    assert note.url == f"/studio/renders/{render.pk}/"


@pytest.mark.parametrize("role", ROLES)
def test_request_changes_by_every_role(role, user_as, review_render, bob):
    services.render_submit(render=review_render, user=bob)
    user = user_as(role)
    if role not in REVIEWERS:
        with pytest.raises(PermissionDenied, match="cannot request changes"):
            services.render_request_changes(render=review_render, user=user, comment="Shorter intro")
        assert _state(review_render) == ReviewStatus.IN_REVIEW and not RenderComment.objects.exists()
        return
    render = services.render_request_changes(render=review_render, user=user, comment="0:03 logo cut off in 9:16")
    assert _state(render) == ReviewStatus.CHANGES_REQUESTED and render.decided_by == user
    comment = RenderComment.objects.get(render=render)
    assert comment.body == "0:03 logo cut off in 9:16" and comment.author == user
    assert AuditEvent.objects.filter(action="render.changes_requested", actor=user).count() == 1
    note = Notification.objects.get(kind="review.changes_requested")
    assert note.recipient == bob and "0:03 logo cut off in 9:16" in note.message


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_request_changes_needs_a_comment(comment, review_render, bob, dana):
    services.render_submit(render=review_render, user=bob)
    with pytest.raises(ValidationError) as exc:
        services.render_request_changes(render=review_render, user=dana, comment=comment)
    assert "comment" in exc.value.message_dict
    assert _state(review_render) == ReviewStatus.IN_REVIEW and not RenderComment.objects.exists()


def test_changes_requested_can_be_resubmitted_then_approved(review_render, bob, dana):
    services.render_submit(render=review_render, user=bob)
    services.render_request_changes(render=review_render, user=dana, comment="Brighter end card")
    render = services.render_submit(render=review_render, user=bob)
    assert render.review_status == ReviewStatus.IN_REVIEW and render.decided_by is None
    assert services.render_approve(render=review_render, user=dana).review_status == ReviewStatus.APPROVED


# (transition, states it may start from)
SOURCES = {
    "submit": {ReviewStatus.DRAFT, ReviewStatus.CHANGES_REQUESTED},
    "withdraw": {ReviewStatus.IN_REVIEW},
    "approve": {ReviewStatus.IN_REVIEW},
    "request_changes": {ReviewStatus.IN_REVIEW},
}


@pytest.mark.parametrize(("transition", "state"), [(t, s) for t in sorted(SOURCES) for s in ReviewStatus if s not in SOURCES[t]])
def test_a_transition_from_the_wrong_state_is_a_conflict_naming_the_state(transition, state, review_render, alice):
    Render.objects.filter(pk=review_render.pk).update(review_status=state)
    kwargs = {"comment": "Please fix"} if transition == "request_changes" else {}
    with pytest.raises(ReviewConflict) as exc:
        services.TRANSITION_SERVICES[transition](render=review_render, user=alice, **kwargs)
    assert exc.value.current_state == state
    assert state.label.lower() in exc.value.messages[0] and "Version 1 of ‘Cold brew’" in exc.value.messages[0]
    assert _state(review_render) == state
    assert not AuditEvent.objects.filter(action__startswith="render.").exists()


def test_second_pair_rule_on_blocks_the_submitter_and_the_creator(alice_org, alice, bob, dana, render_for):
    mine = render_for(alice_org, alice, title="Alice's own")
    services.render_submit(render=mine, user=alice)  # alice created and submitted it
    with pytest.raises(PermissionDenied, match="second pair of eyes"):
        services.render_approve(render=mine, user=alice)
    assert _state(mine) == ReviewStatus.IN_REVIEW

    created = render_for(alice_org, alice, title="Made by alice")
    services.render_submit(render=created, user=bob)  # bob submits what alice created
    with pytest.raises(PermissionDenied, match="you created it"):
        services.render_approve(render=created, user=alice)
    assert services.render_approve(render=created, user=dana).review_status == ReviewStatus.APPROVED


def test_second_pair_rule_off_lets_the_submitter_approve(alice_org, alice, render_for):
    services.organization_review_settings_update(organization=alice_org, user=alice, require_second_reviewer=False)
    alice_org.refresh_from_db()
    mine = render_for(alice_org, alice, title="Alice's own")
    services.render_submit(render=mine, user=alice)
    assert services.render_approve(render=mine, user=alice).review_status == ReviewStatus.APPROVED


def test_review_setting_is_for_owners_and_admins_and_audited(alice_org, alice, user_as):
    for role in ("editor", "reviewer", "viewer"):
        with pytest.raises(PermissionDenied):
            services.organization_review_settings_update(organization=alice_org, user=user_as(role), require_second_reviewer=False)
    alice_org.refresh_from_db()
    assert alice_org.require_second_reviewer is True
    admin = user_as("admin")
    services.organization_review_settings_update(organization=alice_org, user=admin, require_second_reviewer=False)
    alice_org.refresh_from_db()
    assert alice_org.require_second_reviewer is False
    event = AuditEvent.objects.get(action="organization.review_settings_changed")
    assert event.actor == admin and event.metadata["changes"] == {"require_second_reviewer": [True, False]}
    services.organization_review_settings_update(organization=alice_org, user=admin, require_second_reviewer=False)
    assert AuditEvent.objects.filter(action="organization.review_settings_changed").count() == 1  # no change, no event


def test_submitting_a_newer_version_withdraws_the_older_one(alice_org, bob, review_render, render_for):
    services.render_submit(render=review_render, user=bob)
    v2 = render_for(alice_org, bob, job=review_render.job, number=2)
    services.render_submit(render=v2, user=bob)
    assert _state(review_render) == ReviewStatus.DRAFT and _state(v2) == ReviewStatus.IN_REVIEW
    event = AuditEvent.objects.get(action="render.superseded")
    assert event.metadata == {"render": review_render.pk, "version": 1, "superseded_by": 2}
    assert "a newer version was submitted" in audit_sentence(event)
    # an older version may still be submitted again: it then supersedes v2
    services.render_submit(render=review_render, user=bob)
    assert _state(review_render) == ReviewStatus.IN_REVIEW and _state(v2) == ReviewStatus.DRAFT


def test_blocking_findings_stop_approval_and_warnings_do_not(review_render, bob, dana):
    services.render_submit(render=review_render, user=bob)
    PolicyFinding.objects.create(render=review_render, rule="claims.guaranteed_results", severity="warning",
                                 message="“Guaranteed” is a claim the platforms reject.", fingerprint="w1")
    blocking = PolicyFinding.objects.create(render=review_render, rule="landing_url.missing", severity="blocking",
                                            message="The brief has no landing URL.", fingerprint="b1")
    with pytest.raises(ReviewConflict) as exc:
        services.render_approve(render=review_render, user=dana)
    assert "landing_url.missing" in exc.value.messages[0] and "The brief has no landing URL." in exc.value.messages[0]
    assert "claims.guaranteed_results" not in exc.value.messages[0]
    assert _state(review_render) == ReviewStatus.IN_REVIEW
    blocking.delete()  # fixed: the next check no longer finds it
    assert services.render_approve(render=review_render, user=dana).review_status == ReviewStatus.APPROVED


def test_a_render_whose_job_was_deleted_is_a_clear_error(review_render, bob, dana):
    services.render_submit(render=review_render, user=bob)
    review_render.job.delete()
    with pytest.raises(ReviewConflict, match="its video job was deleted") as exc:
        services.render_approve(render=review_render, user=dana)
    assert exc.value.current_state == "deleted"
    assert not AuditEvent.objects.filter(action="render.approved").exists()


def test_another_organizations_member_may_not_transition(review_render, charlie, bob):
    with pytest.raises(PermissionDenied, match="not a member"):
        services.render_submit(render=review_render, user=charlie)
    services.render_submit(render=review_render, user=bob)
    with pytest.raises(PermissionDenied):
        services.render_approve(render=review_render, user=charlie)
    assert _state(review_render) == ReviewStatus.IN_REVIEW


def test_submit_runs_the_policy_checks(monkeypatch, review_render, bob):
    calls = []

    def check(*, render, stage="submit"):
        calls.append((render.pk, stage, render.review_status))
        return passing_policy(render=render, stage=stage)

    monkeypatch.setattr("videogen.review.policy.policy_check", check)
    services.render_submit(render=review_render, user=bob)
    assert calls == [(review_render.pk, "submit", ReviewStatus.IN_REVIEW)]
