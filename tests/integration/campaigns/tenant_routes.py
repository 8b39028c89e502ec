"""Tenant-scoped routes of campaigns (see tests/integration/test_tenant_isolation.py)."""

import datetime as dt

from campaigns import services

PUBLIC: set[str] = set()
OWNER_METHOD = {name: "post" for name in (
    "campaigns:duplicate", "campaigns:status", "campaigns:ad_set_archive", "campaigns:ad_archive",
)}


def routes(ctx):
    campaign = services.campaign_create(organization=ctx.alice_org, actor=ctx.alice, name="Tenant check",
                                        objective="traffic", platforms=["meta"])
    ad_set = services.ad_set_create(campaign=campaign, actor=ctx.alice, name="Set", budget_minor=1000)
    ad = services.ad_create(ad_set=ad_set, actor=ctx.alice, name="Ad", destination_url="https://aurora.example/")
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": dt.date(2026, 11, 1), "impressions": 100, "clicks": 3}])
    insight = ad.insights.first()
    c, s, a = {"pk": campaign.pk}, {"pk": ad_set.pk}, {"pk": ad.pk}
    return {
        "campaigns:detail": c, "campaigns:edit": c, "campaigns:duplicate": c, "campaigns:status": c,
        "campaigns:ad_set_create": c, "campaigns:ad_set_edit": s, "campaigns:ad_set_archive": s,
        "campaigns:ad_create": s, "campaigns:ad_edit": a, "campaigns:ad_archive": a,
        "api:campaign-detail": c, "api:ad-set-detail": s, "api:ad-detail": a, "api:insight-detail": {"pk": insight.pk},
        "api:ad-set-creative-options": s, "api:campaign-warnings": c,
    }
