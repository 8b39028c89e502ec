"""A hand-built :class:`PublishContext` for the Meta adapter's tests: real Kolony campaign / ad
set / ad rows, a real (tiny) MP4 of the placement's ratio and a PNG poster, and a step record in
memory (the orchestrator's job, tested by P1b)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from types import SimpleNamespace

from campaigns import services as campaign_services
from campaigns.models import PlatformConnection
from campaigns.platforms.base import PublishContext
from tests.integration.campaigns.studio_helpers import make_render
from videogen.models import Asset

TOKEN = "EAAB-standin-token"


def tiny_png(path: Path) -> Path:
    """A valid 2×2 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def meta_connection(org, *, account="act_1234567890", token=TOKEN) -> PlatformConnection:
    conn = PlatformConnection(organization=org, platform="meta", ad_account_id=account, account_name="Aurora Coffee – Ads")
    conn.token = token
    conn.save()
    return conn


def meta_tree(org, user, *, objective="traffic", placements=("instagram_reels",), budget_minor=2000,
              special_ad_categories=(), destination_url="https://aurora.example/shop", **ad_set_kw):
    campaign = campaign_services.campaign_create(organization=org, actor=user, name="Launch", objective=objective,
                                                 platforms=["meta"], special_ad_categories=list(special_ad_categories))
    ad_set = campaign_services.ad_set_create(campaign=campaign, actor=user, name="Reels set", budget_minor=budget_minor,
                                             placements=list(placements), **ad_set_kw)
    ad = campaign_services.ad_create(ad_set=ad_set, actor=user, name="Pour 15s", destination_url=destination_url,
                                     headline="Cold brew, hot days", primary_text="Brewed for 18 hours.",
                                     call_to_action="SHOP_NOW", utm_source="meta")
    return campaign, ad_set, ad


def context(org, user, tmp_path: Path, *, ratio="9:16", tree=None, poster=True, connection=None, **tree_kw):
    """``(ctx, steps)``: a PublishContext whose record/done/external_id use the ``steps`` dict
    (``{step: {"status": "done", "external_id", "detail"}}``) and whose progress calls land in
    ``ctx.publication.progress_calls``."""
    campaign, ad_set, ad = tree or meta_tree(org, user, **tree_kw)
    render = make_render(org, user, ratios=(ratio,))
    asset = Asset.objects.get(pk=render.outputs[ratio])
    steps: dict[str, dict] = {}
    publication = SimpleNamespace(steps=steps, aspect_ratio=ratio, progress_calls=[])

    def record(step, external_id, **detail):
        steps[step] = {"status": "done", "external_id": external_id, "detail": detail}

    ctx = PublishContext(
        publication=publication, connection=connection or meta_connection(org), render=render, campaign=campaign,
        ad_set=ad_set, ad=ad, video_path=Path(asset.file.path), poster_path=tiny_png(tmp_path / "poster.png") if poster else None,
        generated_content=False, record=record, done=lambda s: (steps.get(s) or {}).get("status") == "done",
        external_id=lambda s: (steps.get(s) or {}).get("external_id", ""),
        progress=lambda s, f: publication.progress_calls.append((s, f)))
    return ctx, steps
