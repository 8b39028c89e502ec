"""Audit events in words: "Dana created the video job 'Cold Brew'", and an edit's changes as
before → after of the fields that changed, with choice values by their labels ("Sales", not
``sales``; "Instagram Reels", not ``instagram_reels``) and money in major units.

Pure reads over :class:`~kolony.accounts.models.AuditEvent` rows; templates reach it through the
``audit_tags`` filters (``event|audit_sentence``, ``event|audit_changes``).
"""

from __future__ import annotations

import re
from datetime import datetime

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

#: action → sentence after the actor's name; {target} is the object's name (quoted by the template).
SENTENCES = {
    "organization.created": "created the organization {target}",
    "invitation.created": "invited {email} as {role}",
    "invitation.accepted": "accepted the invitation and joined as {role}",
    "invitation.revoked": "revoked the invitation of {email}",
    "member.added": "added {email} to the team as {role}",
    "member.removed": "removed {email} from the team",
    "member.role_changed": "changed {email}'s role from {from} to {to}",
    "campaign.created": "created the campaign {target}",
    "campaign.updated": "edited the campaign {target}",
    "campaign.status_changed": "changed the status of the campaign {target}",
    "campaign.archived": "archived the campaign {target}",
    "campaign.duplicated": "duplicated a campaign as {target}",
    "ad_set.created": "created the ad set {target}",
    "ad_set.updated": "edited the ad set {target}",
    "ad_set.archived": "archived the ad set {target}",
    "ad.created": "created the ad {target}",
    "ad.updated": "edited the ad {target}",
    "ad.archived": "archived the ad {target}",
    "platform.connected": "connected the {platform} ad account {target}",
    "publication.queued": "started publishing version {version} of the video job {target} to {platform}",
    "publication.retried": "retried publishing version {version} of the video job {target} to {platform}",
    "publication.succeeded": "published version {version} of the video job {target} to {platform}",
    "publication.failed": "could not publish version {version} of the video job {target} to {platform}",
    "ad.platform_status_changed": "activated or paused the ad {target} on {platform}",
    "platform.account_changed": "switched the {platform} connection to the ad account {target}",
    "platform.needs_reconnect": "found that the {platform} connection {target} needs to be reconnected (the platform refused its token)",
    "platform.disconnected": "disconnected the {platform} ad account {target}",
    "video_job.created": "created the video job {target}",
    "video_job.render_queued": "started a render of the video job {target}",
    "video_job.rendered": "finished rendering version {version} of the video job {target}",
    "video_job.cancelled": "cancelled the render of the video job {target}",
    "workflow_template.created": "saved the template {target}",
    "render.submitted": "submitted version {version} of the video job {target} for review",
    "render.withdrawn": "took version {version} of the video job {target} back from review",
    "render.superseded": "withdrew version {version} of the video job {target} from review: a newer version was submitted",
    "render.approved": "approved version {version} of the video job {target}",
    "render.changes_requested": "requested changes to version {version} of the video job {target}",
    "render.policy_warning_accepted": "accepted the policy warning “{title}” on version {version} of the video job {target}: {reason}",
    "organization.review_settings_changed": "changed the review settings of {target}",
    "comment.created": "commented on version {version} of the video job {target}",
    "comment.resolved": "resolved a comment on version {version} of the video job {target}",
    "comment.unresolved": "reopened a comment on version {version} of the video job {target}",
    "brand_kit.updated": "updated the brand kit",
    "variant_set.created": "made the variant set {target} (one video per level, queued to render)",
    "variant_set.submitted": "sent every variant of the set {target} for review",
    "variant_set.approved": "approved every variant of the set {target} that was in review",
    "variant_set.published": "started publishing every variant of the set {target} to {platform} as sibling ads",
    "variant_set.losers_paused": "paused the losing variants of the set {target} and concluded the test",
    "variant_set.budget_moved": "moved the budget of the set {target} to its winning variant and concluded the test",
    "ad_set.budget_changed": "changed the budget feeding the ad set {target} on {platform}",
    "billing.plan_changed": "moved the organization from the {from_plan} plan to the {to_plan} plan",
    "billing.credits_adjusted": "adjusted the render credits by {credits}{reason}",
    "billing.checkout_completed": "finished Stripe Checkout: the organization's Stripe customer is linked",
    "billing.payment_failed": "recorded a failed payment: the grace period started",
    "billing.payment_recovered": "recorded a successful payment: the payment problem is cleared",
}

_SUFFIX_ID = re.compile(r"\s*\(#\d+\)$")  # VideoJob.__str__ adds " (#12)"


def actor_name(event) -> str:
    """The actor's name as teammates know it (full name, else email); "Kolony" for system events."""
    user = event.actor
    if user is None:
        return "Kolony"
    return user.full_name or user.email


def _role_label(value) -> str:
    from kolony.accounts.models import Role

    return dict(Role.choices).get(value, str(value or "a member").replace("_", " "))


