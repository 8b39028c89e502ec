"""Tenant-scoped routes of creative tests (see tests/integration/test_tenant_isolation.py)."""

from tests.integration.experiments.conftest import build_set

PUBLIC: set[str] = set()
OWNER_METHOD = {"api:experiment-pause-losers": "post", "api:experiment-move-budget": "post"}


def routes(ctx):
    built = build_set(ctx.alice_org, ctx.alice, name="Tenant test")
    s = {"pk": built.set.pk}
    return {
        "experiments:detail": s, "experiments:pause_losers": s, "experiments:move_budget": s,
        "api:experiment-detail": s, "api:experiment-pause-losers": s, "api:experiment-move-budget": s,
    }
