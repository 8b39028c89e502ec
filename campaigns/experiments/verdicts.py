"""Verdicts of one variant set, from per-arm daily counts (pure: no Django, no database).

:func:`evaluate` takes the arms (the control and 1–4 variants, each a series of days) and answers,
per metric, what a marketer may conclude:

- **CTR** (clicks / impressions) and **thruplay rate** (ThruPlays / impressions, Meta's definition):
  ``winner`` at 95 % — a variant whose rate beats the control's by the pooled two-proportion
  z-test after Holm's correction across the set's comparisons (or the control, when it beats
  every variant); ``no_difference`` — the planned sample was reached and nothing beat the
  control; ``too_early`` — "about N more impressions needed".
- **CPA** and **ROAS**: each variant's value relative to the control's with a bootstrap interval
  over days (:func:`campaigns.experiments.stats.bootstrap_ratio_of_ratios`), never a bare winner:
  conversions are rare and their value is skewed, so a ratio and its interval say more.
- **impressions**: totals and each arm's share, with the unequal-delivery warning below.

Guardrails

- No verdict before every arm has ``min_impressions`` impressions (setting
  ``KOLONY_EXPERIMENT_MIN_IMPRESSIONS``, default 1000): below that a normal approximation of a
  1–2 % rate rests on a handful of clicks.
- Delivery warning when the most-delivered arm got more than :data:`UNEQUAL_DELIVERY_RATIO` (2×)
  the impressions of the least-delivered one: platforms steer delivery to the ad they predict will
  win, so arms then reached different people and the comparison is weaker than it looks.
- The window starts on the set's first publish (the caller passes only days from
  ``first_published_at`` on; looking at the page never moves it).

Sequential method: a **fixed-horizon test with blinded sample-size re-estimation**. The sample
each arm needs is the power calculation (:func:`~campaigns.experiments.stats.sample_size_per_arm`,
80 % power, two-sided) for the smallest lift worth acting on (``KOLONY_EXPERIMENT_MIN_LIFT``,
default 10 % relative) at the *pooled* rate of all arms (blind to which arm is which, so the
estimate carries no information about the difference; Kieser & Friede 2003, *Stat. Med.*
22:3571, show blinded re-estimation keeps the type I error), at a Bonferroni-split alpha
(``alpha / comparisons``, the most Holm's first step asks). Walking the days from the start, the
**horizon** is the first day on which every arm has that many impressions; the test is run once,
on the counts through that day, and the verdict then stays as it is however often the page is
opened or however long the ads keep running. Testing every day as data came in without such a
rule ("peeking") would inflate the false-winner rate far above 5 %; an alpha-spending bound
(O'Brien–Fleming) would allow early stops but needs the number of looks fixed in advance, which
a page anyone can open at any time does not have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import stats

#: Warn when the most-delivered arm got more than this many times the least-delivered arm's impressions.
UNEQUAL_DELIVERY_RATIO = 2.0
#: Power of the planned test.
POWER = 0.8
PROPORTION_METRICS = {"ctr": ("clicks", "CTR"), "thruplay_rate": ("thruplays", "Thruplay rate")}
RATIO_METRICS = {"roas": ("conversion_value_minor", "spend_minor", "ROAS"), "cpa": ("spend_minor", "conversions", "CPA")}
METRIC_LABELS = {"impressions": "Impressions", "ctr": "CTR", "thruplay_rate": "Thruplay rate", "cpa": "CPA", "roas": "ROAS"}
COUNT_FIELDS = ("impressions", "clicks", "thruplays", "video_plays", "spend_minor", "conversions", "conversion_value_minor")


@dataclass
class Day:
    """One arm's delivery on one day (money in minor units)."""

    date: dt.date
    impressions: int = 0
    clicks: int = 0
    thruplays: int = 0
    video_plays: int = 0
    spend_minor: int = 0
    conversions: int = 0
    conversion_value_minor: int = 0


@dataclass
class Arm:
    """One variant (or the control) of a set: ``key`` identifies it to the caller (the render id),
    ``label`` is its level ("Tired of bitter coffee?"), ``days`` its delivery."""

    key: int | str
    label: str
    is_control: bool = False
    days: list[Day] = field(default_factory=list)

    def totals(self, until: dt.date | None = None) -> dict[str, int]:
        out = dict.fromkeys(COUNT_FIELDS, 0)
        for day in self.days:
            if until is None or day.date <= until:
                for f in COUNT_FIELDS:
                    out[f] += int(getattr(day, f))
        return out