def _target_name(event) -> str:
    name = _SUFFIX_ID.sub("", event.target_repr or "")
    return f"‘{name}’" if name else "(deleted)"


def audit_sentence(event) -> str:
    """One sentence for ``event``, e.g. "Dana created the video job ‘Cold Brew’". Unknown actions
    read "<actor> <verb> the <object> ‘name’" built from the action's words, never the code."""
    meta = event.metadata if isinstance(event.metadata, dict) else {}
    email = meta.get("email") or (event.target_repr or "").split(" ")[0]
    platform = meta.get("platform")
    if platform:
        from campaigns.choices import Platform

        platform = dict(Platform.choices).get(platform, str(platform).title())
    words = {
        "target": _target_name(event), "email": email, "role": _role_label(meta.get("role")),
        "from": _role_label(meta.get("from")), "to": _role_label(meta.get("to")),
        "version": meta.get("version", ""), "platform": platform or "",
        "from_plan": meta.get("from") or "previous", "to_plan": meta.get("to") or "new",
        "credits": f"{meta['credits']:+d}" if isinstance(meta.get("credits"), int) else "an amount",
        "reason": f" ({meta['reason']})" if meta.get("reason") else "", "title": meta.get("title", ""),
    }
    template = SENTENCES.get(event.action)
    if template is None:
        thing, _, verb = (event.action or "").partition(".")
        verb = verb.replace("_", " ") or "changed"
        template = f"{verb} the {thing.replace('_', ' ')} {{target}}" if thing else f"{verb} {{target}}"
    return f"{actor_name(event)} {template.format(**words)}".strip()


# --- changes ----------------------------------------------------------------------------------

def _model(event):
    try:
        return apps.get_model(event.target_type) if event.target_type else None
    except (LookupError, ValueError):
        return None


def _field(model, name):
    try:
        return model._meta.get_field(name) if model is not None else None
    except (FieldDoesNotExist, AttributeError):  # not a field (or no _meta): show the raw name humanised
        return None


def field_label(model, name: str) -> str:
    """"budget_minor" → "Budget"; a model field's verbose name, else the name in words."""
    field = _field(model, name)
    label = str(field.verbose_name) if field is not None else name
    label = re.sub(r"[ _]minor$", "", label.replace("_", " ").strip())
    return label[:1].upper() + label[1:]


def _choices(field) -> dict:
    if field is None:
        return {}
    base = getattr(field, "base_field", None)  # ArrayField of choices
    source = base if base is not None and base.choices else field
    return {str(k): str(v) for k, v in (source.flatchoices or [])}


def display_value(model, name: str, value, currency: str = "") -> str:
    """A stored value as people read it: choice labels, lists joined, money in major units,
    dates formatted, empty as "—"."""
    if value in (None, "", [], {}):
        return "—"
    field = _field(model, name)
    labels = _choices(field)
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {display_value(None, k, v)}" for k, v in value.items()) or "—"
    if labels:
        return labels.get(str(value), str(value))
    if name.endswith("_minor") and isinstance(value, (int, float)):
        from campaigns.choices import currency_exponent

        exp = currency_exponent(currency or "USD")
        return f"{value / 10 ** exp:,.{exp}f} {currency}".strip()
    if isinstance(value, str) and "T" in value:
        moment = parse_datetime(value)
        if isinstance(moment, datetime):
            return date_format(moment, "M j, Y H:i")
    return str(value)


def audit_changes(event) -> list[tuple[str, str, str]]:
    """``[(field label, before, after)]`` of the fields an edit changed, from the event's
    ``metadata["changes"]`` ({field: [before, after]}). Fields whose value didn't change are left
    out; events without before/after (older ones) give the changed fields' names with empty
    before/after. Other metadata (ids, "via") is not shown."""
    meta = event.metadata if isinstance(event.metadata, dict) else {}
    model = _model(event)
    currency = str(meta.get("currency") or "")
    out = []
    changes = meta.get("changes")
    if isinstance(changes, dict):
        for name, pair in changes.items():
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2) or pair[0] == pair[1]:
                continue
            before, after = pair
            if isinstance(before, dict) and isinstance(after, dict):  # e.g. targeting: only its changed keys
                for key in sorted(set(before) | set(after)):
                    if before.get(key) != after.get(key):
                        out.append((f"{field_label(model, name)}: {key.replace('_', ' ')}",
                                    display_value(None, key, before.get(key)), display_value(None, key, after.get(key))))
                continue
            out.append((field_label(model, name), display_value(model, name, before, currency),
                        display_value(model, name, after, currency)))
        return out
    legacy = meta.get("changed") or meta.get("fields")
    if isinstance(legacy, dict):
        return [(field_label(model, k), "", display_value(model, k, v, currency)) for k, v in legacy.items()]
    if isinstance(legacy, list):
        return [(field_label(model, k), "", "") for k in legacy]
    return out
