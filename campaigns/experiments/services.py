"""Acting on a creative test's verdict: pause the losers, move the budget to the winner.

Both go through the publishing code (:func:`campaigns.platforms.publishing.ad_platform_status_change`
and :func:`~campaigns.platforms.publishing.ad_set_budget_change`, so the platform adapters and
their error handling are the same as the campaign page's), are audited, write what was done into
``VariantSet.decision`` and conclude the set. They follow the **CTR** verdict
(:attr:`campaigns.experiments.verdicts.SetResult.primary`). The pages and the API ask for
confirmation first (a preview: :func:`action_preview`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.choices import BudgetLevel
from kolony.accounts.services import audit_log
from kolony.core.service_errors import ServiceConflict
from kolony.datacache import data_changed
from kolony.tenancy import membership_for_user, role_can

from .selectors import ArmInfo, SetResults, set_results

ACTIONS = ("pause_losers", "move_budget")


class ExperimentConflict(ServiceConflict):
    """The set's state does not allow this action (the API answers 409)."""


def _check_role(user, organization) -> None:
    membership = membership_for_user(user, organization.pk)
    if membership is None or not role_can(membership.role, "publish"):
        role = membership.get_role_display() if membership else "none"
        raise PermissionDenied(f"Your role ({role}) cannot pause ads or change budgets.")


def current_budget(ad_set) -> int | None:
    """The budget (minor units) feeding ``ad_set``: its own, or its campaign's under a campaign budget."""
    campaign = ad_set.campaign
    return campaign.budget_minor if campaign.budget_level == BudgetLevel.CAMPAIGN else ad_set.budget_minor


def action_preview(results: SetResults, action: str) -> dict:
    """What ``action`` would do, for the confirmation step: ``{"action", "allowed", "reason",
    "winner" (label or None), "pause": [{"render", "label", "ads": [names]}], "budget_minor",
    "losers_spend_share"}``. ``allowed`` False with the ``reason`` when the verdict does not
    support it. Raises ValueError for an unknown action."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action '{action}'; use one of: {', '.join(ACTIONS)}.")
    variant_set = results.variant_set
    out: dict[str, Any] = {"action": action, "allowed": False, "reason": "", "winner": None, "pause": [],
                           "budget_minor": None, "losers_spend_share": None,
                           "currency": variant_set.ad_set.currency if variant_set.ad_set_id else ""}
    if variant_set.status == "concluded":
        out["reason"] = "This test is concluded: the decision was already taken."
        return out
    if results.result is None:
        out["reason"] = "This set has no published control and variant to compare yet."
        return out
    verdict = results.result.primary
    arms = {a.render_id: a for a in results.arms}
    losers = [arms[k] for k in verdict.losers if k in arms]
    if verdict.winner is not None:
        out["winner"] = arms[verdict.winner].label  # type: ignore[index]
    out["pause"] = [{"render": a.render_id, "label": a.label, "ads": [ad.name for ad, _ in a.published]}
                    for a in losers if a.published and not a.paused]
    spend = {k: v["spend_minor"] for k, v in results.result.totals.items()}
    total = sum(spend.values())
    if total:
        out["losers_spend_share"] = sum(spend.get(a.render_id, 0) for a in losers) / total
    out["budget_minor"] = current_budget(variant_set.ad_set)
    if not any(a.published for a in results.arms):
        out["reason"] = "None of the variants is live on a platform, so there is nothing to pause or re-budget."
    elif action == "move_budget" and verdict.state != "winner":
        out["reason"] = f"There is no winner to move the budget to. {verdict.message}"
    elif action == "pause_losers" and not losers:
        out["reason"] = f"No variant lost at 95 %. {verdict.message}"
    elif not out["pause"] and action == "pause_losers":
        out["reason"] = "The losing variants are already paused (or not live on a platform)."
    else:
        out["allowed"] = True
    return out


def _pause(arms: list[ArmInfo], user) -> list[int]:
    from campaigns.platforms.publishing import ad_platform_status_change

    paused = []
    for arm in arms:
        for ad, platform in arm.published:
            if ad.status != "paused":
                ad_platform_status_change(ad=ad, platform=platform, active=False, user=user)
            paused.append(ad.pk)
    return paused


def _conclude(variant_set, *, user, action: str, decision: dict) -> None:
    from videogen.models import VariantSet

    with transaction.atomic():
        locked = VariantSet.objects.select_for_update().get(pk=variant_set.pk)
        if locked.status == "concluded":
            raise ExperimentConflict({"__all__": ["This test was concluded meanwhile."]}, current_state="concluded")
        locked.status = "concluded"
        locked.concluded_at = timezone.now()
        locked.decision = {**decision, "action": action, "by": user.pk, "at": locked.concluded_at.isoformat()}
        locked.save(update_fields=["status", "concluded_at", "decision"])
        audit_action = "variant_set.losers_paused" if action == "pause_losers" else "variant_set.budget_moved"
        audit_log(organization=locked.organization, actor=user, action=audit_action, target=locked,
                  metadata={k: v for k, v in locked.decision.items() if k != "at"})
        data_changed(locked.organization)
    variant_set.status, variant_set.concluded_at, variant_set.decision = locked.status, locked.concluded_at, locked.decision


def pause_losers(*, variant_set, user, confirm: bool) -> dict:
    """Pauses, on their platforms, every published ad of the arms the CTR verdict names as losers
    (all but the winner; with no winner, the variants significantly below the control), then
    concludes the set. ``VariantSet.decision`` becomes ``{"action": "pause_losers", "metric": "ctr",
    "winner_render": id or None, "paused": [render ids], "paused_ads": [ad ids], "by", "at"}``.
    Returns the decision. Raises ValidationError ``confirm`` without confirmation or a verdict
    that names no loser, PermissionDenied (role), ExperimentConflict (already concluded), and the
    platform's refusal (ValidationError; ads paused before it stay paused, the set stays open)."""
    _check_role(user, variant_set.organization)
    if not confirm:
        raise ValidationError({"confirm": ["Confirm that the losing variants should be paused (confirm=true)."]})
    if variant_set.status == "concluded":
        raise ExperimentConflict({"__all__": ["This test is concluded: the decision was already taken."]}, current_state="concluded")
    results = set_results(variant_set, ratios=False)
    preview = action_preview(results, "pause_losers")
    if not preview["allowed"]:
        raise ValidationError({"__all__": [preview["reason"]]})
    assert results.result is not None  # noqa: S101 - allowed implies a result
    verdict = results.result.primary
    arms = {a.render_id: a for a in results.arms}
    losers = [arms[k] for k in verdict.losers if k in arms]
    paused_ads = _pause(losers, user)
    decision = {"metric": "ctr", "winner_render": verdict.winner, "paused": [a.render_id for a in losers],
                "paused_ads": paused_ads, "verdict": verdict.message}
    _conclude(variant_set, user=user, action="pause_losers", decision=decision)
    return variant_set.decision


