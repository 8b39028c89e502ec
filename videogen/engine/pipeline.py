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

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from videogen.engine.brief import Brief, BriefError, load_image
from videogen.engine.planner import PlanResult, plan_scenes
from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render import audio as audio_mod
from videogen.engine.render.captions import write_ass
from videogen.engine.render.clips import ClipError, ClipInfo, extract_keyframe, keyframe_time, probe_clip
from videogen.engine.render.compositor import TRANSITION_SECONDS, ClipInput, SceneLayers, render_format
from videogen.engine.render.ffmpeg import RenderCancelled
from videogen.engine.render.fonts import FontNotFoundError, check_fonts, font_path
from videogen.engine.render.formats import FORMATS, RATIOS, X264_CRF, X264_PRESET
from videogen.engine.render.layers import (
    Canvas,
    grade,
    logo_layer,
    prepare_logo,
    render_plate,
    render_text_layer,
    scrim_layer,
    uses_full_bleed,
)
from videogen.engine.render.music import make_bed
from videogen.engine.render.quality import QualityReport, VideoTap, analyze, summarize
from videogen.engine.render.storyboard import render_storyboard
from videogen.engine.render.styles import make_look
from videogen.engine.render.tts import get_backend
from videogen.engine.render.voiceover import build_voice_track
from videogen.engine.trace import Trace

ENGINE_VERSION = "kolony-cpu-1.0"

# Progress weights (percent of the bar) per phase, DESIGN §5.
PHASE_WEIGHTS = {"plan": 5, "scenes": 10, "voice": 10, "compose": 5, "encode": 60, "checks": 10}
STORYBOARD_ONLY_WEIGHTS = {"plan": 30, "scenes": 70}

# The one cost basis (USD) of a render: the trace's ``cost_estimate`` and ``Render.performance``
# both come from :func:`cost_estimate`. CPU: a 2-vCPU cloud worker at about $0.07/h.
CPU_COST_PER_SECOND = 0.00002
LLM_COST_PER_1K_TOKENS = 0.0005


def cost_estimate(cpu_seconds: float, llm_tokens: int = 0) -> dict:
    """``{"usd", "basis", "gpu_seconds"}``: the estimated cost of ``cpu_seconds`` of CPU wall time
    and ``llm_tokens`` LLM tokens (USD rounded to 6 places; ``basis`` says how, for people)."""
    return {
        "usd": round(cpu_seconds * CPU_COST_PER_SECOND + llm_tokens / 1000 * LLM_COST_PER_1K_TOKENS, 6),
        "basis": (f"{cpu_seconds:.1f} s CPU wall time × ${CPU_COST_PER_SECOND}/s + {llm_tokens} LLM tokens "
                  f"× ${LLM_COST_PER_1K_TOKENS}/1k"),
        "gpu_seconds": 0,
    }

__all__ = ["run_pipeline", "warm_up", "PipelineResult", "RenderCancelled", "ENGINE_VERSION", "PHASE_WEIGHTS"]


@dataclass
class PipelineResult:
    """What a job produced.

    ``outputs``: ratio ("9:16") → MP4 path; ``storyboard``: ratio → keyframe PNG paths (scene
    order); ``trace``: the trace dict (also at ``trace_path``); ``quality_metrics``:
    {frame_coherence_score, visual_quality_score, prompt_adherence_score}; ``quality``: ratio →
    full report dict plus ``text_boxes``: every box drawn on the frame, ``[{"scene_key", "kind":
    "text" | "logo" | "captions", "box": [left, top, right, bottom]}]`` in output pixels (the logo's
    ``scene_key`` is "" as it shows over every scene but the end card), stored on each MP4 asset's
    ``metadata["quality"]`` for the policy safe-zone check (:mod:`videogen.review.policy`);
    ``generation_time_seconds``: wall time of the job.
    """

    plan: ScenePlan
    outputs: dict[str, Path]
    storyboard: dict[str, list[Path]]
    trace: dict
    trace_path: Path
    quality_metrics: dict
    quality: dict[str, dict] = field(default_factory=dict)
    generation_time_seconds: float = 0.0


