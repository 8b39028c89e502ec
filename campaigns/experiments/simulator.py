"""Seeded daily insights for the sibling ads of a variant set, from known true rates.

For tests, the demo (``make run``) and the e2e test: :func:`simulate_days` (pure, in memory) draws
each arm's day as

- impressions ~ Poisson(``impressions_per_day`` × the day's traffic × the arm's delivery share),
- clicks ~ Binomial(impressions, CTR × the day's effect), ThruPlays ~ Binomial(impressions,
  thruplay rate × the day's effect), video plays ≥ ThruPlays, quartiles p25 ≥ … ≥ p100,
- purchases ~ Binomial(clicks, click-to-purchase rate), value = purchases × order value ×
  LogNormal(0, 0.25), spend = impressions × CPM / 1000 × Uniform(0.9, 1.1).

The per-day noise is a **day effect shared by every arm** (LogNormal(0, ``day_noise``) on traffic
and on the rates: weekends, auctions, the platform's mood), as in real delivery; it moves all arms
together, so the binomial z-test stays valid. :func:`simulate_variant_results` writes the rows
through :func:`campaigns.services.insights_upsert`, the same upsert the platform sync uses.

Default rates follow the demo's benchmarks (campaigns/demo.py: CTR ≈ 1.2 %, click-to-purchase
3 %, order ≈ $38, CPM ≈ $9).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .verdicts import Arm, Day


@dataclass(frozen=True)
class TrueRates:
    """What an arm really does. Rates are fractions; money in minor units (cents)."""

    ctr: float = 0.012
    thruplay_rate: float = 0.25
    purchase_rate: float = 0.03      # purchases per click
    order_value_minor: int = 3800
    cpm_minor: int = 900
    delivery_share: float = 1.0      # relative delivery (1.0 = equal to the others)

    def lifted(self, lift: float) -> TrueRates:
        """The same arm with CTR and thruplay rate × (1 + ``lift``)."""
        return replace(self, ctr=self.ctr * (1 + lift), thruplay_rate=min(0.99, self.thruplay_rate * (1 + lift)))


def simulate_days(rates: Sequence[TrueRates], *, start: dt.date, days: int, seed: int,
                  impressions_per_day: int = 20000, day_noise: float = 0.1) -> list[list[Day]]:
    """``[arm][day] → Day`` for ``days`` days from ``start``. Same ``seed`` → same numbers.
    Raises ValueError for no arms, ``days`` < 1, a rate outside [0, 1] or negative traffic."""
    if not rates:
        raise ValueError("Simulate at least one arm.")
    if days < 1:
        raise ValueError(f"days must be at least 1 (got {days}).")
    if impressions_per_day < 0:
        raise ValueError("impressions_per_day cannot be negative.")
    for r in rates:
        for name in ("ctr", "thruplay_rate", "purchase_rate"):
            if not 0.0 <= getattr(r, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1] (got {getattr(r, name)}).")
    rng = np.random.default_rng(seed)
    out: list[list[Day]] = [[] for _ in rates]
    for d in range(days):
        date = start + dt.timedelta(days=d)
        traffic = rng.lognormal(0.0, day_noise)
        effect = rng.lognormal(0.0, day_noise)
        for i, r in enumerate(rates):
            impressions = int(rng.poisson(impressions_per_day * traffic * r.delivery_share))
            clicks = int(rng.binomial(impressions, min(1.0, r.ctr * effect)))
            thruplays = int(rng.binomial(impressions, min(1.0, r.thruplay_rate * effect)))
            plays = thruplays + int(rng.binomial(impressions - thruplays, 0.5))
            purchases = int(rng.binomial(clicks, r.purchase_rate))
            value = int(round(purchases * r.order_value_minor * rng.lognormal(0.0, 0.25)))
            spend = int(round(impressions * r.cpm_minor / 1000 * rng.uniform(0.9, 1.1)))
            out[i].append(Day(date=date, impressions=impressions, clicks=clicks, thruplays=thruplays, video_plays=plays,
                              spend_minor=spend, conversions=purchases, conversion_value_minor=value))
    return out


def simulate_arms(*, lift: float, variants: int = 1, start: dt.date | None = None, days: int = 14, seed: int = 0,
                  impressions_per_day: int = 20000, base: TrueRates | None = None) -> list[Arm]:
    """A control and ``variants`` variants in memory; the first variant's CTR and thruplay rate
    are ``lift`` higher (relative), the others equal the control. For the statistics tests."""
    base = base or TrueRates()
    rates = [base, base.lifted(lift), *([base] * (variants - 1))]
    series = simulate_days(rates, start=start or dt.date(2026, 1, 1), days=days, seed=seed,
                           impressions_per_day=impressions_per_day)
    labels = ["control", *(f"variant {i}" for i in range(1, variants + 1))]
    return [Arm(key=i, label=labels[i], is_control=i == 0, days=series[i]) for i in range(len(rates))]


def insight_rows(days: Sequence[Day], *, platform: str) -> list[dict]:
    """Rows for :func:`campaigns.services.insights_upsert` (reach 80 % of impressions; quartiles
    from the plays down to the ThruPlays)."""
    rows = []
    for day in days:
        p25 = max(day.thruplays, (day.video_plays * 3 + day.thruplays) // 4)
        p50 = max(day.thruplays, (day.video_plays + day.thruplays) // 2)
        p75 = max(day.thruplays, (day.video_plays + day.thruplays * 3) // 4)
        p50, p75 = min(p50, p25), min(p75, min(p50, p25))
        rows.append({"platform": platform, "date": day.date, "impressions": day.impressions,
                     "reach": int(day.impressions * 0.8), "clicks": day.clicks, "spend_minor": day.spend_minor,
                     "conversions": day.conversions, "conversion_value_minor": day.conversion_value_minor,
                     "video_plays": day.video_plays, "thruplays": day.thruplays, "video_p25": p25, "video_p50": p50,
                     "video_p75": p75, "video_p100": min(day.thruplays, p75)})
    return rows


def simulate_variant_results(variant_set, *, days: int = 14, seed: int = 0, lift: float = 0.2,
                             winner_key: int | None = None, impressions_per_day: int = 20000,
                             start: dt.date | None = None, base: TrueRates | None = None) -> int:
    """Writes ``days`` days of simulated insights for every arm of ``variant_set`` (a
    :class:`videogen.models.VariantSet` with published sibling ads) from its first publish day
    (``start`` overrides; the days are cut at today). The arm ``winner_key`` (a render id; default:
    the first non-control arm) gets ``lift`` (relative) on CTR and thruplay rate; ``lift=0`` → all
    equal. Returns the number of rows written. Raises ValueError when the set has no arms yet
    (nothing published) or ``winner_key`` is not one of its renders."""
    from django.db import transaction
    from django.utils import timezone

    from campaigns.services import insights_upsert

    from .selectors import set_arms

    arms = set_arms(variant_set)
    if len(arms) < 2:
        raise ValueError(f"Variant set {variant_set.pk} has {len(arms)} published arm(s); publish the control and at least "
                         "one variant first.")
    if winner_key is None:
        winner_key = next(a.render_id for a in arms if not a.is_control)
    if winner_key not in {a.render_id for a in arms}:
        raise ValueError(f"Render {winner_key} is not an arm of variant set {variant_set.pk}.")
    today = timezone.localdate()
    first = start or (timezone.localdate(variant_set.first_published_at) if variant_set.first_published_at else today)
    base = base or TrueRates()
    rates = [base.lifted(lift) if a.render_id == winner_key else base for a in arms]
    series = simulate_days(rates, start=first, days=days, seed=seed, impressions_per_day=impressions_per_day)
    written = 0
    with transaction.atomic():
        for arm, arm_days in zip(arms, series, strict=True):
            kept = [d for d in arm_days if d.date <= today]
            per_ad = _split(kept, len(arm.ads))
            for (ad, platform), ad_days in zip(arm.ads, per_ad, strict=True):
                written += insights_upsert(ad=ad, rows=insight_rows(ad_days, platform=platform))
    from kolony.datacache import data_changed

    data_changed(variant_set.organization, insights=True)
    return written


def _split(days: list[Day], parts: int) -> list[list[Day]]:
    """An arm's days for each of its ``parts`` ads (an arm is usually one ad): the first ad gets
    everything, the others nothing, so totals are exact."""
    return [days, *([[]] * (parts - 1))] if parts else []