def move_budget(*, variant_set, user, confirm: bool, budget_minor: int | None = None) -> dict:
    """Moves the ad set's budget to the CTR winner: pauses the losers (they share the ad set's
    budget, so the winner then gets all of it) and, when ``budget_minor`` differs from the
    current budget, sets the new budget on every platform the ad set runs on. The decision
    records ``{"action": "move_budget", "winner_render", "paused", "paused_ads", "budget_minor",
    "previous_budget_minor", "budget_moved_minor"}`` — ``budget_moved_minor`` being the losers'
    share of the window's spend × the previous budget, i.e. how much of each day's budget now
    goes to the winner instead. Raises ValidationError (``confirm``; no winner; ``budget_minor``
    not a positive whole number), PermissionDenied, ExperimentConflict, and platform refusals."""
    from campaigns.platforms.publishing import ad_set_budget_change

    _check_role(user, variant_set.organization)
    if not confirm:
        raise ValidationError({"confirm": ["Confirm that the budget should move to the winner (confirm=true)."]})
    if budget_minor is not None and (isinstance(budget_minor, bool) or not isinstance(budget_minor, int) or budget_minor <= 0):
        raise ValidationError({"budget_minor": ["The budget must be a whole number of minor units greater than zero."]})
    if variant_set.status == "concluded":
        raise ExperimentConflict({"__all__": ["This test is concluded: the decision was already taken."]}, current_state="concluded")
    results = set_results(variant_set, ratios=False)
    preview = action_preview(results, "move_budget")
    if not preview["allowed"]:
        raise ValidationError({"__all__": [preview["reason"]]})
    assert results.result is not None  # noqa: S101
    verdict = results.result.primary
    arms = {a.render_id: a for a in results.arms}
    losers = [arms[k] for k in verdict.losers if k in arms]
    paused_ads = _pause(losers, user)
    previous = current_budget(variant_set.ad_set)
    new = previous
    if budget_minor is not None and budget_minor != previous:
        platforms = sorted({p for a in results.arms for _, p in a.published})
        for platform in platforms:
            new = ad_set_budget_change(ad_set=variant_set.ad_set, platform=platform, budget_minor=budget_minor, user=user)
    share = preview["losers_spend_share"] or 0.0
    decision = {"metric": "ctr", "winner_render": verdict.winner, "paused": [a.render_id for a in losers],
                "paused_ads": paused_ads, "budget_minor": new, "previous_budget_minor": previous,
                "budget_moved_minor": int(round((previous or 0) * share)), "verdict": verdict.message}
    _conclude(variant_set, user=user, action="move_budget", decision=decision)
    return variant_set.decision
