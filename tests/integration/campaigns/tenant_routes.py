"""Tenant-scoped routes of campaigns (see tests/integration/test_tenant_isolation.py)."""

import datetime as dt

from campaigns import services

# the platform name is not a tenant object (the Connections page's OAuth start / callback)
PUBLIC: set[str] = {"campaigns:connection_start", "campaigns:connection_callback"}
OWNER_METHOD = {name: "post" for name in (
    "campaigns:duplicate", "campaigns:status", "campaigns:ad_set_archive", "campaigns:ad_archive",
    "campaigns:connection_disconnect",
    "campaigns:render_publish", "campaigns:publication_retry", "campaigns:ad_platform_status",
    "api:render-publish-publish", "api:publication-retry",
)}


def routes(ctx):
    campaign = services.campaign_create(organization=ctx.alice_org, actor=ctx.alice, name="Tenant check",
                                        objective="traffic", platforms=["meta"])
    ad_set = services.ad_set_create(campaign=campaign, actor=ctx.alice, name="Set", budget_minor=1000)
    ad = services.ad_create(ad_set=ad_set, actor=ctx.alice, name="Ad", destination_url="https://aurora.example/")
    services.insights_upsert(ad=ad, rows=[{"platform": "meta", "date": dt.date(2026, 11, 1), "impressions": 100, "clicks": 3}])
    insight = ad.insights.first()
    # no token: opening it never calls a platform (it asks to reconnect)
    connection = services.platform_connection_save(organization=ctx.alice_org, actor=ctx.alice, platform="meta",
                                                   ad_account_id="act_1234567890", token="")
    c, s, a = {"pk": campaign.pk}, {"pk": ad_set.pk}, {"pk": ad.pk}
    from campaigns.models import Publication
    from tests.integration.campaigns.studio_helpers import make_render

    render = make_render(ctx.alice_org, ctx.alice, ratios=("9:16",))
    publication = Publication.objects.create(organization=ctx.alice_org, render=render, ad_set=ad_set, ad=ad, platform="meta",
                                             aspect_ratio="9:16", status="failed", error_message="Tenant check")
    p = {"pk": publication.pk}
    return {
        "campaigns:render_publish": {"render_id": render.pk}, "campaigns:publication": p,
        "campaigns:publication_retry": p, "campaigns:ad_platform_status": a,
        "api:render-publish-publish": {"pk": render.pk}, "api:publication-detail": p, "api:publication-retry": p,
        "campaigns:detail": c, "campaigns:edit": c, "campaigns:duplicate": c, "campaigns:status": c,
        "campaigns:ad_set_create": c, "campaigns:ad_set_edit": s, "campaigns:ad_set_archive": s,
        "campaigns:ad_create": s, "campaigns:ad_edit": a, "campaigns:ad_archive": a,
        "api:campaign-detail": c, "api:ad-set-detail": s, "api:ad-detail": a, "api:insight-detail": {"pk": insight.pk},
        "api:ad-set-creative-options": s, "api:campaign-warnings": c,
        "campaigns:connection_account": {"pk": connection.pk}, "campaigns:connection_disconnect": {"pk": connection.pk},
    }
