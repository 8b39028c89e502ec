"""The plan catalogue: Free, Pro, Agency and the internal unlimited plan used while billing is
disabled. Seeded by migration 0002 and re-created by :func:`plans_ensure` wherever a plan row is
missing (a restored or flushed database), so no code path depends on the seed having survived.

Prices are monthly, in minor units (cents, USD); 1 credit = 1 second of delivered video in one
format; ``None`` means unlimited.
"""

from __future__ import annotations

PLANS = [
    dict(code="free", name="Free", monthly_price_minor=0, seats=2, render_credits_per_month=60, max_ad_seconds=15,
         formats_allowed=["9:16", "1:1"], gpu_scenes_allowed=False, publishing_allowed=False, overage_allowed=False,
         stripe_price_setting="", is_public=True, sort_order=10),
    dict(code="pro", name="Pro", monthly_price_minor=4900, seats=5, render_credits_per_month=1200, max_ad_seconds=60,
         formats_allowed=[], gpu_scenes_allowed=True, publishing_allowed=True, overage_allowed=True,
         stripe_price_setting="STRIPE_PRICE_PRO", is_public=True, sort_order=20),
    dict(code="agency", name="Agency", monthly_price_minor=19900, seats=25, render_credits_per_month=6000,
         max_ad_seconds=60, formats_allowed=[], gpu_scenes_allowed=True, publishing_allowed=True, overage_allowed=True,
         stripe_price_setting="STRIPE_PRICE_AGENCY", is_public=True, sort_order=30),
    dict(code="internal", name="Unlimited (billing disabled)", monthly_price_minor=0, seats=None,
         render_credits_per_month=None, max_ad_seconds=None, formats_allowed=[], gpu_scenes_allowed=True,
         publishing_allowed=True, overage_allowed=False, stripe_price_setting="", is_public=False, sort_order=90),
]



def plans_ensure() -> int:
    """Creates every catalogue plan that has no row yet (existing rows, perhaps edited by staff in
    the admin, are left as they are). Returns how many were created."""
    from billing.models import Plan

    made = 0
    for row in PLANS:
        _, created = Plan.objects.get_or_create(code=row["code"], defaults=row)
        made += created
    return made
