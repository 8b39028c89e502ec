"""Demo creative tests for ``make run`` (called by :func:`campaigns.demo.seed`): in "Cold Brew
Summer Launch",

- **Hook test – Reels** (concluded): three hook lines on Instagram Reels for 21 days from 30 days
  ago; “Tired of bitter coffee?” has a true CTR 25 % above the control, found at 95 %; the losers
  were paused (the decision is recorded);
- **Call-to-action test – Feed** (running, too early): two calls to action on Facebook Feed for
  the last 3 days at low delivery.

Insights come from the seeded simulator (:mod:`campaigns.experiments.simulator`), written through
the platform sync's upsert. Idempotent (everything found by name; insight rows upserted).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns.models import Ad, AdSet, Campaign

from .simulator import TrueRates, simulate_variant_results

CAMPAIGN = "Cold Brew Summer Launch"
TESTS: list[dict[str, Any]] = [
    {"name": "Hook test – Reels", "factor": "hook", "ad_set": "Hook test – Reels", "placements": ["instagram_reels"],
     "levels": ["Cold brew, done right.", "Tired of bitter coffee?", "Your 3 pm pick-me-up"], "winner": 1, "lift": 0.25,
     "started_days_ago": 30, "days": 21, "per_day": 20000, "seed": 1701, "conclude": True},
    {"name": "Call-to-action test – Feed", "factor": "call_to_action", "ad_set": "CTA test – Feed", "placements": ["facebook_feed"],
     "levels": ["Shop now", "Get your first bag"], "winner": 1, "lift": 0.1,
     "started_days_ago": 3, "days": 3, "per_day": 1500, "seed": 1702, "conclude": False},
]


def seed(*, organization, user, stdout=None) -> list:
    """Creates (or completes) the two demo tests; returns their variant sets."""
    from videogen.models import JobStatus, Render, VariantSet, VideoJob

    campaign = Campaign.objects.filter(organization=organization, name=CAMPAIGN).first()
    if campaign is None:
        return []
    out = []
    now = timezone.now()
    for spec in TESTS:
        with transaction.atomic():
            variant_set = VariantSet.objects.filter(organization=organization, name=spec["name"]).first()
            if variant_set is None:
                ad_set = AdSet.objects.filter(campaign=campaign, name=spec["ad_set"]).first() or AdSet.objects.create(
                    campaign=campaign, name=spec["ad_set"], status="active", budget_minor=5000, currency=campaign.currency,
                    optimization_goal="OFFSITE_CONVERSIONS", placements=spec["placements"],
                    targeting={"countries": ["US"], "age_min": 25, "age_max": 44, "genders": [], "languages": ["en"], "interests": []})
                brief = {"product_name": "Aurora Cold Brew", "aspect_ratios": ["9:16"], "landing_url": "https://aurora-coffee.example/shop"}
                base = VideoJob.objects.create(organization=organization, created_by=user, title=f"Aurora Cold Brew — {spec['name']}",
                                               status=JobStatus.COMPLETED, brief=brief)
                variant_set = VariantSet.objects.create(
                    organization=organization, base_job=base, name=spec["name"], factor=spec["factor"], status="running",
                    ad_set=ad_set, first_published_at=now - dt.timedelta(days=spec["started_days_ago"]), created_by=user)
                control = Render.objects.create(job=base, number=1, outputs={}, created_by=user, variant_factor=spec["factor"],
                                                variant_level=spec["levels"][0])
                renders = [control]
                for level in spec["levels"][1:]:
                    job = VideoJob.objects.create(organization=organization, created_by=user, title=f"{base.title} · {level}"[:120],
                                                  status=JobStatus.COMPLETED, brief=brief, variant_set=variant_set, variant_level=level)
                    renders.append(Render.objects.create(job=job, number=1, outputs={}, created_by=user, variant_of=control,
                                                         variant_factor=spec["factor"], variant_level=level))
                for render, level in zip(renders, spec["levels"], strict=True):
                    Ad.objects.create(ad_set=ad_set, name=f"{spec['name']} — {spec['factor'].replace('_', ' ')}: {level}"[:200],
                                      status="active", creative_render=render, creative_ratio="9:16",
                                      headline="Small-batch coffee, delivered fresh", destination_url="https://aurora-coffee.example/shop")
                VariantSet.objects.filter(pk=variant_set.pk).update(ad_set=ad_set)
                variant_set.refresh_from_db()
                winner = renders[spec["winner"]].pk
            else:
                winner = (Render.objects.filter(job__variant_set=variant_set, variant_level=spec["levels"][spec["winner"]])
                          .values_list("pk", flat=True).first())
        start = timezone.localdate(variant_set.first_published_at)
        simulate_variant_results(variant_set, days=spec["days"], seed=spec["seed"], lift=spec["lift"], winner_key=winner,
                                 impressions_per_day=spec["per_day"], start=start, base=TrueRates())
        if spec["conclude"] and variant_set.status != "concluded":
            _conclude(variant_set, user=user)
        out.append(variant_set)
    if stdout is not None:
        stdout.write("Creative tests: " + "; ".join(f"{vs.name} at /experiments/{vs.pk}/" for vs in out) + ".")
    return out


def _conclude(variant_set, *, user) -> None:
    """The demo's decision on the finished test: the CTR losers paused (in Kolony only: the demo
    ads are not on a platform), recorded like :func:`campaigns.experiments.services.pause_losers`."""
    from kolony.accounts.services import audit_log

    from .selectors import set_results

    results = set_results(variant_set, ratios=False)
    if results.result is None or results.result.primary.state != "winner":
        return
    verdict = results.result.primary
    arms = {a.render_id: a for a in results.arms}
    paused_ads = [ad.pk for key in verdict.losers for ad, _ in arms[key].ads]  # type: ignore[index]
    Ad.objects.filter(pk__in=paused_ads).update(status="paused")
    variant_set.status, variant_set.concluded_at = "concluded", timezone.now()
    variant_set.decision = {"action": "pause_losers", "metric": "ctr", "winner_render": verdict.winner, "paused": list(verdict.losers),
                            "paused_ads": paused_ads, "verdict": verdict.message, "by": user.pk,
                            "at": variant_set.concluded_at.isoformat()}
    variant_set.save(update_fields=["status", "concluded_at", "decision"])
    audit_log(organization=variant_set.organization, actor=user, action="variant_set.losers_paused", target=variant_set,
              metadata={k: v for k, v in variant_set.decision.items() if k != "at"})
