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

The checks themselves: :mod:`videogen.review.policy_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kolony.accounts.services import audit_log
from kolony.tenancy import membership_for_user, role_can
from videogen.review import policy_checks as checks
from videogen.review import policy_rules as rules
from videogen.review.models import PolicyFinding, Severity


def _status(findings: Iterable[PolicyFinding]) -> str:
    findings = list(findings)
    if any(f.severity == Severity.BLOCKING for f in findings):
        return "blocked"
    if any(f.accepted_at is None for f in findings):
        return "warnings"
    return "passed"


# ---------------------------------------------------------------------------------------------
# The contract


def policy_check(*, render, stage: str = "submit") -> list[PolicyFinding]:
    """Run every rule on ``render`` (a :class:`videogen.models.Render`) and store the findings,
    blocking first. See the module docstring. ``stage``: "submit" or "publish".

    The rules run before the write transaction (probing a file kept on remote storage downloads
    it); the findings are then replaced in one transaction with the render row locked."""
    drafts = checks.run_rules(checks.build_context(render))
    return _store(render=render, drafts=drafts, stage=stage)


@transaction.atomic
def _store(*, render, drafts: list[checks.Draft], stage: str) -> list[PolicyFinding]:
    from videogen.models import Render

    Render.objects.select_for_update().filter(pk=render.pk).first()  # one check of a render at a time
    accepted = {f.fingerprint: f for f in PolicyFinding.objects.filter(render=render, accepted_at__isnull=False)}
    PolicyFinding.objects.filter(render=render).delete()
    rows = []
    for d in sorted(drafts, key=lambda d: (d.severity != Severity.BLOCKING, d.timecode_seconds is None,
                                          d.timecode_seconds or 0, d.rule)):
        fp = d.fingerprint
        row = PolicyFinding(
            render=render, rule=d.rule[:64], severity=d.severity, message=d.message[:500], source_url=d.source_url[:300],
            scene_key=d.scene_key[:40], aspect_ratio=d.aspect_ratio[:8], placement=d.placement[:40], field=d.field[:40],
            timecode_seconds=Decimal(str(round(d.timecode_seconds, 1))) if d.timecode_seconds is not None else None,
            excerpt=d.excerpt[:200], fingerprint=fp, stage=str(stage)[:10],
        )
        prev = accepted.get(fp)
        if prev is not None and d.severity == Severity.WARNING:
            row.accepted_by_id, row.accepted_at, row.accepted_reason = prev.accepted_by_id, prev.accepted_at, prev.accepted_reason
        rows.append(row)
    created = PolicyFinding.objects.bulk_create(rows)
    render.policy_status = _status(created)
    render.policy_checked_at = timezone.now()
    render.save(update_fields=["policy_status", "policy_checked_at"])
    return created


def open_blocking_findings(render) -> QuerySet[PolicyFinding]:
    """The render's blocking findings (they cannot be accepted, only fixed and re-checked)."""
    return PolicyFinding.objects.filter(render=render, severity=Severity.BLOCKING)


@transaction.atomic
def finding_accept(*, finding: PolicyFinding, user, reason: str) -> PolicyFinding:
    """``user`` (a member with the ``review`` capability in the render's organization) accepts
    the warning ``finding`` with ``reason`` (1–500 characters); audited as
    ``render.policy_warning_accepted``; the render's ``policy_status`` is recomputed.

    Raises PermissionDenied (role without ``review``, or not a member), ValidationError
    (``reason`` empty; a blocking finding). Accepting an accepted warning again changes nothing."""
    finding = PolicyFinding.objects.select_for_update().select_related("render__job__organization").get(pk=finding.pk)
    render = finding.render
    org = render.job.organization
    membership = membership_for_user(user, org.pk)
    if membership is None or not role_can(membership.role, "review"):
        raise PermissionDenied("Only reviewers, admins and owners can accept a policy warning.")
    if finding.severity != Severity.WARNING:
        raise ValidationError({"__all__": ["A blocking finding cannot be accepted: fix it and check the render again."]})
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": ["Say why this warning is acceptable."]})
    if len(reason) > 500:
        raise ValidationError({"reason": ["Keep the reason under 500 characters."]})
    if finding.accepted_at is not None:
        return finding
    finding.accepted_by, finding.accepted_at, finding.accepted_reason = user, timezone.now(), reason
    finding.save(update_fields=["accepted_by", "accepted_at", "accepted_reason"])
    render.policy_status = _status(PolicyFinding.objects.filter(render=render))
    render.save(update_fields=["policy_status"])
    audit_log(organization=org, actor=user, action="render.policy_warning_accepted", target=render.job,
              metadata={"render": render.pk, "version": render.number, "finding": finding.pk, "rule": finding.rule,
                        "title": rules.RULE_TITLES.get(finding.rule, finding.rule), "reason": reason})
    return finding


def finding_where(finding: PolicyFinding) -> str:
    """Where a finding is, in words: "scene 2 at 0:03.2 · 9:16 · Instagram Reels · voiceover"."""
    parts = []
    scenes = [s for s in (finding.render.plan_snapshot or []) if isinstance(s, dict)]
    if finding.scene_key:
        number = next((i for i, s in enumerate(scenes, 1) if str(s.get("scene_key")) == finding.scene_key), None)
        label = f"scene {number}" if number else f"scene {finding.scene_key}"
        if finding.timecode_seconds is not None:
            label += f" at {checks.fmt_time(float(finding.timecode_seconds))}"
        parts.append(label)
    if finding.aspect_ratio:
        parts.append(finding.aspect_ratio)
    if finding.placement:
        spec = rules.PLACEMENT_SPECS.get(finding.placement)
        parts.append(spec.label if spec else finding.placement)
    if finding.field == "voiceover":
        parts.append("voiceover and captions")
    elif finding.field:
        parts.append(finding.field.replace("brief.", "brief: ").replace("_", " "))
    return " · ".join(parts)
