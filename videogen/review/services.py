"""Writes of the review workflow: submit a render version for review, withdraw it, approve it or
request changes, and the organization's "require a second pair of eyes" setting.

Every transition (issue 12):

- locks the render row (``select_for_update``), so of two people approving at once exactly one
  wins and the other gets :class:`ReviewConflict` naming the state it found;
- checks the actor's role against the one capabilities table (:data:`kolony.tenancy.CAPABILITIES`:
  ``submit`` = owners, admins, editors; ``review`` = owners, admins, reviewers) → PermissionDenied;
- moves ``Render.review_status`` with its django-fsm-2 transition, writes one AuditEvent and
  notifies (reviewers on submit, the submitter on approve / request changes).

Errors: ``PermissionDenied`` (role, or the second-pair-of-eyes rule), :class:`ReviewConflict`
(a :class:`~kolony.core.service_errors.ServiceConflict`: wrong state, render deleted, blocking
policy findings; the API answers 409), ``ValidationError`` (a missing comment).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django_fsm import can_proceed

from kolony.accounts.models import Membership, Organization, Role, User
from kolony.accounts.services import audit_log
from kolony.core.service_errors import ServiceConflict
from kolony.tenancy import CAPABILITIES, membership_for_user, role_can
from videogen.models import Render
from videogen.review.models import RenderComment, ReviewStatus

logger = logging.getLogger(__name__)

#: transition → (capability, verb for messages, source states in words)
TRANSITIONS: dict[str, tuple[str, str, str]] = {
    "submit": ("submit", "submit a render for review", "a draft or a version with changes requested"),
    "withdraw": ("submit", "withdraw a render from review", "a version in review"),
    "approve": ("review", "approve a render", "a version in review"),
    "request_changes": ("review", "request changes to a render", "a version in review"),
}


class ReviewConflict(ServiceConflict):
    """The render's review state does not allow this transition (or it was deleted, or blocking
    policy findings stand in the way). ``current_state`` is the state found (``deleted`` when the
    render — with its video job — is gone)."""


def render_label(render: Render) -> str:
    """"v2 of ‘Cold brew’": how messages and notifications name a render version."""
    return f"v{render.number} of ‘{render.job.title}’"


def _name(user: User | None) -> str:
    if user is None:
        return "someone"
    return user.full_name or user.email


def _locked(render: Render) -> Render:
    """``render`` re-read under a row lock; ReviewConflict when it no longer exists."""
    locked = (Render.objects.select_for_update(of=("self",)).select_related("job", "job__organization")
              .filter(pk=render.pk).first())
    if locked is None:
        raise ReviewConflict({"review_status": ["This render no longer exists: its video job was deleted."]},
                             current_state="deleted")
    return locked


def _require(user: User, organization: Organization, transition: str) -> None:
    capability, verb, _ = TRANSITIONS[transition]
    membership = membership_for_user(user, organization.pk)
    if membership is None:
        raise PermissionDenied("You are not a member of this organization.")
    if not role_can(membership.role, capability):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) cannot {verb}.")


def _check_state(render: Render, transition: str) -> None:
    if can_proceed(getattr(render, transition)):
        return
    _, verb, sources = TRANSITIONS[transition]
    state = ReviewStatus(render.review_status)
    who = ""
    if state in (ReviewStatus.APPROVED, ReviewStatus.CHANGES_REQUESTED) and render.decided_by_id:
        who = f" (by {_name(render.decided_by)})"
    raise ReviewConflict(
        {"review_status": [f"Version {render.number} of ‘{render.job.title}’ is {state.label.lower()}{who}; "
                           f"only {sources} can be {_past(transition)}."]},
        current_state=render.review_status)


def _past(transition: str) -> str:
    return {"submit": "submitted", "withdraw": "withdrawn", "approve": "approved",
            "request_changes": "sent back with changes requested"}[transition]


def second_pair_reason(*, render: Render, user: User) -> str:
    """Why ``user`` may not approve ``render`` under the organization's "require a second pair of
    eyes" setting (:attr:`Organization.require_second_reviewer`): they submitted it, created this
    version or created its video job. ``""`` when the rule allows it (or is off)."""
    if not render.job.organization.require_second_reviewer:
        return ""
    if render.submitted_by_id == user.pk:
        return "you submitted it"
    if render.created_by_id == user.pk or render.job.created_by_id == user.pk:
        return "you created it"
    return ""


def review_url(render: Render) -> str:
    return reverse("videogen:review", args=[render.pk])


def _reviewers(render: Render) -> list[User]:
    """Members who may approve ``render``: a role holding ``review`` and allowed by the second-pair rule."""
    roles = CAPABILITIES["review"]
    members = (Membership.objects.filter(organization=render.job.organization, role__in=roles)
               .select_related("user").order_by("created_at", "id"))
    return [m.user for m in members if m.user.is_active and not second_pair_reason(render=render, user=m.user)]


def _notify(render: Render, *, recipients, kind: str, message: str, actor: User) -> None:
    from kolony.notifications.services import notify

    notify(organization=render.job.organization, recipients=recipients, kind=kind, message=message, actor=actor,
           url=review_url(render), target=render)


def _audit(render: Render, user: User, action: str, **metadata: Any) -> None:
    audit_log(organization=render.job.organization, actor=user, action=action, target=render.job,
              metadata={"render": render.pk, "version": render.number, **metadata})


def _comment(render: Render, user: User, body: str) -> RenderComment:
    """``body`` left as a comment of ``user`` on ``render`` (:func:`videogen.review.comments.comment_create`:
    mentions notify, bad input raises); its ``body`` errors are reported on ``comment``, the field
    the review endpoints take."""
    from videogen.review.comments import comment_create

    try:
        return comment_create(render=render, author=user, body=body)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            messages = exc.message_dict
            raise ValidationError({("comment" if k == "body" else k): v for k, v in messages.items()}) from exc
        raise


def _clean_comment(comment: str | None, *, required: bool) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise ValidationError({"comment": ["Say what should change: the comment is required when requesting changes."]})
    if len(text) > 4000:
        raise ValidationError({"comment": [f"Keep the comment under 4000 characters (it has {len(text)})."]})
    return text


@transaction.atomic
def render_submit(*, render: Render, user: User, comment: str = "") -> Render:
    """Sends ``render`` (draft or changes requested) for review: runs the policy checks
    (:func:`videogen.review.policy.policy_check`, stage ``submit``), notifies the members who may
    approve it, and withdraws any other version of the same job still in review (a newer
    submission supersedes it; the audit says so). Any version may be submitted, not only the latest.
    ``comment`` (optional) is left as a comment. Returns the locked, updated render."""
    from videogen.review.policy import policy_check

    text = _clean_comment(comment, required=False)
    locked = _locked(render)
    _require(user, locked.job.organization, "submit")
    _check_state(locked, "submit")
    others = (Render.objects.select_for_update(of=("self",)).select_related("job")
              .filter(job_id=locked.job_id, review_status=ReviewStatus.IN_REVIEW).exclude(pk=locked.pk).order_by("number"))
    for older in others:
        older.withdraw(user)
        older.save()
        _audit(older, user, "render.superseded", superseded_by=locked.number)
    locked.submit(user)
    locked.save()
    policy_check(render=locked, stage="submit")
    _audit(locked, user, "render.submitted", policy_status=locked.policy_status,
           **({"superseded": [o.number for o in others]} if others else {}))
    if text:
        _comment(locked, user, text)
    _notify(locked, recipients=_reviewers(locked), kind="review.submitted", actor=user,
            message=f"{_name(user)} submitted {render_label(locked)} for review.")
    return locked


@transaction.atomic
def render_withdraw(*, render: Render, user: User) -> Render:
    """Takes ``render`` back from review to draft (owners, admins, editors)."""
    locked = _locked(render)
    _require(user, locked.job.organization, "withdraw")
    _check_state(locked, "withdraw")
    locked.withdraw(user)
    locked.save()
    _audit(locked, user, "render.withdrawn")
    return locked


@transaction.atomic
def render_approve(*, render: Render, user: User, comment: str = "") -> Render:
    """Approves ``render`` (in review): owners, admins, reviewers; not its submitter or creator
    while the organization requires a second pair of eyes (PermissionDenied); not while a
    blocking policy finding stands (ReviewConflict naming them). Notifies the submitter. An
    approved render is frozen: later plan edits and renders make new versions."""
    from videogen.review.policy import open_blocking_findings

    text = _clean_comment(comment, required=False)
    locked = _locked(render)
    _require(user, locked.job.organization, "approve")
    _check_state(locked, "approve")
    reason = second_pair_reason(render=locked, user=user)
    if reason:
        raise PermissionDenied(f"Someone else must approve {render_label(locked)}: {reason}, and your organization "
                               "requires a second pair of eyes.")
    blocking = list(open_blocking_findings(locked))
    if blocking:
        names = "; ".join(f"{f.rule}: {f.message}" for f in blocking[:5])
        more = f" (and {len(blocking) - 5} more)" if len(blocking) > 5 else ""
        raise ReviewConflict({"policy_findings": [f"Fix the blocking policy findings before approving — {names}{more}."]},
                             current_state=locked.review_status)
    locked.approve(user)
    locked.save()
    _audit(locked, user, "render.approved")
    if text:
        _comment(locked, user, text)
    _notify(locked, recipients=[locked.submitted_by], kind="review.approved", actor=user,
            message=f"{_name(user)} approved {render_label(locked)}.")
    return locked


@transaction.atomic
def render_request_changes(*, render: Render, user: User, comment: str) -> Render:
    """Sends ``render`` (in review) back to its submitter with ``comment`` (required; stored as a
    comment on the render) — owners, admins, reviewers. Notifies the submitter."""
    text = _clean_comment(comment, required=True)
    locked = _locked(render)
    _require(user, locked.job.organization, "request_changes")
    _check_state(locked, "request_changes")
    locked.request_changes(user)
    locked.save()
    _comment(locked, user, text)
    _audit(locked, user, "render.changes_requested")
    _notify(locked, recipients=[locked.submitted_by], kind="review.changes_requested", actor=user,
            message=f"{_name(user)} requested changes to {render_label(locked)}: {text[:200]}")
    return locked


TRANSITION_SERVICES: dict[str, Callable[..., Render]] = {"submit": render_submit, "withdraw": render_withdraw, "approve": render_approve,
                       "request_changes": render_request_changes}


@transaction.atomic
def organization_review_settings_update(*, organization: Organization, user: User, require_second_reviewer: bool) -> Organization:
    """Turns the "require a second pair of eyes" rule on or off (owners and admins, audited)."""
    membership = membership_for_user(user, organization.pk)
    if membership is None or not role_can(membership.role, "manage_team"):
        role = membership.get_role_display() if membership else Role.VIEWER.label
        raise PermissionDenied(f"Your role ({role}) cannot change the review settings.")
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    before = locked.require_second_reviewer
    if before != bool(require_second_reviewer):
        locked.require_second_reviewer = bool(require_second_reviewer)
        locked.save(update_fields=["require_second_reviewer"])
        audit_log(organization=locked, actor=user, action="organization.review_settings_changed", target=locked,
                  metadata={"changes": {"require_second_reviewer": [before, locked.require_second_reviewer]}})
    return locked
