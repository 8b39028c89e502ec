"""Reading creative tests: a variant set's arms, its results and verdicts, and the learnings.

Every query is scoped to an organization (:func:`kolony.tenancy.org_queryset`).

A set's **arms** are the ads of ``VariantSet.ad_set`` (not archived) whose ``creative_render``
belongs to a job of the set (``VideoJob.variant_set``) or to its ``base_job``, grouped by render.
The **control** is the base job's render when it runs in the set, else the render the others'
``Render.variant_of`` points to, else the oldest arm. An arm's **level** is
``Render.variant_level`` or ``VideoJob.variant_level`` ("control" for the base job without one).
The **window** starts on the local date of ``first_published_at`` (fixed at the first publish).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from campaigns.choices import Objective, Placement
from campaigns.models import Ad, InsightDaily
from kolony.tenancy import get_for_org_or_404, org_queryset

from . import stats
from .learnings import Learning
from .verdicts import COUNT_FIELDS, Arm, Day, SetResult, evaluate

#: Metrics a learning can be about (the proportions the z-test decides).
LEARNING_METRICS = ("ctr", "thruplay_rate")


def min_lift() -> float:
    """``KOLONY_EXPERIMENT_MIN_LIFT`` (default 0.10: a 10 % relative lift)."""
    return float(getattr(settings, "KOLONY_EXPERIMENT_MIN_LIFT", 0.10))


def min_impressions() -> int:
    """``KOLONY_EXPERIMENT_MIN_IMPRESSIONS`` (default 1000 per variant)."""
    return int(getattr(settings, "KOLONY_EXPERIMENT_MIN_IMPRESSIONS", 1000))


def variant_sets(organization) -> QuerySet:
    """The organization's variant sets, newest first, with their base job and ad set."""
    from videogen.models import VariantSet

    return org_queryset(VariantSet, organization).select_related("base_job", "ad_set__campaign").order_by("-created_at", "-pk")


def variant_set_or_404(organization, pk: Any):
    """One variant set of ``organization`` (Http404 for another organization's or a missing one)."""
    return get_for_org_or_404(variant_sets(organization), organization, pk=pk)


@dataclass
class ArmInfo:
    """One arm: its render, level label, whether it is the control, and its ads
    (``[(Ad, platform)]``: the platform it is published on, else the campaign's first)."""

    render_id: int
    label: str
    is_control: bool
    render: Any
    ads: list[tuple[Ad, str]] = field(default_factory=list)

    @property
    def published(self) -> list[tuple[Ad, str]]:
        """The ads live on a platform (``Ad.external[platform]["id"]``)."""
        return [(ad, p) for ad, p in self.ads if ((ad.external or {}).get(p) or {}).get("id")]

    @property
    def paused(self) -> bool:
        return bool(self.ads) and all(ad.status == "paused" for ad, _ in self.ads)


def _platform_of(ad: Ad) -> str:
    for platform in ("meta", "google"):
        if ((ad.external or {}).get(platform) or {}).get("id"):
            return platform
    platforms = ad.ad_set.campaign.platforms or ["meta"]
    return platforms[0]


def set_arms(variant_set) -> list[ArmInfo]:
    """The arms of ``variant_set`` (see the module docstring), control first, then by render id.
    Empty when the set has no ad set yet."""
    if variant_set.ad_set_id is None:
        return []
    ads = (org_queryset(Ad, variant_set.organization).filter(ad_set_id=variant_set.ad_set_id)
           .exclude(status="archived").exclude(creative_render__isnull=True)
           .select_related("creative_render__job", "ad_set__campaign").order_by("pk"))
    by_render: dict[int, ArmInfo] = {}
    for ad in ads:
        render = ad.creative_render
        if render is None:
            continue
        job = render.job
        if job.pk != variant_set.base_job_id and job.variant_set_id != variant_set.pk:
            continue
        if render.pk not in by_render:
            label = render.variant_level or job.variant_level or ("control" if job.pk == variant_set.base_job_id else job.title)
            by_render[render.pk] = ArmInfo(render_id=render.pk, label=label, is_control=False, render=render)
        by_render[render.pk].ads.append((ad, _platform_of(ad)))
    arms = list(by_render.values())
    if not arms:
        return []
    control = next((a for a in arms if a.render.job_id == variant_set.base_job_id), None)
    if control is None:
        targets = {a.render.variant_of_id for a in arms if a.render.variant_of_id}
        control = next((a for a in arms if a.render_id in targets), None)
    if control is None:
        control = min(arms, key=lambda a: min(ad.pk for ad, _ in a.ads))
    control.is_control = True
    return sorted(arms, key=lambda a: (not a.is_control, a.render_id))