@dataclass
class Comparison:
    """A variant against the control on one metric. Proportions: ``lift`` (relative, 0.2 = +20 %)
    with its interval, ``z``, ``p`` and Holm's ``p_adjusted``, ``significant`` at 95 % after Holm.
    Ratios: ``ratio`` (variant ÷ control) and its bootstrap interval."""

    key: int | str
    label: str
    lift: stats.Interval | None = None
    z: float | None = None
    p: float | None = None
    p_adjusted: float | None = None
    significant: bool = False
    ratio: stats.Interval | None = None


@dataclass
class MetricVerdict:
    """The answer for one metric.

    ``state``: ``winner`` | ``no_difference`` | ``too_early`` (proportions), ``interval`` (CPA,
    ROAS: see ``comparisons``), ``info`` (impressions). ``winner``: the winning arm's key;
    ``losers``: keys of arms the winner (or the control) beat. ``required_per_arm``: planned
    impressions per arm; ``more_needed``: impressions still missing, summed over arms;
    ``horizon``: the day the planned sample was reached; ``message``: one sentence."""

    metric: str
    label: str
    state: str
    message: str
    comparisons: list[Comparison] = field(default_factory=list)
    winner: int | str | None = None
    losers: list[int | str] = field(default_factory=list)
    required_per_arm: int | None = None
    more_needed: int | None = None
    horizon: dt.date | None = None


@dataclass
class SetResult:
    """Everything :func:`evaluate` concludes: per-arm ``totals`` (through the last day),
    ``metrics`` (one :class:`MetricVerdict` per metric key), ``warnings`` (sentences)."""

    arms: list[Arm]
    totals: dict[int | str, dict[str, int]]
    metrics: dict[str, MetricVerdict]
    warnings: list[str]
    min_impressions: int
    min_lift: float
    alpha: float

    @property
    def primary(self) -> MetricVerdict:
        """The verdict the actions follow: CTR."""
        return self.metrics["ctr"]


def _pct(x: float) -> str:
    return f"{x * 100:+.0f} %"


def _days_union(arms: Sequence[Arm]) -> list[dt.date]:
    return sorted({d.date for arm in arms for d in arm.days})


def _cumulative(arms: Sequence[Arm], days: list[dt.date], successes: str) -> list[list[tuple[int, int]]]:
    """``[day index][arm index] → (successes, impressions)`` cumulated from the first day."""
    by_arm = [{d.date: d for d in arm.days} for arm in arms]
    running = [(0, 0)] * len(arms)
    out = []
    for day in days:
        running = [(s + int(getattr(by_arm[i].get(day), successes, 0) or 0),
                    n + int(getattr(by_arm[i].get(day), "impressions", 0) or 0)) for i, (s, n) in enumerate(running)]
        out.append(running)
    return out


def _required(pooled_rate: float, *, min_lift: float, alpha: float, comparisons: int) -> int | None:
    if not 0.0 < pooled_rate < 1.0:
        return None
    try:
        return stats.sample_size_per_arm(pooled_rate, min_lift, alpha=alpha / max(1, comparisons), power=POWER)
    except ValueError:
        return None


def _may_reach(pooled_rate: float, n_min: int, *, min_lift: float, alpha: float, comparisons: int) -> bool:
    """False when ``n_min`` is clearly below the planned sample (by the cheap closed form, which
    is never below statsmodels' value by more than about one impression): skips the exact solve."""
    if not 0.0 < pooled_rate < 1.0:
        return False
    try:
        bound = stats.sample_size_per_arm_closed_form(pooled_rate, min_lift, alpha=alpha / max(1, comparisons), power=POWER)
    except ValueError:
        return False
    return n_min >= bound - 10


