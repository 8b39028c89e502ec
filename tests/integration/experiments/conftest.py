"""Builders for creative-test tests: a variant set whose arms (control first, then variants) run
as sibling ads in one ad set, optionally live on the Meta Graph stand-in, with simulated results."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.experiments.simulator import simulate_variant_results
from campaigns.models import Ad
from videogen.models import JobStatus, Render, VariantSet, VideoJob

HOOKS = ("Cold brew, done right.", "Tired of bitter coffee?", "Your 3 pm pick-me-up")


def build_set(org, user, *, levels=HOOKS, factor="hook", placements=("instagram_reels",), started_days_ago=20,
              objective="sales", name="Hook test", meta=None, budget_minor=5000, published=True):
    """A running variant set (helper 7's shape: every arm a job of the set, the first the control,
    the others' renders ``variant_of`` the control's). ``meta``: the Graph stand-in to make the ads live on."""
    campaign = campaign_services.campaign_create(organization=org, actor=user, name=f"{name} campaign", objective=objective,
                                                 platforms=["meta"])
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=user, name=f"{name} set", budget_minor=budget_minor,
                                             placements=list(placements))
    base = VideoJob.objects.create(organization=org, created_by=user, title=f"{name} base", status=JobStatus.COMPLETED, brief={})
    vs = VariantSet.objects.create(organization=org, base_job=base, name=name, factor=factor,
                                   status="running" if published else "draft", ad_set=ad_set if published else None,
                                   first_published_at=timezone.now() - dt.timedelta(days=started_days_ago) if published else None,
                                   created_by=user)
    renders, ads = [], []
    ids = {}
    if meta is not None:
        ids["campaign"], ids["adset"] = meta.new_id(), meta.new_id()
        meta.state.objects[ids["campaign"]] = {"id": ids["campaign"], "_type": "campaign", "_account": "act_1234567890",
                                               "name": campaign.name, "status": "ACTIVE"}
        meta.state.objects[ids["adset"]] = {"id": ids["adset"], "_type": "adset", "_account": "act_1234567890",
                                            "campaign_id": ids["campaign"], "name": ad_set.name, "status": "ACTIVE",
                                            "daily_budget": str(budget_minor), "lifetime_budget": None}
        campaign.external = {"meta": {"id": ids["campaign"], "status": "ACTIVE"}}
        campaign.save(update_fields=["external"])
        ad_set.external = {"meta": {"id": ids["adset"], "status": "ACTIVE"}}
        ad_set.save(update_fields=["external"])
    for level in levels:
        job = VideoJob.objects.create(organization=org, created_by=user, title=f"{name} · {level}", status=JobStatus.COMPLETED,
                                      brief={}, variant_set=vs, variant_level=level)
        render = Render.objects.create(job=job, number=1, outputs={}, created_by=user, variant_factor=factor, variant_level=level,
                                       variant_of=renders[0] if renders else None)
        renders.append(render)
        if not published:
            continue
        ad = Ad.objects.create(ad_set=ad_set, name=f"{name} — {level}", status="active", creative_render=render,
                               creative_ratio="9:16", destination_url="https://aurora.example/shop")
        if meta is not None:
            ad_id = meta.new_id()
            meta.state.objects[ad_id] = {"id": ad_id, "_type": "ad", "_account": "act_1234567890", "adset_id": ids["adset"],
                                         "campaign_id": ids["campaign"], "name": ad.name, "status": "ACTIVE",
                                         "configured_status": "ACTIVE", "effective_status": "ACTIVE"}
            ad.external = {"meta": {"id": ad_id, "status": "ACTIVE"}}
            ad.save(update_fields=["external"])
        ads.append(ad)
    return SimpleNamespace(set=vs, renders=renders, ads=ads, campaign=campaign, ad_set=ad_set, ids=ids)


def with_results(built, *, lift, days=14, seed=1, per_day=20000, winner=1):
    simulate_variant_results(built.set, days=days, seed=seed, lift=lift, winner_key=built.renders[winner].pk,
                             impressions_per_day=per_day)
    built.set.refresh_from_db()
    return built


@pytest.fixture
def make_set(alice_org, alice):
    def make(**kw):
        results = kw.pop("results", None)
        built = build_set(alice_org, alice, **kw)
        if results is not None:
            with_results(built, **results)
        return built
    return make


@pytest.fixture
def live_meta(meta_settings, meta_graph, alice_org):
    from tests.integration.platforms.meta_helpers import meta_connection

    meta_connection(alice_org)
    return meta_graph


# The verdict states a page or the API can show, and how to get each.
STATES = {
    "winner": {"results": {"lift": 0.25, "days": 14, "seed": 3}},
    "no_difference": {"levels": HOOKS[:2], "results": {"lift": 0.0, "days": 14, "seed": 2}},
    "too_early": {"results": {"lift": 0.2, "days": 2, "seed": 1, "per_day": 3000}},
}
