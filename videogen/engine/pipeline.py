"""A render job's stages: plan → scenes (layers + storyboard) → voice → compose → encode → checks.

This is the engine's one entry point for the CLI (``manage.py render_ad``) and for the Video
Studio's RQ worker::

    from videogen.engine.brief import load_brief
    from videogen.engine.pipeline import run_pipeline
    result = run_pipeline(load_brief("examples/coffee_brief.json"), out_dir=Path("out"))
    result.outputs["9:16"]  # Path to out/ad_9x16.mp4

Outputs are written to a hidden staging folder beside ``out_dir`` and moved into place only when
every stage succeeded, so a failed or cancelled job leaves no partial files.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from videogen.engine.brief import Brief, BriefError
from videogen.engine.cost import CPU_COST_PER_SECOND, LLM_COST_PER_1K_TOKENS, cost_estimate  # the one rate table
from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render.ffmpeg import RenderCancelled
from videogen.engine.render.fonts import FontNotFoundError, check_fonts
from videogen.engine.render.formats import FORMATS, RATIOS, X264_CRF, X264_PRESET
from videogen.engine.render.styles import make_look
from videogen.engine.stages.checks import checks_stage
from videogen.engine.stages.encode import compose_stage, encode_stage
from videogen.engine.stages.job import ENGINE_VERSION, PipelineResult, Progress, RenderJob, sha
from videogen.engine.stages.plan import plan_stage
from videogen.engine.stages.publish import publish
from videogen.engine.stages.scenes import scenes_stage
from videogen.engine.stages.soundtrack import soundtrack_stage, start_soundtrack
from videogen.engine.trace import Trace

# Progress weights (percent of the bar) per phase, DESIGN §5.
PHASE_WEIGHTS = {"plan": 5, "scenes": 10, "voice": 10, "compose": 5, "encode": 60, "checks": 10}
STORYBOARD_ONLY_WEIGHTS = {"plan": 30, "scenes": 70}

__all__ = ["run_pipeline", "warm_up", "cost_estimate", "PipelineResult", "RenderCancelled", "ENGINE_VERSION",
           "PHASE_WEIGHTS", "CPU_COST_PER_SECOND", "LLM_COST_PER_1K_TOKENS"]


def warm_up() -> None:
    """Pay the engine's one-off start-up costs now (FFmpeg/ffprobe lookup, font files, the TTS
    voice list), e.g. in a worker's parent process before it forks job processes, so the first
    storyboard a user asks for is not slowed by them. Safe to call more than once; never raises
    for a missing tool (the job itself reports that)."""
    from videogen.engine.render.ffmpeg import ffmpeg_exe, ffprobe_exe
    from videogen.engine.render.tts import TTSUnavailable, list_voices

    for step in (ffmpeg_exe, ffprobe_exe, check_fonts, list_voices):
        try:
            step()
        except (FileNotFoundError, TTSUnavailable, OSError):
            pass


def run_pipeline(
    brief: Brief,
    *,
    out_dir: Path,
    formats: list[str] | None = None,
    storyboard_only: bool = False,
    progress: Callable[[str, float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    cache_dir: Path | None = None,
    plan: ScenePlan | None = None,
    planner_backend: str | None = None,
    llm: dict | None = None,
) -> PipelineResult:
    """Render ``brief`` into ``out_dir``.

    Args:
        brief: a validated :class:`~videogen.engine.brief.Brief` (see ``brief_from_dict``/``load_brief``).
        out_dir: destination folder (created); receives ``ad_9x16.mp4``…, ``storyboard/*.png``
            and ``trace.json``. Existing files of the same names are replaced.
        formats: ratios to render ("9:16", "1:1", "4:5", "16:9"); default ``brief.aspect_ratios``.
        storyboard_only: stop after the storyboard (no audio, no video).
        progress: ``progress(phase, percent)``; phases plan, scenes, voice, compose, encode,
            checks (weights ``PHASE_WEIGHTS``); percent 0–100, never decreasing.
        should_cancel: polled between stages and about 10×/s during FFmpeg; returning True
            stops the job with :class:`RenderCancelled` and leaves nothing in ``out_dir``.
        cache_dir: content-addressed cache for scene layers (key: scene spec + image bytes +
            ratio + style + brand + engine version, and for a clip scene the clip's SHA-256,
            start and clean-up) and TTS phrases; after editing one scene only that scene's
            layers are rebuilt. Hits/misses go to the trace.

    Clip scenes: a scene with ``Visual(source="uploaded_clip", clip_index=i)`` shows
    ``brief.clips[i]`` from its ``start`` (see :mod:`videogen.engine.render.clips`); its storyboard
    keyframe is the clip frame at ``start + 0.5 s``. The trace's ``scenes`` stage lists each
    clip used (``clips``: scene, clip_index, file, sha256, start, cleanup, clip_seconds, size,
    used_seconds, held_last_frame_seconds); a missing, out-of-range or unreadable clip falls
    back to the product image (or brand background) with the reason in ``fallbacks``.
        plan: an externally edited :class:`ScenePlan` (e.g. from the Studio) used instead of
            planning; its durations set the ad's length.
        planner_backend: "rules" or "llm"; default: "llm" when an LLM url is known (see ``plan_scenes``).
        llm: the LLM endpoint ``{"url", "model", "api_key", "timeout"}`` (the Studio passes its
            settings); None: the ``KOLONY_LLM_*`` environment variables.

    Raises:
        BriefError: unknown format requested. FontNotFoundError: a required font is missing.
        RenderCancelled: cancelled. FFmpegError: FFmpeg failed (the trace is not written).
    """
    out_dir = Path(out_dir)
    ratios = list(formats) if formats else list(brief.aspect_ratios)
    bad = [r for r in ratios if r not in RATIOS]
    if bad:
        raise BriefError([f"formats: unknown aspect ratio {', '.join(map(repr, bad))}; expected some of {', '.join(RATIOS)}"])
    missing = check_fonts()
    if missing:
        raise FontNotFoundError("; ".join(missing))
    specs = [FORMATS[r] for r in ratios]
    brief_json = json.dumps(brief.to_dict(), sort_keys=True)
    trace = Trace(engine_version=ENGINE_VERSION, brief_sha256=sha(brief_json), seed=brief.seed, formats=ratios,
                  storyboard_only=storyboard_only, style=brief.style,
                  encoder={"video": f"libx264 preset={X264_PRESET} crf={X264_CRF}",
                           "audio": "aac LC 192k 48 kHz, encoded once per job and copied into each format"})
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.render-", dir=out_dir.parent))
    stage_dir = work / "out"
    (stage_dir / "storyboard").mkdir(parents=True)
    job = RenderJob(brief=brief, specs=specs, trace=trace,
                    progress=Progress(progress, STORYBOARD_ONLY_WEIGHTS if storyboard_only else PHASE_WEIGHTS),
                    look=make_look(brief.style, brief.brand.colors), work=work, stage_dir=stage_dir, out_dir=out_dir,
                    storyboard_only=storyboard_only, should_cancel=should_cancel, cache_dir=cache_dir,
                    planner_backend=planner_backend, llm=llm, plan=plan)
    try:
        return run_stages(job)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_stages(job: RenderJob) -> PipelineResult:
    """Run the stages of :mod:`videogen.engine.stages` on ``job`` in order and publish. The
    soundtrack is made on a worker thread while the scenes stage draws (see
    :mod:`videogen.engine.stages.soundtrack`); the trace lists the stages in the usual order."""
    plan_stage(job)
    if job.storyboard_only:
        scenes_stage(job)
        return publish(job, cost_estimate)
    pending = start_soundtrack(job)
    try:
        scenes_stage(job)
    except BaseException:
        pending.abandon()
        raise
    soundtrack_stage(job, pending)
    compose_stage(job)
    encode_stage(job)
    checks_stage(job)
    return publish(job, cost_estimate)
