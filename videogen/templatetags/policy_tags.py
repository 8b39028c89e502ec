"""Template helpers of the policy findings panel (``templates/videogen/review/_policy_findings.html``)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from kolony.tenancy import role_can
from videogen.review.models import Severity
from videogen.review.policy import finding_where
from videogen.review.policy_rules import RULE_TITLES

register = template.Library()


@register.simple_tag(takes_context=True)
def policy_panel(context, render, findings=None) -> dict:
    """The panel's data: ``items`` (blocking first, then open warnings, then accepted ones), each
    ``{"finding", "title", "where", "seek" (seconds or None), "accepted", "blocking"}``; counts
    ``blocking``/``warnings``/``accepted``; ``checked`` ("just now", "5 minutes ago"); ``can_accept``: the viewer may accept warnings
    (``can_review`` from the view when given, else the ``review`` capability of their role)."""
    rows = list(findings if findings is not None else render.policy_findings.all())
    membership = context.get("current_membership")
    can = context.get("can_review")
    if can is None:
        can = bool(membership is not None and role_can(getattr(membership, "role", None), "review"))
    items = []
    for f in rows:
        items.append({
            "finding": f, "title": RULE_TITLES.get(f.rule, f.rule), "where": finding_where(f),
            "seek": float(f.timecode_seconds) if f.timecode_seconds is not None else None,
            "blocking": f.severity == Severity.BLOCKING, "accepted": f.accepted_at is not None,
        })
    items.sort(key=lambda i: (not i["blocking"], i["accepted"], i["seek"] is None, i["seek"] or 0))
    checked = ""
    if render.policy_checked_at:
        checked = ("just now" if timezone.now() - render.policy_checked_at < timedelta(minutes=1)
                   else f"{timesince(render.policy_checked_at)} ago")
    return {
        "items": items, "can_accept": bool(can), "checked": checked,
        "blocking": sum(1 for i in items if i["blocking"]),
        "warnings": sum(1 for i in items if not i["blocking"] and not i["accepted"]),
        "accepted": sum(1 for i in items if i["accepted"]),
    }