def window_start(variant_set) -> dt.date | None:
    """The first day compared: the local date of the set's first publish (None before it)."""
    if variant_set.first_published_at is None:
        return None
    return timezone.localdate(variant_set.first_published_at)


def arm_days(variant_set, arms: list[ArmInfo]) -> dict[int, list[Day]]:
    """``{render id: [Day…]}``: each arm's delivery per day from the window's start (all its ads
    and platforms summed), in date order."""
    start = window_start(variant_set)
    ad_to_render = {ad.pk: arm.render_id for arm in arms for ad, _ in arm.ads}
    out: dict[int, dict[dt.date, Day]] = {arm.render_id: {} for arm in arms}
    if not ad_to_render or start is None:
        return {k: [] for k in out}
    rows = (org_queryset(InsightDaily, variant_set.organization).filter(ad_id__in=list(ad_to_render), date__gte=start)
            .values("ad_id", "date").annotate(**{f: Sum(f) for f in COUNT_FIELDS}).order_by("date"))
    for row in rows:
        days = out[ad_to_render[row["ad_id"]]]
        day = days.setdefault(row["date"], Day(date=row["date"]))
        for f in COUNT_FIELDS:
            setattr(day, f, getattr(day, f) + int(row[f] or 0))
    return {k: [v[d] for d in sorted(v)] for k, v in out.items()}


@dataclass
class SetResults:
    """What the results page shows: ``arms`` (:class:`ArmInfo`), ``result`` (the
    :class:`~campaigns.experiments.verdicts.SetResult`, None with fewer than two arms), ``start``
    (window start), ``series`` (chart data: dates and per-arm daily impressions / cumulative CTR
    with its Wilson interval, in percent)."""

    variant_set: Any
    arms: list[ArmInfo]
    result: SetResult | None
    start: dt.date | None
    series: dict


def set_results(variant_set, *, ratios: bool = True) -> SetResults:
    """Arms, verdicts and chart series of ``variant_set`` (settings: :func:`min_lift`,
    :func:`min_impressions`); ``ratios=False`` leaves out CPA / ROAS (their bootstrap)."""
    arms = set_arms(variant_set)
    days = arm_days(variant_set, arms)
    result = None
    if len(arms) >= 2:
        result = evaluate([Arm(key=a.render_id, label=a.label, is_control=a.is_control, days=days[a.render_id]) for a in arms],
                          min_impressions=min_impressions(), min_lift=min_lift(), seed=variant_set.pk or 17, ratios=ratios)
    return SetResults(variant_set=variant_set, arms=arms, result=result, start=window_start(variant_set),
                      series=_series(arms, days))


def _series(arms: list[ArmInfo], days: dict[int, list[Day]]) -> dict:
    dates = sorted({d.date for series in days.values() for d in series})
    out: dict[str, Any] = {"labels": [d.isoformat() for d in dates], "arms": []}
    for arm in arms:
        by_date = {d.date: d for d in days.get(arm.render_id, [])}
        clicks = impressions = 0
        ctr: list[float | None] = []
        low: list[float | None] = []
        high: list[float | None] = []
        daily: list[int] = []
        for date in dates:
            day = by_date.get(date)
            clicks += day.clicks if day else 0
            impressions += day.impressions if day else 0
            daily.append(day.impressions if day else 0)
            if impressions:
                lo, hi = stats.wilson_interval(clicks, impressions)
                ctr.append(round(clicks / impressions * 100, 3))
                low.append(round(lo * 100, 3))
                high.append(round(hi * 100, 3))
            else:
                ctr.append(None)
                low.append(None)
                high.append(None)
        out["arms"].append({"label": arm.label, "control": arm.is_control, "ctr": ctr, "ctr_low": low, "ctr_high": high,
                            "impressions": daily})
    return out


# --- learnings --------------------------------------------------------------------------------


def _placement_of(ad_set) -> str:
    placements = list(ad_set.placements or [])
    return placements[0] if len(placements) == 1 else ""


def _placement_label(placement: str) -> str:
    return dict(Placement.choices).get(placement, "") if placement else "automatic placements"


