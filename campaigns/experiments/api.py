"""REST API of creative tests (mounted under ``/api/v1/``):

- ``GET /experiments/`` — the organization's variant sets with their CTR verdict state;
- ``GET /experiments/{id}/`` — one set's arms (totals, rates with Wilson intervals), verdicts per
  metric (comparisons with lifts, z, p and Holm-adjusted p; CPA/ROAS ratios with bootstrap
  intervals), warnings, window start and decision;
- ``POST /experiments/{id}/pause-losers/`` ``{"confirm": true}`` and
  ``POST /experiments/{id}/move-budget/`` ``{"confirm": true, "budget_minor": 5000}`` — the actions
  (``publish`` capability; 400 without ``confirm`` or when the verdict does not allow it, 409 when
  already concluded); they answer with the recorded decision;
- ``GET /experiments/insights/?placement=&objective=`` — the learnings (what won).

Another organization's set answers 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from campaigns.choices import Objective, Placement
from kolony.core.request_validation import parse_id, query_params
from kolony.tenancy import OrgScopedViewSetMixin
from videogen.models import VariantSet

from . import selectors, services, stats
from .verdicts import MetricVerdict


def _interval(i: stats.Interval | None) -> dict | None:
    if i is None:
        return None
    return {"estimate": i.estimate, "low": i.low, "high": i.high}


def verdict_data(v: MetricVerdict) -> dict:
    return {
        "metric": v.metric, "label": v.label, "state": v.state, "message": v.message, "winner": v.winner,
        "losers": list(v.losers), "required_per_arm": v.required_per_arm, "more_needed": v.more_needed,
        "horizon": v.horizon.isoformat() if v.horizon else None,
        "comparisons": [{"render": c.key, "label": c.label, "lift": _interval(c.lift), "z": c.z, "p": c.p,
                         "p_adjusted": c.p_adjusted, "significant": c.significant, "ratio": _interval(c.ratio)}
                        for c in v.comparisons],
    }


def results_data(results: selectors.SetResults) -> dict:
    vs = results.variant_set
    arms = []
    for arm in results.arms:
        t = results.result.totals[arm.render_id] if results.result else None
        n = t["impressions"] if t else 0
        arms.append({
            "render": arm.render_id, "label": arm.label, "control": arm.is_control, "paused": arm.paused,
            "ads": [{"id": ad.pk, "name": ad.name, "platform": platform, "status": ad.status} for ad, platform in arm.ads],
            "totals": t,
            "ctr": t["clicks"] / n if t and n else None,
            "ctr_ci": list(stats.wilson_interval(t["clicks"], n)) if t and n else None,
            "thruplay_rate": t["thruplays"] / n if t and n else None,
            "thruplay_rate_ci": list(stats.wilson_interval(t["thruplays"], n)) if t and n else None,
        })
    result = results.result
    return {
        "id": vs.pk, "name": vs.name, "factor": vs.factor, "status": vs.status,
        "ad_set": vs.ad_set_id, "window_start": results.start.isoformat() if results.start else None,
        "min_impressions": selectors.min_impressions(), "min_lift": selectors.min_lift(),
        "arms": arms,
        "verdicts": {k: verdict_data(v) for k, v in result.metrics.items()} if result else {},
        "warnings": list(result.warnings) if result else [],
        "decision": vs.decision or {}, "concluded_at": vs.concluded_at.isoformat() if vs.concluded_at else None,
    }


class IntervalSerializer(serializers.Serializer):
    estimate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)


class ComparisonSerializer(serializers.Serializer):
    render = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named label
    lift = IntervalSerializer(allow_null=True, help_text="Relative lift over the control (0.2 = +20 %) with its 95 % interval.")
    z = serializers.FloatField(allow_null=True)
    p = serializers.FloatField(allow_null=True)
    p_adjusted = serializers.FloatField(allow_null=True, help_text="Holm-adjusted p value (null before the horizon).")
    significant = serializers.BooleanField()
    ratio = IntervalSerializer(allow_null=True, help_text="CPA / ROAS: variant ÷ control with a bootstrap interval.")


class VerdictSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=["impressions", "ctr", "thruplay_rate", "cpa", "roas"])
    label = serializers.CharField()  # type: ignore[assignment]  # a field named label
    state = serializers.ChoiceField(choices=["winner", "no_difference", "too_early", "interval", "info"])
    message = serializers.CharField()
    winner = serializers.IntegerField(allow_null=True, help_text="Render id of the winning arm.")
    losers = serializers.ListField(child=serializers.IntegerField())
    required_per_arm = serializers.IntegerField(allow_null=True)
    more_needed = serializers.IntegerField(allow_null=True)
    horizon = serializers.DateField(allow_null=True)
    comparisons = ComparisonSerializer(many=True)


class ArmSerializer(serializers.Serializer):
    render = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    control = serializers.BooleanField()
    paused = serializers.BooleanField()
    ads = serializers.ListField(child=serializers.DictField())
    totals = serializers.DictField(child=serializers.IntegerField(), allow_null=True)
    ctr = serializers.FloatField(allow_null=True)
    ctr_ci = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    thruplay_rate = serializers.FloatField(allow_null=True)
    thruplay_rate_ci = serializers.ListField(child=serializers.FloatField(), allow_null=True)


class ExperimentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    factor = serializers.CharField()
    status = serializers.ChoiceField(choices=["draft", "running", "concluded"])
    ad_set = serializers.IntegerField(allow_null=True)
    window_start = serializers.DateField(allow_null=True)
    min_impressions = serializers.IntegerField()
    min_lift = serializers.FloatField()
    arms = ArmSerializer(many=True)
    verdicts = serializers.DictField(child=VerdictSerializer())
    warnings = serializers.ListField(child=serializers.CharField())
    decision = serializers.DictField()
    concluded_at = serializers.DateTimeField(allow_null=True)


class ExperimentListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    factor = serializers.CharField()
    status = serializers.CharField()
    ad_set = serializers.IntegerField(allow_null=True)
    state = serializers.CharField(allow_null=True, help_text="The CTR verdict: winner | no_difference | too_early; null before publishing.")


class ConfirmSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="Must be true: the action pauses ads on the platforms.")


class MoveBudgetSerializer(ConfirmSerializer):
    budget_minor = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10**12,
                                            help_text="New daily budget in minor units; omitted = keep the current one.")


class LearningSerializer(serializers.Serializer):
    factor = serializers.CharField()
    level = serializers.CharField()
    beaten_level = serializers.CharField()
    metric = serializers.ChoiceField(choices=["ctr", "thruplay_rate"])
    lift = serializers.FloatField()
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    tests = serializers.IntegerField()
    placement = serializers.CharField()
    objective = serializers.CharField()
    summary = serializers.CharField()


DECISION_EXAMPLE = {"action": "pause_losers", "metric": "ctr", "winner_render": 12, "paused": [13, 14], "paused_ads": [31, 32],
                    "verdict": "Winner at 95 %: “Tired of bitter coffee?” — CTR +21 % vs the control …", "by": 3,
                    "at": "2026-03-15T10:00:00+00:00"}


class DecisionSerializer(serializers.Serializer):
    """What a concluding action did (``VariantSet.decision``; money in minor units)."""

    action = serializers.ChoiceField(choices=["pause_losers", "move_budget"])
    metric = serializers.CharField()
    winner_render = serializers.IntegerField(allow_null=True)
    paused = serializers.ListField(child=serializers.IntegerField(), help_text="Render ids of the paused variants")
    paused_ads = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the ads paused on their platforms")
    verdict = serializers.CharField(required=False)
    budget_minor = serializers.IntegerField(required=False, allow_null=True)
    previous_budget_minor = serializers.IntegerField(required=False, allow_null=True)
    budget_moved_minor = serializers.IntegerField(required=False, allow_null=True)
    by = serializers.IntegerField(help_text="Id of the user who decided")
    at = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(summary="Creative tests (variant sets) with their CTR verdict", responses=ExperimentListSerializer(many=True)),
    retrieve=extend_schema(summary="One creative test: arms, verdicts per metric, warnings, decision", responses=ExperimentSerializer),
    pause_losers=extend_schema(summary="Pause the losing variants on their platforms and conclude the test",
                               request=ConfirmSerializer, responses={200: DecisionSerializer},
                               examples=[OpenApiExample("Decision", value=DECISION_EXAMPLE, response_only=True)]),
    insights=extend_schema(
        summary="Creative insights: which factor levels won, by placement and objective",
        parameters=[OpenApiParameter("placement", str, enum=["automatic", *Placement.values], required=False,
                                     description="Only tests run on this one placement; automatic = automatic or several."),
                    OpenApiParameter("objective", str, enum=list(Objective.values), required=False)],
        responses=LearningSerializer(many=True)),
    move_budget=extend_schema(summary="Move the ad set's budget to the winner (pause the losers, optionally a new budget)",
                              request=MoveBudgetSerializer, responses={200: DecisionSerializer}),
)
class ExperimentViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Variant sets of your organization (another organization's id answers 404)."""

    queryset = VariantSet.objects.select_related("base_job", "ad_set__campaign").order_by("-created_at", "-pk")
    serializer_class = ExperimentSerializer
    action_capabilities = {"pause_losers": "publish", "move_budget": "publish"}
    pagination_class = None

    def get_object(self):
        pk = parse_id(self.kwargs.get("pk"))
        obj = self.get_queryset().filter(pk=pk).first() if pk else None
        if obj is None:
            raise NotFound("Not found.")
        return obj

    def list(self, request, *args, **kwargs):
        rows: list[dict[str, Any]] = []
        for vs in self.get_queryset():
            results = selectors.set_results(vs, ratios=False)
            rows.append({"id": vs.pk, "name": vs.name, "factor": vs.factor, "status": vs.status, "ad_set": vs.ad_set_id,
                         "state": results.result.primary.state if results.result else None})
        return Response(rows)

    def retrieve(self, request, *args, **kwargs):
        return Response(results_data(selectors.set_results(self.get_object())))

    @action(detail=False, methods=["get"], url_path="insights")
    def insights(self, request):
        """The learnings of your organization (what won), filtered by placement / objective."""
        from .views import InsightsFilterForm

        params = query_params(request, InsightsFilterForm)
        placement = params.get("placement") or None
        if placement == "automatic":
            placement = ""
        learnings = selectors.learnings_for(self.organization, placement=placement, objective=params.get("objective") or None)
        return Response([learning.as_dict() for learning in learnings])

    @action(detail=True, methods=["post"], url_path="pause-losers")
    def pause_losers(self, request, pk=None):
        variant_set = self.get_object()
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(services.pause_losers(variant_set=variant_set, user=request.user, confirm=body.validated_data["confirm"]))

    @action(detail=True, methods=["post"], url_path="move-budget")
    def move_budget(self, request, pk=None):
        variant_set = self.get_object()
        body = MoveBudgetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(services.move_budget(variant_set=variant_set, user=request.user, confirm=body.validated_data["confirm"],
                                             budget_minor=body.validated_data.get("budget_minor")))
