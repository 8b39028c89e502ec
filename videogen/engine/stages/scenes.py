"""Stage 2, scenes: sources and fallbacks (:mod:`.sources`), storyboard and layers (:mod:`.layers`),
all in the trace's ``scenes`` stage."""

from __future__ import annotations

from videogen.engine.stages.job import RenderJob
from videogen.engine.stages.layers import build_layers, draw_storyboard
from videogen.engine.stages.sources import load_pictures, resolve_sources


def scenes_stage(job: RenderJob) -> None:
    """Pictures, scene sources, storyboard, then (unless storyboard-only) every format's layers."""
    job.check_cancel()
    with job.trace.stage("scenes", backend="cpu-template") as st:
        load_pictures(job, st)
        resolve_sources(job, st)
        draw_storyboard(job, st)
        job.progress.update("scenes", 0.3)
        if job.storyboard_only:
            st["cache"] = {"hits": 0, "misses": 0, "enabled": job.cache_dir is not None}
        else:
            build_layers(job, st)
    job.progress.update("scenes", 1)
