"""Helpers for H1's review workflow tests."""

from django.utils import timezone

from videogen.review import services

ROLES = ("owner", "admin", "editor", "reviewer", "viewer")
SUBMITTERS = {"owner", "admin", "editor"}
REVIEWERS = {"owner", "admin", "reviewer"}


def passing_policy(*, render, stage="submit"):
    """Stand-in for the policy checks where a test is about the workflow, not the rules."""
    render.policy_status = "passed"
    render.policy_checked_at = timezone.now()
    render.save(update_fields=["policy_status", "policy_checked_at"])
    return []


def in_review(render, submitter):
    """``render`` submitted by ``submitter`` (an editor of its organization)."""
    return services.render_submit(render=render, user=submitter)
