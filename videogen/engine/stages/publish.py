"""Stage 7, publish: finish the trace (quality, cost, outputs), write ``trace.json`` and move the
staged files into ``out_dir`` (same filesystem → atomic renames), so a failed or cancelled job
leaves nothing there."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from videogen.engine.render.formats import FORMATS
from videogen.engine.render.quality import summarize
from videogen.engine.stages.job import PipelineResult, RenderJob


def finish_trace(job: RenderJob, cost_estimate: Callable[[float, int], dict], seconds: float) -> tuple[dict, dict, dict]:
    """Quality metrics, per-ratio quality (with text boxes) and the cost estimate of ``seconds`` of
    wall time on the trace. Returns (metrics, quality, trace dict)."""
    trace = job.trace
    metrics = summarize(job.reports)
    quality = {r.ratio: {k: v for k, v in r.to_dict().items() if k != "probe"} | {"probe": r.probe}
               | {"text_boxes": job.text_boxes.get(r.ratio, [])} for r in job.reports}
    trace.extra["quality_metrics"] = metrics
    trace.extra["quality"] = quality
    trace.extra["cost_estimate"] = cost_estimate(seconds, trace.extra.get("llm_tokens", 0))
    trace.outputs = {r: {"path": f"{FORMATS[r].stem}.mp4", "bytes": p.stat().st_size} for r, p in job.outputs.items()}
    trace.outputs["storyboard"] = [f"storyboard/{p.name}" for ps in job.storyboard.values() for p in ps]
    trace.outputs["trace"] = "trace.json"
    return metrics, quality, trace.to_dict()


def publish(job: RenderJob, cost_estimate: Callable[[float, int], dict]) -> PipelineResult:
    """Write the trace, move MP4s, storyboard PNGs and ``trace.json`` into ``job.out_dir``."""
    job.check_cancel()
    gen = job.trace.elapsed
    metrics, quality, trace_dict = finish_trace(job, cost_estimate, gen)
    staged_trace = job.stage_dir / "trace.json"
    staged_trace.write_text(json.dumps(trace_dict, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    out_dir = job.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "storyboard").mkdir(exist_ok=True)
    outputs: dict[str, Path] = {}
    for r, p in job.outputs.items():
        outputs[r] = out_dir / p.name
        os.replace(p, outputs[r])
    storyboard: dict[str, list[Path]] = {}
    for r, ps in job.storyboard.items():
        storyboard[r] = []
        for p in ps:
            dst = out_dir / "storyboard" / p.name
            os.replace(p, dst)
            storyboard[r].append(dst)
    trace_path = out_dir / "trace.json"
    os.replace(staged_trace, trace_path)
    return PipelineResult(plan=job.the_plan, outputs=outputs, storyboard=storyboard, trace=trace_dict, trace_path=trace_path,
                          quality_metrics=metrics, quality=quality, generation_time_seconds=gen)
