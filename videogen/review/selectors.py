"""Reads of the review workflow: the approvals lists and the data of one render's review page,
always scoped to one organization (:mod:`kolony.tenancy`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from kolony.accounts.models import User
from kolony.tenancy import get_for_org_or_404, membership_for_user, org_queryset, role_can
from videogen import selectors as studio_selectors
from videogen.models import Render
from videogen.review.models import APPROVED_STATES, ReviewStatus

#: the approvals page's tabs, in order: (key, label)
TABS: tuple[tuple[str, str], ...] = (("waiting", "Waiting for me"), ("mine", "My submissions"), ("approved", "Recently approved"))
RECENT_APPROVED = 50


def render_queryset(*, organization) -> QuerySet[Render]:
    """Every render version of ``organization`` with what the lists show (job, campaign, poster,
    submitter, decider) and ``comments_count``."""
    return (org_queryset(Render, organization)
            .select_related("job", "job__campaign", "job__created_by", "poster", "submitted_by", "decided_by", "created_by")
            .annotate(comments_count=Count("comments", distinct=True)))


def render_list(*, organization, review_status: str = "", campaign_id: int | None = None,
                job_id: int | None = None) -> QuerySet[Render]:
    """Render versions of ``organization``, newest first, filtered by review state, campaign and job."""
    qs = render_queryset(organization=organization)
    if review_status:
        qs = qs.filter(review_status=review_status)
    if campaign_id:
        qs = qs.filter(job__campaign_id=campaign_id)
    if job_id:
        qs = qs.filter(job_id=job_id)
    return qs.order_by("-created_at", "-id")


def render_get(*, organization, render_id) -> Render:
    """One render version of ``organization``; Http404 for another organization's (or no such) id."""
    return get_for_org_or_404(render_queryset(organization=organization), organization, pk=render_id)


def approvals_list(*, organization, user: User, tab: str, campaign_id: int | None = None) -> list[Render]:
    """The rows of one approvals tab for ``user``:

    - ``waiting``: in review, and ``user`` may approve (a role with ``review``, allowed by the
      second-pair-of-eyes rule), oldest submission first;
    - ``mine``: versions ``user`` submitted (any state), latest submission first;
    - ``approved``: the organization's approved versions, latest decision first (up to 50).
    """
    from videogen.review.services import second_pair_reason

    qs = render_queryset(organization=organization)
    if campaign_id:
        qs = qs.filter(job__campaign_id=campaign_id)
    if tab == "mine":
        return list(qs.filter(submitted_by=user).order_by("-submitted_at", "-id")[:200])
    if tab == "approved":
        return list(qs.filter(review_status__in=APPROVED_STATES).order_by("-decided_at", "-id")[:RECENT_APPROVED])
    membership = membership_for_user(user, getattr(organization, "pk", None))
    if membership is None or not role_can(membership.role, "review"):
        return []
    rows = qs.filter(review_status=ReviewStatus.IN_REVIEW).order_by("submitted_at", "id")
    return [r for r in rows if not second_pair_reason(render=r, user=user)]


def waiting_count(*, organization, user: User) -> int:
    """How many renders wait for ``user``'s review (the number beside "Approvals" in the nav)."""
    membership = membership_for_user(user, getattr(organization, "pk", None))
    if membership is None or not role_can(membership.role, "review"):
        return 0
    qs = org_queryset(Render, organization).filter(review_status=ReviewStatus.IN_REVIEW)
    if organization.require_second_reviewer:
        qs = qs.exclude(Q(submitted_by=user) | Q(created_by=user) | Q(job__created_by=user))
    return qs.count()


def previous_approved(*, render: Render) -> Render | None:
    """The latest approved version of the same job older than ``render`` (what the reviewer
    compares against), or None."""
    return (Render.objects.filter(job_id=render.job_id, review_status__in=APPROVED_STATES, number__lt=render.number)
            .select_related("poster").order_by("-number").first())


def previous_version(*, render: Render) -> Render | None:
    """The version just before ``render`` of the same job, whatever its review state, or None
    (what the reviewer compares against when no earlier version was approved: after "request
    changes", the new version is compared with the one sent back)."""
    return (Render.objects.filter(job_id=render.job_id, number__lt=render.number)
            .select_related("poster").order_by("-number").first())


def review_page(*, render: Render, user: User) -> dict[str, Any]:
    """What the review page shows: ``assets`` ({ratio: Asset} with posters), ``duration`` (seconds,
    of the longest format), ``previous`` (the previous approved version, else the version just before, or None),
    ``previous_assets``, ``first_ratio``/``first_asset`` (the format the player starts on),
    ``previous_is_approved`` (False when no earlier version was approved and ``previous`` is the
    version just before, :func:`previous_version`),
    ``compare_ratio`` and ``compare_sides`` ([{render, asset}] of the previous version and
    this one in one format), ``changes`` (:func:`videogen.selectors.version_changes` from ``previous``
    to ``render``, None without a previous version), ``findings`` (the policy findings),
    ``versions`` (every version of the job), and the actions ``user`` may take: ``can_submit``,
    ``can_withdraw``, ``can_approve``, ``can_request_changes``, ``can_review`` (the role may review) and ``approve_blocked`` (why
    approving is not possible for them: the second-pair rule or blocking findings, else "")."""
    from django_fsm import can_proceed

    from videogen.review.policy import open_blocking_findings
    from videogen.review.services import second_pair_reason

    organization = render.job.organization
    membership = membership_for_user(user, organization.pk)
    role = membership.role if membership else None
    assets = studio_selectors.render_assets(render=render)
    previous = previous_approved(render=render)
    previous_is_approved = previous is not None
    if previous is None:
        previous = previous_version(render=render)
    previous_assets = studio_selectors.render_assets(render=previous) if previous else {}
    durations = [a.duration_seconds for a in assets.values() if a.duration_seconds]
    may_review = role_can(role, "review") and can_proceed(render.approve)
    blocked = ""
    if may_review:
        reason = second_pair_reason(render=render, user=user)
        blocking = list(open_blocking_findings(render)) if not reason else []
        if reason:
            blocked = f"Someone else must approve this version: {reason}, and your organization requires a second pair of eyes."
        elif blocking:
            blocked = f"{len(blocking)} blocking policy finding{'s' if len(blocking) != 1 else ''} must be fixed before approval."
    first_ratio = next(iter(assets), "")
    compare_ratio = first_ratio if first_ratio in previous_assets else next(iter(previous_assets), "")
    return {
        "assets": assets,
        "first_ratio": first_ratio,
        "first_asset": assets.get(first_ratio),
        "compare_ratio": compare_ratio,
        "compare_sides": [{"render": previous, "asset": previous_assets.get(compare_ratio)},
                          {"render": render, "asset": assets.get(compare_ratio)}] if previous else [],
        "duration": max(durations) if durations else 0,
        "previous": previous,
        "previous_is_approved": previous_is_approved,
        "previous_assets": previous_assets,
        "changes": studio_selectors.version_changes(before=previous, after=render) if previous else None,
        "findings": list(render.policy_findings.all()),
        "versions": list(Render.objects.filter(job_id=render.job_id).order_by("-number")),
        "can_submit": role_can(role, "submit") and can_proceed(render.submit),
        "can_withdraw": role_can(role, "submit") and can_proceed(render.withdraw),
        "can_approve": may_review and not blocked,
        "can_request_changes": may_review,
        "can_review": role_can(role, "review"),
        "approve_blocked": blocked,
    }