def _proportion_verdict(metric: str, arms: list[Arm], *, min_impressions: int, min_lift: float, alpha: float) -> MetricVerdict:
    successes, label = PROPORTION_METRICS[metric]
    control = next(i for i, a in enumerate(arms) if a.is_control)
    variants = [i for i in range(len(arms)) if i != control]
    days = _days_union(arms)
    cumulative = _cumulative(arms, days, successes)
    horizon_index = None
    required = None
    for index, counts in enumerate(cumulative):
        n_min = min(n for _, n in counts)
        if n_min < min_impressions:
            continue
        pooled = sum(s for s, _ in counts) / max(1, sum(n for _, n in counts))
        if not _may_reach(pooled, n_min, min_lift=min_lift, alpha=alpha, comparisons=len(variants)):
            continue
        required = _required(pooled, min_lift=min_lift, alpha=alpha, comparisons=len(variants))
        if required is not None and n_min >= max(required, min_impressions):
            horizon_index = index
            break
    latest = cumulative[-1] if cumulative else [(0, 0)] * len(arms)
    if horizon_index is None:
        pooled = sum(s for s, _ in latest) / max(1, sum(n for _, n in latest))
        required = _required(pooled, min_lift=min_lift, alpha=alpha, comparisons=len(variants))
        target = max(required or 0, min_impressions)
        more = sum(max(0, target - n) for _, n in latest)
        comparisons = [_compare(arms, i, control, latest, alpha=alpha) for i in variants]
        if required is None:
            why = (f"no {'clicks' if successes == 'clicks' else 'ThruPlays'} yet" if sum(n for _, n in latest)
                   else "no impressions yet")
            message = (f"Too early: {why}; each variant needs at least {min_impressions:,} impressions "
                       f"(about {more:,} more in all) before the needed sample can be estimated.")
        else:
            message = (f"Too early: about {more:,} more impressions needed ({target:,} per variant to see a "
                       f"{min_lift:.0%} lift in {label} with 80 % power).")
        return MetricVerdict(metric, label, "too_early", message, comparisons=comparisons, required_per_arm=target,
                             more_needed=more)
    counts = cumulative[horizon_index]
    comparisons = [_compare(arms, i, control, counts, alpha=alpha) for i in variants]
    reject, adjusted = stats.holm([c.p if c.p is not None else 1.0 for c in comparisons], alpha=alpha)
    for c, r, p_adj in zip(comparisons, reject, adjusted, strict=True):
        c.significant, c.p_adjusted = r, p_adj
    better = [(i, c) for i, c in zip(variants, comparisons, strict=True) if c.significant and (c.z or 0) > 0]
    worse = [(i, c) for i, c in zip(variants, comparisons, strict=True) if c.significant and (c.z or 0) < 0]
    horizon = days[horizon_index]
    base = dict(required_per_arm=required, more_needed=0, horizon=horizon, comparisons=comparisons)
    rates = [s / n if n else 0.0 for s, n in counts]
    if better:
        best_i, best = max(better, key=lambda ic: rates[ic[0]])
        lift = best.lift
        ci = f" (95 % CI {_pct(lift.low)}…{_pct(lift.high)})" if lift and lift.defined else ""  # type: ignore[arg-type]
        message = (f"Winner at 95 %: “{arms[best_i].label}” — {label} {_pct(lift.estimate) if lift and lift.estimate is not None else ''}"
                   f" vs the control{ci}, Holm-corrected across {len(variants)} comparison{'s' * (len(variants) > 1)}.")
        return MetricVerdict(metric, label, "winner", message, winner=arms[best_i].key,
                             losers=[a.key for j, a in enumerate(arms) if j != best_i], **base)  # type: ignore[arg-type]
    if worse and len(worse) == len(variants):
        message = (f"Winner at 95 %: the control “{arms[control].label}” — every variant's {label} is lower, "
                   f"Holm-corrected across {len(variants)} comparison{'s' * (len(variants) > 1)}.")
        return MetricVerdict(metric, label, "winner", message, winner=arms[control].key,
                             losers=[arms[i].key for i in variants], **base)  # type: ignore[arg-type]
    message = (f"No difference at 95 %: each variant reached the {required:,} impressions needed to see a "
               f"{min_lift:.0%} lift in {label}, and none beat the control.")
    if worse:
        message += " Lower than the control: " + ", ".join(f"“{arms[i].label}”" for i, _ in worse) + "."
    return MetricVerdict(metric, label, "no_difference", message, losers=[arms[i].key for i, _ in worse], **base)  # type: ignore[arg-type]


def _compare(arms: list[Arm], i: int, control: int, counts: list[tuple[int, int]], *, alpha: float) -> Comparison:
    (s, n), (sc, nc) = counts[i], counts[control]
    comparison = Comparison(arms[i].key, arms[i].label, lift=stats.rate_ratio_interval(s, n, sc, nc, alpha=alpha))
    if n and nc:
        test = stats.two_proportion_ztest(s, n, sc, nc)
        comparison.z, comparison.p = test.z, test.p
    return comparison


