"""Creative-test pages: the list, one set's results (``/experiments/<id>/``) with its actions behind
a confirmation step, and the organization's creative insights (``/experiments/insights/``).
Thin: reads in ``selectors``, actions in ``services``; every object through ``kolony.tenancy``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from campaigns.choices import Objective, Placement
from kolony.core.request_validation import query_params
from kolony.core.service_errors import errors_as_text
from kolony.tenancy import current_membership, org_required, role_can

from . import selectors, services


def _org(request):
    return current_membership(request).organization


def _can_act(request) -> bool:
    return role_can(current_membership(request).role, "publish")


@org_required("view")
def experiment_list(request):
    """Every variant set of the organization with its CTR verdict."""
    rows = []
    for variant_set in selectors.variant_sets(_org(request)):
        results = selectors.set_results(variant_set, ratios=False)
        rows.append({"set": variant_set, "arms": len(results.arms),
                     "verdict": results.result.primary if results.result else None})
    return render(request, "experiments/list.html", {"rows": rows})


@org_required("view")
def experiment_detail(request, pk: int):
    variant_set = selectors.variant_set_or_404(_org(request), pk)
    results = selectors.set_results(variant_set)
    previews = {a: services.action_preview(results, a) for a in services.ACTIONS}
    return render(request, "experiments/detail.html", {
        "variant_set": variant_set, "results": results, "result": results.result, "previews": previews,
        "can_act": _can_act(request), "currency": variant_set.ad_set.currency if variant_set.ad_set_id else "USD",
        "metric_rows": _metric_rows(results),
    })


def _metric_rows(results: selectors.SetResults) -> list[dict]:
    """Per arm: the totals and rates the table shows, with Wilson intervals for the proportions."""
    from . import stats

    if results.result is None:
        return []
    rows = []
    for arm in results.arms:
        t = results.result.totals[arm.render_id]
        n = t["impressions"]
        row = {"arm": arm, "totals": t, "ctr": t["clicks"] / n if n else None,
               "ctr_ci": stats.wilson_interval(t["clicks"], n) if n else None,
               "thruplay_rate": t["thruplays"] / n if n else None,
               "thruplay_ci": stats.wilson_interval(t["thruplays"], n) if n else None,
               "cpa_minor": round(t["spend_minor"] / t["conversions"]) if t["conversions"] else None,
               "roas": t["conversion_value_minor"] / t["spend_minor"] if t["spend_minor"] else None}
        for metric in ("ctr", "thruplay_rate", "roas", "cpa"):
            verdict = results.result.metrics[metric]
            row[f"{metric}_cmp"] = next((c for c in verdict.comparisons if c.key == arm.render_id), None)
        row["winner"] = results.result.primary.winner == arm.render_id
        row["loser"] = arm.render_id in results.result.primary.losers
        rows.append(row)
    return rows


class MoveBudgetForm(forms.Form):
    budget = forms.DecimalField(min_value=0.01, max_digits=14, decimal_places=2, required=False,
                                help_text="New daily budget in the ad set's currency; empty keeps the current one.")


def _action(request, pk: int, action: str):
    variant_set = selectors.variant_set_or_404(_org(request), pk)
    if not _can_act(request):
        raise PermissionDenied("Your role cannot pause ads or change budgets.")
    results = selectors.set_results(variant_set, ratios=False)
    preview = services.action_preview(results, action)
    form = MoveBudgetForm(request.POST or None) if action == "move_budget" else None
    if request.method == "POST":
        confirm = request.POST.get("confirm") == "yes"
        try:
            if action == "pause_losers":
                services.pause_losers(variant_set=variant_set, user=request.user, confirm=confirm)
                messages.success(request, "The losing variants are paused and the test is concluded.")
            else:
                if form is None or not form.is_valid():
                    raise ValidationError({"budget": ["Enter the new daily budget as an amount such as 50.00."]})
                amount = form.cleaned_data.get("budget")
                budget_minor = int(round(amount * 100)) if amount is not None else None
                services.move_budget(variant_set=variant_set, user=request.user, confirm=confirm, budget_minor=budget_minor)
                messages.success(request, "The budget now goes to the winner and the test is concluded.")
            return redirect("experiments:detail", pk=variant_set.pk)
        except ValidationError as exc:
            for line in errors_as_text(exc):
                messages.error(request, line)
    return render(request, "experiments/confirm.html", {"variant_set": variant_set, "preview": preview, "form": form,
                                                        "action": action, "result": results.result})


@org_required("view")
def pause_losers(request, pk: int):
    """GET: what pausing would do (confirmation); POST ``confirm=yes``: do it."""
    return _action(request, pk, "pause_losers")


@org_required("view")
def move_budget(request, pk: int):
    """GET: what moving the budget would do (confirmation); POST ``confirm=yes`` [``budget``]: do it."""
    return _action(request, pk, "move_budget")


class InsightsFilterForm(forms.Form):
    placement = forms.ChoiceField(choices=[("", "Any placement"), ("automatic", "Automatic / several"), *Placement.choices],
                                  required=False)
    objective = forms.ChoiceField(choices=[("", "Any objective"), *Objective.choices], required=False)


@org_required("view")
def creative_insights(request):
    """Which factor levels won, by placement and objective, with how sure."""
    params = query_params(request, InsightsFilterForm)
    placement = params.get("placement") or None
    if placement == "automatic":
        placement = ""
    learnings = selectors.learnings_for(_org(request), placement=placement, objective=params.get("objective") or None)
    return render(request, "experiments/insights.html", {
        "learnings": learnings, "grouped": selectors.group_learnings(learnings), "form": InsightsFilterForm(request.GET or None),
    })
