"""Tenant-scoped routes of the insights sync ("Sync now"; see tests/integration/test_tenant_isolation.py)."""

from campaigns import services

PUBLIC: set[str] = set()
OWNER_METHOD = {"campaigns:connection_sync_insights": "post", "campaigns:campaign_sync_insights": "post"}


def routes(ctx):
    connection = services.platform_connection_save(organization=ctx.alice_org, actor=ctx.alice, platform="google",
                                                   ad_account_id="5550001112", token="tok")
    campaign = services.campaign_create(organization=ctx.alice_org, actor=ctx.alice, name="Sync check",
                                        objective="traffic", platforms=["google"])
    return {"campaigns:connection_sync_insights": {"pk": connection.pk},
            "campaigns:campaign_sync_insights": {"pk": campaign.pk}}
