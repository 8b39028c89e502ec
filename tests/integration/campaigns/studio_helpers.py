"""Helpers for tests of Studio renders used as ad creatives: a finished video job with one
render whose formats are real (tiny) MP4 assets of the right aspect ratio."""

import tempfile
from pathlib import Path

from tests.fixtures.campaigns import real_mp4
from videogen.engine.render.formats import FORMATS
from videogen.models import AssetKind, JobStatus, Render, VideoJob
from videogen.uploads import asset_create_from_file

# A small clip per ratio (the real sizes are recorded on the asset, as the renderer does).
CLIP_SIZES = {"9:16": "90x160", "1:1": "100x100", "4:5": "96x120", "16:9": "160x90"}


def make_render(org, user, *, title="Cold brew", ratios=("9:16", "16:9"), status=JobStatus.COMPLETED, campaign=None,
                number=1, job=None) -> Render:
    """A video job of ``org`` in ``status`` with render v``number`` holding one MP4 asset per ratio."""
    if job is None:
        job = VideoJob.objects.create(organization=org, created_by=user, title=title, status=status, campaign=campaign,
                                      brief={"product_name": title, "aspect_ratios": list(ratios)})
    outputs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for ratio in ratios:
            path = Path(tmp) / f"render-{ratio.replace(':', 'x')}-{number}.mp4"
            path.write_bytes(real_mp4(1.0, CLIP_SIZES[ratio]))
            spec = FORMATS[ratio]
            asset = asset_create_from_file(organization=org, user=user, path=path, kind=AssetKind.RENDER,
                                           name=path.name, width=spec.width, height=spec.height, duration_seconds=1.0,
                                           content_type="video/mp4")
            outputs[ratio] = asset.pk
    return Render.objects.create(job=job, number=number, outputs=outputs, created_by=user)
