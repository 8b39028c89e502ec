"""Demo campaigns for "Aurora Coffee Co." with 90 days of daily insights (``manage.py seed_demo``).

Idempotent: campaigns, ad sets and ads are found by name before being created, and insight rows
are upserted on (ad, platform, date), so running it twice changes nothing (running it on a later
day adds the new days). Numbers are seeded from the names, so they are the same on every machine.

The figures follow typical 2025 benchmarks for a DTC coffee brand: CPM ≈ $7–12 on Meta and
$4–8 on YouTube, CTR 0.6–2 %, click-to-purchase 2–5 %, average order ≈ $38.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from . import services
from .choices import PLACEMENT_PLATFORM, Platform, Status
from .models import Ad, AdSet, Campaign

DAYS = 90
CREATIVE_NAME = "campaigns/creatives/demo/aurora-cold-brew-9x16.mp4"

# name, objective, platforms, final status, budget level, campaign budget (USD cents), lifetime window (days ago), ad sets
CAMPAIGNS: list[dict[str, Any]] = [
    {
        "name": "Cold Brew Summer Launch", "objective": "sales", "platforms": ["meta", "google"], "status": "active",
        "ad_sets": [
            {"name": "US coffee lovers 25–44", "budget": 6000, "placements": ["instagram_reels", "facebook_feed", "instagram_stories"],
             "targeting": {"countries": ["US"], "age_min": 25, "age_max": 44, "interests": ["cold brew", "specialty coffee"]},
             "ads": ["Cold brew pour 15s", "Iced oat latte 9:16", "Founder story 30s"]},
            {"name": "Lookalike – past buyers", "budget": 4000, "placements": ["instagram_feed", "facebook_feed"],
             "targeting": {"countries": ["US", "CA"], "age_min": 21, "age_max": 65}, "ads": ["Cold brew pour 15s", "Subscribe & save 10%"]},
            {"name": "YouTube Shorts – broad", "budget": 3500, "placements": ["youtube_shorts", "youtube_instream"],
             "targeting": {"countries": ["US"], "age_min": 18, "age_max": 54}, "ads": ["Cold brew 6s bumper", "Barista tips 20s"]},
        ],
    },
    {
        "name": "Spring Roast Awareness", "objective": "awareness", "platforms": ["meta"], "status": "active",
        "budget_level": "campaign", "budget": 8000,
        "ad_sets": [
            {"name": "Broad US 18–65+", "placements": [], "targeting": {"countries": ["US"], "age_min": 18, "age_max": 65},
             "ads": ["Spring roast reveal 10s", "Farm to cup 15s"]},
            {"name": "Coffee interest stack", "placements": ["instagram_reels", "facebook_reels"],
             "targeting": {"countries": ["US"], "age_min": 25, "age_max": 54, "interests": ["coffee", "espresso", "latte art"]},
             "ads": ["Spring roast reveal 10s", "Tasting notes 15s"]},
        ],
    },
    {
        "name": "Subscription Sign-ups", "objective": "leads", "platforms": ["meta"], "status": "active",
        "ad_sets": [
            {"name": "Remote workers", "budget": 3000, "placements": ["facebook_feed", "instagram_feed"],
             "targeting": {"countries": ["US", "GB"], "age_min": 25, "age_max": 44, "interests": ["remote work"]},
             "ads": ["Never run out 15s", "First bag free"]},
        ],
    },
    {
        "name": "Café Locator Traffic", "objective": "traffic", "platforms": ["google"], "status": "paused", "stop_days_ago": 20,
        "ad_sets": [
            {"name": "Near our cafés", "budget": 2500, "placements": ["youtube_instream", "discover"],
             "targeting": {"countries": ["US"], "age_min": 18, "age_max": 65}, "ads": ["Find us 6s", "Morning ritual 15s"]},
        ],
    },
    {
        "name": "App Reorder Push", "objective": "app_promotion", "platforms": ["meta", "google"], "status": "active",
        "ad_sets": [
            {"name": "App users – Meta", "budget": 2000, "placements": ["instagram_stories", "facebook_stories"],
             "targeting": {"countries": ["US"], "age_min": 21, "age_max": 54}, "ads": ["Reorder in one tap"]},
            {"name": "App users – YouTube", "budget": 1500, "placements": ["youtube_shorts"],
             "targeting": {"countries": ["US"], "age_min": 21, "age_max": 54}, "ads": ["Reorder in one tap 6s"]},
        ],
    },
    {
        "name": "Holiday Gift Bundles", "objective": "sales", "platforms": ["meta"], "status": "paused",
        "budget_level": "campaign", "budget_type": "lifetime", "budget": 900000, "window": (88, 58),
        "ad_sets": [
            {"name": "Gift shoppers", "placements": ["facebook_feed", "instagram_feed", "instagram_reels"],
             "targeting": {"countries": ["US", "CA"], "age_min": 25, "age_max": 65, "interests": ["gifts"]},
             "ads": ["Gift bundle unboxing", "Last shipping day"]},
        ],
    },
    {
        "name": "Autumn Blend Teaser", "objective": "engagement", "platforms": ["meta"], "status": "draft", "no_delivery": True,
        "ad_sets": [
            {"name": "Followers", "budget": 1500, "placements": ["instagram_reels"],
             "targeting": {"countries": ["US"], "age_min": 18, "age_max": 65}, "ads": ["Autumn blend teaser 9:16"]},
        ],
    },
    {
        "name": "Winter Warmers (last season)", "objective": "sales", "platforms": ["meta"], "status": "archived", "no_delivery": True,
        "ad_sets": [
            {"name": "Cold cities", "budget": 2000, "placements": ["facebook_feed"],
             "targeting": {"countries": ["US", "CA"], "age_min": 25, "age_max": 65}, "ads": ["Mocha by the fire"]},
        ],
    },
]

# objective → (click-to-conversion rate, value per conversion in cents)
FUNNEL = {"sales": (0.035, 3800), "leads": (0.09, 1200), "app_promotion": (0.12, 900), "traffic": (0.01, 2500),
          "awareness": (0.004, 3800), "engagement": (0.004, 3800)}


def _demo_creative() -> str:
    """A 2-second 540×960 H.264 clip (coffee brown) made with the ffmpeg of imageio-ffmpeg,
    stored once and shared by the demo ads. Returns its storage name, or "" if ffmpeg fails."""
    if default_storage.exists(CREATIVE_NAME):
        return CREATIVE_NAME
    try:
        import imageio_ffmpeg

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "demo.mp4"
            subprocess.run(  # noqa: S603 - argument list (no shell), program resolved by path
                [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=0x6b4226:s=540x960:d=2:r=30",
                 "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", str(out)],
                check=True, timeout=60, capture_output=True,
            )
            with out.open("rb") as fh:
                return default_storage.save(CREATIVE_NAME, File(fh))
    except Exception:  # noqa: BLE001 - the demo works without a video, ads then stay paused
        return ""


def _rows(rng: random.Random, *, objective: str, platform: str, daily_budget: int, days: list[dt.date]) -> list[dict]:
    conv_rate, order_value = FUNNEL[objective]
    cpm = rng.uniform(700, 1200) if platform == Platform.META else rng.uniform(400, 800)
    ctr = rng.uniform(0.006, 0.02) * (1.3 if objective in ("traffic", "sales") else 1.0)
    quality = rng.uniform(0.6, 1.5)  # some ads convert better than others
    rows = []
    for i, day in enumerate(days):
        weekend = 1.15 if day.weekday() >= 5 else 1.0
        trend = 0.85 + 0.3 * i / max(len(days) - 1, 1)
        wave = 1 + 0.08 * math.sin(i / 5)
        spend = int(daily_budget * rng.uniform(0.8, 1.0) * weekend * wave)
        impressions = int(spend / cpm * 1000 * rng.uniform(0.9, 1.1))
        clicks = int(impressions * ctr * trend * rng.uniform(0.8, 1.2))
        expected = clicks * conv_rate * quality * rng.uniform(0.6, 1.4)
        conversions = int(expected) + (rng.random() < expected - int(expected))  # no systematic rounding down
        plays = int(impressions * rng.uniform(0.3, 0.45))
        p25 = int(plays * rng.uniform(0.55, 0.7))
        p50 = int(p25 * rng.uniform(0.6, 0.75))
        p75 = int(p50 * rng.uniform(0.6, 0.8))
        p100 = int(p75 * rng.uniform(0.55, 0.8))
        rows.append({
            "platform": platform, "date": day, "impressions": impressions, "reach": int(impressions * rng.uniform(0.6, 0.8)),
            "clicks": clicks, "spend_minor": spend, "conversions": conversions,
            "conversion_value_minor": int(conversions * order_value * rng.uniform(0.85, 1.2)),
            "video_plays": plays, "thruplays": int(plays * rng.uniform(0.22, 0.35)),
            "video_p25": p25, "video_p50": p50, "video_p75": p75, "video_p100": p100,
        })
    return rows


def seed(*, organization, user, stdout=None) -> dict:
    """Creates (or completes) the demo campaigns of ``organization`` and upserts their insights.
    Returns counts ``{"campaigns", "ad_sets", "ads", "insight_rows"}``."""
    today = timezone.localdate()
    creative = _demo_creative()
    counts = {"campaigns": 0, "ad_sets": 0, "ads": 0, "insight_rows": 0}
    now = timezone.now()
    for spec in CAMPAIGNS:
        campaign = Campaign.objects.filter(organization=organization, name=spec["name"]).first()
        window = spec.get("window")
        if campaign is None:
            campaign = services.campaign_create(
                organization=organization, actor=user, name=spec["name"], objective=spec["objective"], platforms=spec["platforms"],
                budget_level=spec.get("budget_level", "ad_set"), budget_type=spec.get("budget_type", "daily"),
                budget_minor=spec.get("budget") if spec.get("budget_level") == "campaign" else None, currency="USD",
                starts_at=now - dt.timedelta(days=window[0] if window else DAYS + 1),
                ends_at=now - dt.timedelta(days=window[1]) if window else None,
            )
            counts["campaigns"] += 1
        n_ad_sets = max(len(spec["ad_sets"]), 1)
        for set_spec in spec["ad_sets"]:
            ad_set = AdSet.objects.filter(campaign=campaign, name=set_spec["name"]).first()
            if ad_set is None and campaign.status != Status.ARCHIVED:
                goal_by_objective = {"app_promotion": "APP_INSTALLS", "leads": "LEAD_GENERATION", "awareness": "REACH",
                                     "traffic": "LINK_CLICKS", "engagement": "THRUPLAY", "sales": "OFFSITE_CONVERSIONS"}
                ad_set = services.ad_set_create(
                    campaign=campaign, actor=user, name=set_spec["name"],
                    budget_minor=set_spec.get("budget") if campaign.budget_level == "ad_set" else None,
                    optimization_goal=goal_by_objective[spec["objective"]], placements=set_spec["placements"],
                    targeting={"genders": [], "languages": ["en"], "interests": [], **set_spec["targeting"]},
                )
                counts["ad_sets"] += 1
            if ad_set is None:
                continue
            campaign_budget = campaign.budget_minor or 0
            daily = ad_set.budget_minor or (campaign_budget // n_ad_sets if campaign.budget_type == "daily"
                                            else campaign_budget // n_ad_sets // 30)
            platforms = sorted({PLACEMENT_PLATFORM[p] for p in ad_set.placements}) or campaign.platforms
            for ad_name in set_spec["ads"]:
                ad = Ad.objects.filter(ad_set=ad_set, name=ad_name).first()
                if ad is None and ad_set.status != Status.ARCHIVED:
                    ad = services.ad_create(
                        ad_set=ad_set, actor=user, name=ad_name, headline="Small-batch coffee, delivered fresh",
                        primary_text="Roasted this week in Portland. Free shipping on your first bag.",
                        call_to_action="SHOP_NOW" if spec["objective"] == "sales" else (
                            "INSTALL_APP" if spec["objective"] == "app_promotion" else "LEARN_MORE"),
                        destination_url="https://aurora-coffee.example/shop", utm_source=platforms[0], utm_medium="paid_video",
                        utm_campaign=campaign.name.lower().replace(" ", "-")[:100], utm_content=ad_name.lower().replace(" ", "-")[:100],
                    )
                    if creative:
                        Ad.objects.filter(pk=ad.pk).update(creative=creative)
                    counts["ads"] += 1
                if ad is None or spec.get("no_delivery"):
                    continue
                last = today - dt.timedelta(days=spec.get("stop_days_ago", 1))
                first = today - dt.timedelta(days=DAYS)
                if window:
                    first, last = today - dt.timedelta(days=window[0]), today - dt.timedelta(days=window[1])
                days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
                for platform in platforms:
                    rng = random.Random(f"{campaign.name}|{ad_set.name}|{ad_name}|{platform}")  # noqa: S311 - seeded for reproducible output, not for security
                    per_ad = max(daily // max(len(set_spec["ads"]), 1) // len(platforms), 100)
                    rows = _rows(rng, objective=spec["objective"], platform=platform, daily_budget=per_ad, days=days)
                    counts["insight_rows"] += services.insights_upsert(ad=ad, rows=rows)
        final = spec["status"]
        if campaign.status != final and campaign.status == Status.DRAFT:
            if final == Status.ARCHIVED:
                services.campaign_archive(campaign=campaign, actor=user)
            elif final != Status.DRAFT:
                Campaign.objects.filter(pk=campaign.pk).update(status=final)
                AdSet.objects.filter(campaign=campaign).update(status=final)
                Ad.objects.filter(ad_set__campaign=campaign).update(status=final if creative else Status.PAUSED)
    from .experiments.demo import seed as seed_experiments  # two creative tests in the launch campaign

    seed_experiments(organization=organization, user=user, stdout=stdout)
    if stdout is not None:
        stdout.write(
            f"Campaigns demo: {counts['campaigns']} campaigns, {counts['ad_sets']} ad sets, {counts['ads']} ads created; "
            f"{counts['insight_rows']} daily insight rows upserted."
        )
    return counts