class _Progress:
    """Weighted, monotonic progress: ``update(phase, fraction)`` → callback(phase, percent)."""

    def __init__(self, callback, weights: dict[str, int]):
        self.cb = callback
        self.weights = weights
        self.offsets, acc = {}, 0.0
        for k, w in weights.items():
            self.offsets[k] = acc
            acc += w
        self.total = acc
        self.last = 0.0

    def update(self, phase: str, fraction: float) -> None:
        if self.cb is None or phase not in self.weights:
            return
        pct = (self.offsets[phase] + self.weights[phase] * max(0.0, min(1.0, fraction))) / self.total * 100
        if pct + 1e-9 >= self.last:
            self.last = pct
            self.cb(phase, round(pct, 2))


def _sha(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _file_sha(path: Path | None) -> str:
    """SHA-256 of a file's bytes (streamed, so large clips are fine); "none" for None."""
    if not path:
        return "none"
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fonts_dir(work: Path) -> Path:
    """A folder of links to the caption fonts for libass (``fontsdir``)."""
    d = work / "fonts"
    d.mkdir(exist_ok=True)
    for role in ("sans-bold", "sans", "cjk-bold", "cjk"):
        src = font_path(role)
        dst = d / src.name
        if not dst.exists():
            os.symlink(src, dst)
    return d


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


def _check_cancel(should_cancel):
    if should_cancel is not None and should_cancel():
        raise RenderCancelled("render cancelled")


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
        planner_backend: "rules" or "llm"; default from settings (see ``plan_scenes``).

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
    weights = STORYBOARD_ONLY_WEIGHTS if storyboard_only else PHASE_WEIGHTS
    prog = _Progress(progress, weights)
    brief_json = json.dumps(brief.to_dict(), sort_keys=True)
    trace = Trace(engine_version=ENGINE_VERSION, brief_sha256=_sha(brief_json), seed=brief.seed, formats=ratios,
                  storyboard_only=storyboard_only, style=brief.style,
                  encoder={"video": f"libx264 preset={X264_PRESET} crf={X264_CRF}",
                           "audio": "aac LC 192k 48 kHz, encoded once per job and copied into each format"})
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.render-", dir=out_dir.parent))
    stage_dir = work / "out"
    (stage_dir / "storyboard").mkdir(parents=True)
    try:
        result = _run(brief, trace, prog, specs, storyboard_only, should_cancel, cache_dir, plan, planner_backend,
                      work, stage_dir, out_dir)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(brief, trace, prog, specs, storyboard_only, should_cancel, cache_dir, plan, planner_backend, work, stage_dir, out_dir):
    look = make_look(brief.style, brief.brand.colors)
    # ---------------------------------------------------------------- plan
    _check_cancel(should_cancel)
    prog.update("plan", 0)
    with trace.stage("plan") as st:
        if plan is None:
            pr: PlanResult = plan_scenes(brief, backend=planner_backend)
            plan = pr.plan
            st.update(pr.to_trace())
            if pr.fallback_reason:
                trace.fallback("plan", "llm", "rules", pr.fallback_reason)
            for a in pr.attempts:
                trace.extra.setdefault("llm_tokens", 0)
                trace.extra["llm_tokens"] += int((a.usage or {}).get("total_tokens", 0))
        else:
            st["backend"] = "provided"
        st["scenes"] = len(plan.scenes)
        st["duration"] = plan.total_duration
    trace.extra["plan"] = plan.to_dict()
    prog.update("plan", 1)

    # ---------------------------------------------------------------- scenes: layers + storyboard
    _check_cancel(should_cancel)
    with trace.stage("scenes", backend="cpu-template") as st:
        photos_raw = [load_image(p) for p in brief.images]
        photos = [grade(p, look) for p in photos_raw]
        image_hashes = [_file_sha(p) for p in brief.images]
        logo = None
        if brief.brand.logo:
            logo, note = prepare_logo(load_image(brief.brand.logo))
            if note:
                st["notes"].append(note)
        clip_infos: dict[int, tuple[ClipInfo, str]] = {}  # clip index → (probe, sha256)
        clip_frames: dict[int, Image.Image] = {}
        st["clips"] = []
        for i, scene in enumerate(plan.scenes):
            src = scene.visual.source
            if src == "uploaded_clip":
                ci = scene.visual.clip_index
                reason = None
                if ci is None:
                    reason = f"scene {scene.id}: no clip_index given"
                elif ci >= len(brief.clips):
                    reason = f"scene {scene.id}: clip_index {ci} out of range (the brief has {len(brief.clips)} clips)"
                elif ci not in clip_infos:
                    try:
                        c = brief.clips[ci]
                        info = probe_clip(c.path)
                        if c.start >= info.duration:
                            raise ClipError(f"start {c.start:g} s is at or past the clip's end ({info.duration:g} s)")
                        clip_infos[ci] = (info, _file_sha(c.path))
                        clip_frames[ci] = extract_keyframe(
                            c.path, keyframe_time(c.start, info.duration), work / f"clip{ci}_keyframe.png", cleanup=c.cleanup)
                    except (ClipError, OSError) as exc:
                        clip_infos.pop(ci, None)
                        reason = f"scene {scene.id}: clips[{ci}] unusable: {exc}"
                if reason is None:
                    c, (info, sha) = brief.clips[ci], clip_infos[ci]
                    need = scene.duration + (TRANSITION_SECONDS if i < len(plan.scenes) - 1 else 0)
                    st["clips"].append({
                        "scene": scene.id, "clip_index": ci, "file": c.path.name, "sha256": sha, "start": c.start,
                        "cleanup": list(c.cleanup), "clip_seconds": info.duration, "size": [info.width, info.height],
                        "used_seconds": round(min(need, info.duration - c.start), 3),
                        "held_last_frame_seconds": round(max(0.0, need - (info.duration - c.start)), 3),
                    })
                    continue
                trace.fallback("scenes", src, "product_image" if photos else "solid_brand", reason)
                scene.visual.source = "product_image" if photos else "solid_brand"
                scene.visual.image_index = (scene.visual.image_index or 0) if photos else None
                scene.visual.clip_index = None
            elif src == "generated_clip":
                to = "product_image" if photos else "solid_brand"
                trace.fallback("scenes", src, to, f"scene {scene.id}: the CPU engine renders no {src.replace('_', ' ')}s")
                scene.visual.source = to
                scene.visual.image_index = 0 if photos else None
            if scene.visual.source == "product_image":
                if not photos:
                    trace.fallback("scenes", "product_image", "solid_brand", f"scene {scene.id}: the brief has no images")
                    scene.visual.source, scene.visual.image_index = "solid_brand", None
                elif (scene.visual.image_index or 0) >= len(photos):
                    st["notes"].append(f"scene {scene.id}: image_index {scene.visual.image_index} out of range; using image 0")
                    scene.visual.image_index = 0
        t0 = time.monotonic()
        sb_paths = render_storyboard(plan, specs, look, photos, logo, logo_position=brief.brand.logo_position,
                                     product_name=brief.product_name, seed=brief.seed,
                                     out_dir=stage_dir / "storyboard", brand_font=brief.brand.font, clip_frames=clip_frames)
        st["storyboard_seconds"] = round(time.monotonic() - t0, 3)
        storyboard = {spec.ratio: [p for p in sb_paths if p.name.startswith(spec.ratio.replace(":", "x") + "_")] for spec in specs}
        prog.update("scenes", 0.3)
        layers: dict[str, list[SceneLayers]] = {}
        logos: dict[str, tuple[Path, tuple[int, int]] | None] = {}
        text_boxes: dict[str, list[dict]] = {}  # ratio → every drawn box (policy safe-zone checks)
        hits = misses = 0
        if not storyboard_only:
            logo_hash = _file_sha(brief.brand.logo)
            for fi, spec in enumerate(specs):
                cv = Canvas(spec, 1.0)
                layers[spec.ratio] = []
                for i, scene in enumerate(plan.scenes):
                    _check_cancel(should_cancel)
                    k = scene.visual.image_index or 0
                    ci = scene.visual.clip_index if scene.visual.source == "uploaded_clip" else None
                    photo = photos[k] if scene.visual.source == "product_image" else None
                    full_bleed = ci is not None or (photo is not None and uses_full_bleed(photos_raw[k], spec))
                    clip_key = "-"
                    if ci is not None:
                        c = brief.clips[ci]
                        clip_key = f"{clip_infos[ci][1]}|{c.start:.3f}|{','.join(sorted(c.cleanup))}"
                    key = _sha(ENGINE_VERSION, "layers", spec.ratio, i, scene.model_dump_json(), look, brief.product_name,
                               brief.seed, image_hashes[k] if photo is not None else "-", logo_hash, brief.brand.font,
                               clip_key)
                    folder = (cache_dir / "layers" / key[:2] / key) if cache_dir else (work / "layers" / f"{spec.stem}_{i}")
                    meta_path = folder / "meta.json"
                    if cache_dir and meta_path.exists():
                        hits += 1
                        meta = json.loads(meta_path.read_text())
                    else:
                        misses += 1 if cache_dir else 0
                        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
                        tmp.mkdir(parents=True, exist_ok=True)
                        if ci is not None:  # the clip is the picture; the plate is the scrim laid over it
                            sc = scrim_layer(cv)
                            sc.image.save(tmp / "plate.png", compress_level=1)
                            plate_y = sc.y
                        else:
                            plate = render_plate(scene, i, look, cv, photo, logo=logo, product_name=brief.product_name,
                                                 seed=brief.seed, full_bleed=full_bleed)
                            plate.save(tmp / "plate.png", compress_level=1)
                            plate_y = 0
                        tl = render_text_layer(scene, look, cv, full_bleed=full_bleed, brand_font=brief.brand.font)
                        tl.image.save(tmp / "text.png", compress_level=1)
                        meta = {"text_x": tl.x, "text_y": tl.y, "plate_y": plate_y,
                                "ink": [list(b.__dict__.values()) for b in tl.ink]}
                        (tmp / "meta.json").write_text(json.dumps(meta))
                        if folder.exists():
                            shutil.rmtree(folder, ignore_errors=True)
                        tmp.replace(folder)
                    clip_in = None
                    if ci is not None:
                        c = brief.clips[ci]
                        clip_in = ClipInput(c.path, c.start, tuple(c.cleanup), clip_infos[ci][0].duration)
                    layers[spec.ratio].append(SceneLayers(folder / "plate.png", folder / "text.png", meta["text_x"], meta["text_y"],
                                                          clip=clip_in, plate_y=meta.get("plate_y", 0)))
                    text_boxes.setdefault(spec.ratio, []).extend(
                        {"scene_key": scene.id, "kind": "text", "box": list(b)} for b in meta.get("ink", []))
                if logo is not None:
                    ll = logo_layer(logo, look, cv, brief.brand.logo_position)
                    lp = work / f"logo_{spec.stem}.png"
                    ll.image.save(lp, compress_level=1)
                    logos[spec.ratio] = (lp, (ll.x, ll.y))
                    text_boxes.setdefault(spec.ratio, []).extend(
                        {"scene_key": "", "kind": "logo", "box": [b.left, b.top, b.right, b.bottom]} for b in ll.ink)
                else:
                    logos[spec.ratio] = None
                prog.update("scenes", 0.3 + 0.7 * (fi + 1) / len(specs))
        st["cache"] = {"hits": hits, "misses": misses, "enabled": cache_dir is not None}
    prog.update("scenes", 1)

    outputs: dict[str, Path] = {}
    reports: list[QualityReport] = []
    if not storyboard_only:
        # ------------------------------------------------------------ voice + music
        _check_cancel(should_cancel)
        with trace.stage("voice", backend=brief.voice.engine) as st:
            tts = get_backend(brief.voice.engine)
            vt = build_voice_track(plan, tts, voice=brief.voice.voice, rate_wpm=brief.voice.rate_wpm, cache_dir=cache_dir)
            st["notes"] += vt.notes
            st["cache"] = {"hits": vt.cache_hits, "misses": vt.cache_misses, "enabled": cache_dir is not None}
            st["phrases"] = len(vt.cues)
            prog.update("voice", 0.4)
            mood, tempo = brief.music.mood, brief.music.tempo_bpm
            if mood == "none" and not vt.cues:  # no voiceover line anywhere: without music the ad would be silent
                mood, tempo = "auto", None
                st["notes"].append("music: the plan has no voiceover, so the style's music was kept instead of none")
            music, st["music"] = make_bed(plan.total_duration, look, brief.seed, mood=mood, tempo_bpm=tempo)
            soundtrack = work / "soundtrack.wav"
            loud = audio_mod.mix_soundtrack(vt.samples, music, plan.total_duration, soundtrack, work, should_cancel=should_cancel)
            st["loudnorm"] = {k: loud.get(k) for k in ("input_i", "output_i", "output_tp", "normalization_type")}
            # the soundtrack is the same for every format: AAC-encode it once, copy it into each MP4
            soundtrack_aac = audio_mod.encode_aac(soundtrack, work / "soundtrack.m4a", should_cancel=should_cancel)
        prog.update("voice", 1)

        # ------------------------------------------------------------ compose: captions + graphs
        with trace.stage("compose", backend="ffmpeg-filtergraph") as st:
            fonts_dir = _fonts_dir(work)
            ass_paths = {}
            for spec in specs:
                ass_paths[spec.ratio] = write_ass(work / f"{spec.stem}.ass", vt.cues, spec, look) if vt.cues else None
            st["captions"] = len(vt.cues)
            for spec in specs:  # libass lays each cue bottom-centred in the caption box (captions.write_ass)
                cap = spec.captions
                for sid in dict.fromkeys(c.scene_id for c in vt.cues):
                    text_boxes.setdefault(spec.ratio, []).append(
                        {"scene_key": sid, "kind": "captions", "box": [cap.left, cap.top, cap.right, cap.bottom]})
        prog.update("compose", 1)

        # ------------------------------------------------------------ encode: one FFmpeg run per format
        taps: dict[str, VideoTap] = {}
        with trace.stage("encode", backend="ffmpeg-libx264") as st:
            st["formats"] = {}
            for fi, spec in enumerate(specs):
                _check_cancel(should_cancel)
                out = stage_dir / f"{spec.stem}.mp4"
                t0 = time.monotonic()
                lg = logos.get(spec.ratio)
                # the picture checks analyse the encoded frames inside this same run (no re-decode)
                taps[spec.ratio] = VideoTap(work / f"qa_{spec.stem}_samples.gray", work / f"qa_{spec.stem}_lumas.gray")
                render_format(
                    plan, spec, layers[spec.ratio], logo_png=lg[0] if lg else None, logo_xy=lg[1] if lg else (0, 0),
                    ass_path=ass_paths[spec.ratio], fonts_dir=fonts_dir, audio_wav=soundtrack_aac, audio_copy=True,
                    out_path=out, on_progress=lambda f, fi=fi: prog.update("encode", (fi + f) / len(specs)),
                    should_cancel=should_cancel, tap=taps[spec.ratio],
                )
                (out.with_suffix(".filtergraph.txt")).unlink(missing_ok=True)
                secs = round(time.monotonic() - t0, 3)
                st["formats"][spec.ratio] = {"seconds": secs, "realtime_factor": round(plan.total_duration / secs, 2)}
                outputs[spec.ratio] = out
                prog.update("encode", (fi + 1) / len(specs))

        # ------------------------------------------------------------ quality checks
        with trace.stage("checks", backend="ffprobe+ffmpeg") as st:
            for fi, spec in enumerate(specs):
                _check_cancel(should_cancel)
                rep = analyze(outputs[spec.ratio], spec, plan.total_duration, expect_voice=bool(vt.cues), tap=taps[spec.ratio])
                reports.append(rep)
                if rep.problems:
                    st["notes"] += [f"{spec.ratio}: {p}" for p in rep.problems]
                prog.update("checks", (fi + 1) / len(specs))

    # ---------------------------------------------------------------- trace + publish
    _check_cancel(should_cancel)
    metrics = summarize(reports)
    quality = {r.ratio: {k: v for k, v in r.to_dict().items() if k != "probe"} | {"probe": r.probe}
               | {"text_boxes": text_boxes.get(r.ratio, [])} for r in reports}
    gen = trace.elapsed
    tokens = trace.extra.get("llm_tokens", 0)
    trace.extra["quality_metrics"] = metrics
    trace.extra["quality"] = quality
    trace.extra["cost_estimate"] = cost_estimate(gen, tokens)
    trace.outputs = {
        r: {"path": f"{FORMATS[r].stem}.mp4", "bytes": p.stat().st_size} for r, p in outputs.items()
    }
    trace.outputs["storyboard"] = [f"storyboard/{p.name}" for ps in storyboard.values() for p in ps]
    trace.outputs["trace"] = "trace.json"
    trace_dict = trace.to_dict()
    (stage_dir / "trace.json").write_text(json.dumps(trace_dict, indent=2, ensure_ascii=False, default=str), encoding="utf-8")

    # Publish: move staged files into out_dir (same filesystem → atomic renames).
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "storyboard").mkdir(exist_ok=True)
    final_outputs = {}
    for r, p in outputs.items():
        dst = out_dir / p.name
        os.replace(p, dst)
        final_outputs[r] = dst
    final_sb = {}
    for r, ps in storyboard.items():
        final_sb[r] = []
        for p in ps:
            dst = out_dir / "storyboard" / p.name
            os.replace(p, dst)
            final_sb[r].append(dst)
    trace_path = out_dir / "trace.json"
    os.replace(stage_dir / "trace.json", trace_path)
    return PipelineResult(plan=plan, outputs=final_outputs, storyboard=final_sb, trace=trace_dict, trace_path=trace_path,
                          quality_metrics=metrics, quality=quality, generation_time_seconds=gen)
