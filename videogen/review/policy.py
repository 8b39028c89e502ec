"""Policy checks of a render version (claims, special ad categories, landing URL, safe zones,
file specs per placement). Rules are data (:mod:`videogen.review.policy_rules`), each with the
platform page it comes from.

CONTRACT (other modules call exactly these):

- ``policy_check(*, render, stage="submit") -> list[PolicyFinding]``: runs every rule, replaces the
  render's findings (a warning accepted before keeps its acceptance when its fingerprint comes
  back), sets ``render.policy_status`` ("passed" | "warnings" | "blocked") and
  ``render.policy_checked_at``, saves. Never raises for content; a rule that crashes is logged and
  reported as a warning finding ``policy.check_failed``.
- ``open_blocking_findings(render) -> QuerySet[PolicyFinding]``: what stops approval / publishing.
- ``finding_accept(*, finding, user, reason) -> PolicyFinding``: a reviewer accepts a warning
  (audited); ValidationError for a blocking finding or an empty reason; PermissionDenied for a
  role without ``review``.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from videogen.review.models import PolicyFinding, Severity


def policy_check(*, render, stage: str = "submit") -> list[PolicyFinding]:
    """STUB until the policy helper fills it in: no findings."""
    render.policy_status = "passed"
    render.policy_checked_at = timezone.now()
    render.save(update_fields=["policy_status", "policy_checked_at"])
    return []


def open_blocking_findings(render) -> QuerySet[PolicyFinding]:
    return PolicyFinding.objects.filter(render=render, severity=Severity.BLOCKING)


def finding_accept(*, finding: PolicyFinding, user, reason: str) -> PolicyFinding:
    raise NotImplementedError