def _ratio_verdict(metric: str, arms: list[Arm], *, min_impressions: int, alpha: float, seed: int) -> MetricVerdict:
    num, den, label = RATIO_METRICS[metric]
    control = next(i for i, a in enumerate(arms) if a.is_control)
    days = _days_union(arms)
    series = []
    for arm in arms:
        by_day = {d.date: d for d in arm.days}
        series.append(([float(getattr(by_day.get(day), num, 0) or 0) for day in days],
                       [float(getattr(by_day.get(day), den, 0) or 0) for day in days]))
    comparisons = []
    for i, arm in enumerate(arms):
        if i == control:
            continue
        ratio = stats.bootstrap_ratio_of_ratios(series[i][0], series[i][1], series[control][0], series[control][1],
                                                alpha=alpha, seed=seed + i)
        comparisons.append(Comparison(arm.key, arm.label, ratio=ratio))
    too_few = min(arm.totals()["impressions"] for arm in arms) < min_impressions
    if too_few or not any(c.ratio and c.ratio.defined for c in comparisons):
        what = "purchases" if metric == "cpa" else "conversion value"
        message = (f"Too early for {label}: not enough days with spend and {what} in every arm for an interval."
                   if not too_few else f"Too early for {label}: each variant needs {min_impressions:,} impressions first.")
        return MetricVerdict(metric, label, "too_early", message, comparisons=comparisons)
    parts = []
    for c in comparisons:
        r = c.ratio
        if r is not None and r.defined:
            parts.append(f"“{c.label}” {r.estimate:.2f}× the control (95 % CI {r.low:.2f}–{r.high:.2f}×)")
    better = "lower is better" if metric == "cpa" else "higher is better"
    message = f"{label} relative to the control, bootstrap over days ({better}): " + "; ".join(parts) + "."
    return MetricVerdict(metric, label, "interval", message, comparisons=comparisons)


def delivery_warning(totals: Sequence[tuple[str, int]]) -> str | None:
    """The unequal-delivery sentence for ``[(label, impressions)]``, or None when the most-delivered
    arm got at most :data:`UNEQUAL_DELIVERY_RATIO` × the least-delivered arm's impressions."""
    if len(totals) < 2:
        return None
    most = max(totals, key=lambda t: t[1])
    least = min(totals, key=lambda t: t[1])
    if most[1] == 0:
        return None
    if least[1] == 0 or most[1] / least[1] > UNEQUAL_DELIVERY_RATIO:
        times = f"{most[1] / least[1]:.1f}×" if least[1] else "all"
        return (f"Delivery was very unequal: “{most[0]}” got {times} the impressions of “{least[0]}” (warning above "
                f"{UNEQUAL_DELIVERY_RATIO:.0f}×). The platform steers delivery to the ad it expects to win, so the arms "
                f"reached different people; read the comparison with care.")
    return None


def evaluate(arms: Sequence[Arm], *, min_impressions: int = 1000, min_lift: float = 0.10, alpha: float = 0.05,
             seed: int = 17, ratios: bool = True) -> SetResult:
    """Verdicts of a set (see the module docstring). ``arms``: exactly one with ``is_control``,
    2–5 in all, days only from the set's first publish on. ``seed`` fixes the bootstrap;
    ``ratios=False`` skips CPA / ROAS (no bootstrap: for the learnings, which only use proportions).
    Raises ValueError for no control, several, fewer than 2 arms, a ``min_lift`` ≤ 0 or a
    ``min_impressions`` < 1."""
    arms = list(arms)
    if len(arms) < 2:
        raise ValueError("A test needs a control and at least one variant.")
    if sum(1 for a in arms if a.is_control) != 1:
        raise ValueError("Exactly one arm must be the control.")
    if min_lift <= 0:
        raise ValueError(f"The smallest lift worth acting on must be positive (got {min_lift}).")
    if min_impressions < 1:
        raise ValueError(f"The minimum impressions per variant must be at least 1 (got {min_impressions}).")
    totals = {a.key: a.totals() for a in arms}
    metrics: dict[str, MetricVerdict] = {}
    impressions = [(a.label, totals[a.key]["impressions"]) for a in arms]
    all_impressions = sum(n for _, n in impressions) or 1
    shares = ", ".join(f"“{label}” {n / all_impressions:.0%}" for label, n in impressions)
    metrics["impressions"] = MetricVerdict("impressions", "Impressions", "info", f"Share of impressions: {shares}.")
    for metric in PROPORTION_METRICS:
        metrics[metric] = _proportion_verdict(metric, arms, min_impressions=min_impressions, min_lift=min_lift, alpha=alpha)
    for metric in RATIO_METRICS if ratios else ():
        metrics[metric] = _ratio_verdict(metric, arms, min_impressions=min_impressions, alpha=alpha, seed=seed)
    warnings = [w for w in [delivery_warning(impressions)] if w]
    return SetResult(arms=arms, totals=totals, metrics=metrics, warnings=warnings, min_impressions=min_impressions,
                     min_lift=min_lift, alpha=alpha)
