"""Demo data of the review workflow (``make run`` → ``manage.py seed_demo``): a reviewer in the
demo organization, the sample ad's v1 approved by them (ready to publish to the demo's connected
stand-ins) and a v2 of the same cut waiting for their review. Idempotent."""

from __future__ import annotations

import os

from django.core.exceptions import PermissionDenied, ValidationError

from kolony.accounts.models import Membership, Role, User
from videogen.models import Render, VideoJob
from videogen.review import services
from videogen.review.models import ReviewStatus

REVIEWER_EMAIL = "reviewer@kolony.test"
REVIEWER_NAME = "Riley Reviewer"


def seed_review(*, organization, user, job: VideoJob, stdout) -> None:
    """Adds :data:`REVIEWER_EMAIL` as a reviewer (password ``KOLONY_DEMO_PASSWORD``, the demo
    owner's default) and submits ``job``'s latest render for review as ``user`` (the owner made it,
    so the reviewer may approve it under the second-pair-of-eyes rule)."""
    password = os.environ.get("KOLONY_DEMO_PASSWORD", "kolony-demo-2026")
    reviewer = User.objects.filter(email=REVIEWER_EMAIL).first()
    if reviewer is None:
        reviewer = User.objects.create_user(email=REVIEWER_EMAIL, password=password, full_name=REVIEWER_NAME)
    Membership.objects.get_or_create(user=reviewer, organization=organization, defaults={"role": Role.REVIEWER})
    stdout.write(f"Review: {REVIEWER_EMAIL} is a reviewer of {organization.name} (same password as the demo owner).")
    latest = job.renders.order_by("-number").first()
    if latest is None:
        stdout.write("Review: the sample ad is still rendering; submit it for review from its page when it is done.")
        return
    if job.renders.exclude(review_status=ReviewStatus.DRAFT).exists() or latest.review_status != ReviewStatus.DRAFT:
        return  # seeded before
    services.render_submit(render=latest, user=user, comment="First cut of the cold brew ad: check the end card and the 9:16 text.")
    try:
        services.render_approve(render=latest, user=reviewer, comment="Good to go for the summer launch.")
    except (ValidationError, PermissionDenied) as exc:  # e.g. a blocking policy finding: it stays in review
        stdout.write(f"Review: v{latest.number} of ‘{job.title}’ waits for review at /studio/renders/{latest.pk}/ "
                     f"({'; '.join(getattr(exc, 'messages', [str(exc)]))}).")
        return
    second = Render.objects.create(
        job=job, number=latest.number + 1, outputs=dict(latest.outputs), poster=latest.poster,
        quality_metrics=latest.quality_metrics, performance=latest.performance, plan_snapshot=latest.plan_snapshot,
        brief_snapshot=latest.brief_snapshot, created_by=user)
    services.render_submit(render=second, user=user, comment="Second round before it goes to Reels: please take a look.")
    stdout.write(f"Review: v{latest.number} of ‘{job.title}’ is approved (publish it from /studio/renders/{latest.pk}/); "
                 f"v{second.number} waits for review at /studio/renders/{second.pk}/.")
