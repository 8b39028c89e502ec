"""Stage 1, plan: the brief → a :class:`ScenePlan` (rules or LLM planner), or the caller's own plan."""

from __future__ import annotations

from videogen.engine.planner import plan_scenes
from videogen.engine.planner.rules import CUT_OFFSET
from videogen.engine.render.music import bed_bpm, snap_to_beats
from videogen.engine.stages.job import RenderJob


def plan_stage(job: RenderJob) -> None:
    """Sets ``job.plan``. A plan given by the caller is used as is (trace backend "provided");
    otherwise :func:`~videogen.engine.planner.plan_scenes` runs with ``job.planner_backend`` and
    ``job.llm``; an LLM that failed is a ``plan`` fallback in the trace and its tokens are summed
    into ``trace.extra["llm_tokens"]``."""
    job.check_cancel()
    job.progress.update("plan", 0)
    trace = job.trace
    with trace.stage("plan") as st:
        if job.plan is None:
            pr = plan_scenes(job.brief, backend=job.planner_backend, llm=job.llm)
            job.plan = pr.plan
            st.update(pr.to_trace())
            if pr.fallback_reason:
                trace.fallback("plan", "llm", "rules", pr.fallback_reason)
            for a in pr.attempts:
                trace.extra["llm_tokens"] = trace.extra.get("llm_tokens", 0) + int((a.usage or {}).get("total_tokens", 0))
            bpm = bed_bpm(job.look, job.brief.music.mood, job.brief.music.tempo_bpm)
            if bpm and pr.backend == "llm":  # the rule planner cuts on the beat itself
                for scene, d in zip(job.plan.scenes, snap_to_beats([s.duration for s in job.plan.scenes], bpm,
                                                                   offset=CUT_OFFSET), strict=True):
                    scene.duration = d
            st["cuts_on_beat_bpm"] = bpm
        else:
            st["backend"] = "provided"
        st["scenes"] = len(job.the_plan.scenes)
        st["duration"] = job.the_plan.total_duration
    trace.extra["plan"] = job.the_plan.to_dict()
    job.progress.update("plan", 1)