def learnings_for(organization, *, placement: str | None = None, objective: str | None = None) -> list[Learning]:
    """What won in ``organization``'s creative tests, as :class:`~campaigns.experiments.learnings.Learning`.

    One learning per (factor, winning level, beaten level, metric, placement, objective): a set
    counts when its verdict on that metric (CTR or thruplay rate) is a winner at 95 % — the
    fixed horizon was reached, so the verdict is final — whether the set still runs or was
    concluded; each significant comparison against the control gives one (winner, beaten)
    pair. Several tests of the same pair are pooled (their counts through each horizon summed)
    and the lift's interval is the log-ratio interval of the pooled rates.

    ``placement``: a :class:`campaigns.choices.Placement` value — only tests whose ad set ran
    on exactly that placement; ``""`` — automatic / several placements; None — any.
    ``objective``: a :class:`campaigns.choices.Objective` value, or None for any.
    Sorted by ``tests`` (desc), then ``lift`` (desc). Raises ValueError for an unknown placement
    or objective. Read-only (a few queries per running or concluded set)."""
    if placement not in (None, "") and placement not in Placement.values:
        raise ValueError(f"Unknown placement '{placement}'; use one of: {', '.join(Placement.values)}.")
    if objective is not None and objective not in Objective.values:
        raise ValueError(f"Unknown objective '{objective}'; use one of: {', '.join(Objective.values)}.")
    sets = variant_sets(organization).filter(status__in=("running", "concluded"), ad_set__isnull=False)
    if objective is not None:
        sets = sets.filter(ad_set__campaign__objective=objective)
    pooled: dict[tuple, dict] = {}
    for variant_set in sets:
        set_placement = _placement_of(variant_set.ad_set)
        if placement is not None and set_placement != placement:
            continue
        results = set_results(variant_set, ratios=False)
        if results.result is None:
            continue
        labels: dict[Any, str] = {a.render_id: a.label for a in results.arms}
        control = next(a for a in results.arms if a.is_control)
        for metric in LEARNING_METRICS:
            verdict = results.result.metrics[metric]
            if verdict.state != "winner" or verdict.horizon is None:
                continue
            successes = "clicks" if metric == "ctr" else "thruplays"
            totals: dict[Any, dict[str, int]] = {a.key: a.totals(until=verdict.horizon) for a in results.result.arms}
            pairs: list[tuple[Any, Any]] = ([(verdict.winner, control.render_id)] if verdict.winner != control.render_id
                     else [(control.render_id, loser) for loser in verdict.losers])
            for win, lose in pairs:
                key = (variant_set.factor, labels[win], labels[lose], metric, set_placement,
                       variant_set.ad_set.campaign.objective)
                entry = pooled.setdefault(key, {"s_w": 0, "n_w": 0, "s_l": 0, "n_l": 0, "tests": 0})
                entry["s_w"] += totals[win][successes]
                entry["n_w"] += totals[win]["impressions"]
                entry["s_l"] += totals[lose][successes]
                entry["n_l"] += totals[lose]["impressions"]
                entry["tests"] += 1
    out = []
    factor_labels = _factor_labels()
    metric_labels = {"ctr": "CTR", "thruplay_rate": "thruplay rate"}
    for (factor, level, beaten, metric, where, goal), e in pooled.items():
        lift = stats.rate_ratio_interval(e["s_w"], e["n_w"], e["s_l"], e["n_l"])
        if not lift.defined:
            continue
        tests = e["tests"]
        summary = (f"{factor_labels.get(factor, factor)} “{level}” beat “{beaten}” on {_placement_label(where)} "
                   f"({dict(Objective.choices).get(goal, goal).lower()}): {metric_labels[metric]} "
                   f"{lift.estimate * 100:+.0f} % (95 % CI {lift.low * 100:+.0f}…{lift.high * 100:+.0f} %), "  # type: ignore[operator]
                   f"{tests} test{'s' * (tests != 1)}")
        out.append(Learning(factor=factor, level=level, beaten_level=beaten, metric=metric, lift=float(lift.estimate),  # type: ignore[arg-type]
                            ci_low=float(lift.low), ci_high=float(lift.high), tests=tests, placement=where,  # type: ignore[arg-type]
                            objective=goal, summary=summary))
    out.sort(key=lambda learning: (-learning.tests, -learning.lift))
    return out


def _factor_labels() -> dict[str, str]:
    from videogen.models import VariantFactor

    return dict(VariantFactor.choices)


def results_by_render(arms: list[ArmInfo]) -> dict[int, ArmInfo]:
    """``{render id: ArmInfo}``."""
    return {a.render_id: a for a in arms}


def group_learnings(learnings: list[Learning]) -> dict[str, list[Learning]]:
    """Learnings grouped by factor label, for the insights page."""
    labels = _factor_labels()
    grouped: dict[str, list[Learning]] = defaultdict(list)
    for learning in learnings:
        grouped[labels.get(learning.factor, learning.factor)].append(learning)
    return dict(grouped)
