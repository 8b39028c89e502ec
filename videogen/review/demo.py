"""Demo data of the review workflow (``make run`` → ``manage.py seed_demo``): a reviewer in the
demo organization and the sample ad's latest version waiting for their review. Idempotent."""

from __future__ import annotations

import os

from kolony.accounts.models import Membership, Role, User
from videogen.models import VideoJob
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
    if job.renders.filter(review_status=ReviewStatus.IN_REVIEW).exists() or latest.review_status != ReviewStatus.DRAFT:
        return
    services.render_submit(render=latest, user=user, comment="First cut of the cold brew ad: check the end card and the 9:16 text.")
    stdout.write(f"Review: v{latest.number} of ‘{job.title}’ waits for review at /studio/renders/{latest.pk}/.")
