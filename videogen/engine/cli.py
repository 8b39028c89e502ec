"""The engine's command line, without Django::

    python -m videogen.engine render --brief BRIEF.json --out DIR [--image PATH ...]
        [--formats 9:16,1:1] [--storyboard-only] [--planner rules|llm] [--cache-dir DIR] [--plan PLAN.json]

renders a brief into ``DIR/ad_9x16.mp4`` …, ``DIR/storyboard/*.png`` and ``DIR/trace.json``.
Bad input: one ``error: …`` line per problem on stderr, exit status 2, nothing written.
``manage.py render_ad`` takes the same flags (:func:`add_render_arguments`) and runs the same code
(:func:`render`). Heavy modules (Pillow, NumPy, the pipeline) are imported only when a render
runs, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

RATIOS_HELP = "9:16,1:1,4:5,16:9"  # the engine's formats (videogen.engine.render.formats.RATIOS; a test keeps them equal)


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of a render (shared by this CLI and ``manage.py render_ad``)."""
    parser.add_argument("--brief", required=True, help="brief JSON file (image paths are relative to it)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--image", action="append", default=None, metavar="PATH",
                        help="product image; repeat for several (replaces the brief's images)")
    parser.add_argument("--formats", default=None, help=f"comma-separated aspect ratios ({RATIOS_HELP}); default: the brief's")
    parser.add_argument("--storyboard-only", action="store_true", help="only plan and draw the storyboard")
    parser.add_argument("--planner", choices=["rules", "llm"], default=None,
                        help="planner backend (default: llm when KOLONY_LLM_URL is set)")
    parser.add_argument("--cache-dir", default=None, help="reuse scene layers and voice phrases from this folder")
    parser.add_argument("--plan", default=None, metavar="PLAN.json",
                        help="render this scene plan instead of planning (e.g. a trace.json's \"plan\", edited)")


class _Progress:
    """A progress bar on a terminal, else a line every 25 %."""

    def __init__(self, err: TextIO):
        self.err, self.tty, self.last = err, err.isatty(), -1.0

    def __call__(self, phase: str, pct: float) -> None:
        if self.tty:
            filled = int(pct / 100 * 30)
            self.err.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {pct:5.1f}%  {phase:<8}")
            self.err.flush()
        elif pct - self.last >= 25 or pct >= 100:
            self.last = pct
            self.err.write(f"{pct:5.1f}% {phase}\n")


def _fail(err: TextIO, problems: list[str]) -> int:
    for p in problems:
        err.write(f"error: {p}\n")
    return 2


def _load_plan(path: Path):
    """(ScenePlan or None, problems) from a plan JSON file: a plan (``ScenePlan.to_dict``) or a
    whole ``trace.json`` (its ``plan`` is used)."""
    import json

    from pydantic import ValidationError

    from videogen.engine.planner.schema import ScenePlan

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, [f"--plan: cannot read {path}: {exc}"]
    if isinstance(data, dict) and isinstance(data.get("plan"), dict):
        data = data["plan"]
    try:
        return ScenePlan.from_dict(data if isinstance(data, dict) else {}), []
    except ValidationError as exc:
        return None, [f"--plan: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]


def render(opts: dict, *, out: TextIO, err: TextIO, llm: dict | None = None) -> int:
    """Run one render from parsed flags (``opts``: brief, out, image, formats, storyboard_only,
    planner, cache_dir, plan) and print a summary to ``out``. ``llm``: the LLM endpoint (the Studio
    passes its settings), None for the ``KOLONY_LLM_*`` environment. Returns the exit status:
    0 done, 2 bad input / missing font / cancelled (each problem an ``error:`` line on ``err``)."""
    from videogen.engine.brief import BriefError, load_brief
    from videogen.engine.pipeline import RenderCancelled, run_pipeline
    from videogen.engine.render.fonts import FontNotFoundError
    from videogen.engine.render.formats import RATIOS

    problems: list[str] = []
    formats = None
    if opts.get("formats"):
        formats = [f.strip() for f in opts["formats"].split(",") if f.strip()]
        bad = [f for f in formats if f not in RATIOS]
        if bad or not formats:
            problems.append(f"--formats: unknown aspect ratio {', '.join(map(repr, bad)) or '(empty)'}; "
                            f"expected some of {', '.join(RATIOS)}")
    out_dir = Path(opts["out"])
    if out_dir.exists() and not out_dir.is_dir():
        problems.append(f"--out: {out_dir} exists and is not a folder")
    brief = None
    try:
        images = [Path(p) for p in opts["image"]] if opts.get("image") else None
        brief = load_brief(opts["brief"], images=images)
    except BriefError as exc:
        problems += exc.problems
    plan = None
    if opts.get("plan"):
        plan, plan_problems = _load_plan(Path(opts["plan"]))
        problems += plan_problems
    if problems or brief is None:
        return _fail(err, problems)
    progress = _Progress(err)
    t0 = time.monotonic()
    try:
        result = run_pipeline(brief, out_dir=out_dir, formats=formats, storyboard_only=bool(opts.get("storyboard_only")),
                              progress=progress, planner_backend=opts.get("planner"), llm=llm, plan=plan,
                              cache_dir=Path(opts["cache_dir"]) if opts.get("cache_dir") else None)
    except BriefError as exc:
        return _fail(err, exc.problems)
    except FontNotFoundError as exc:
        return _fail(err, [str(exc)])
    except RenderCancelled:
        return _fail(err, ["render cancelled"])
    if progress.tty:
        err.write("\n")
    wall = time.monotonic() - t0
    plan = result.plan
    out.write(f"Rendered {len(plan.scenes)} scenes, {plan.total_duration:g} s, planner: {plan.planner}, in {wall:.1f} s\n")
    for ratio, path in result.outputs.items():
        q = result.quality.get(ratio, {})
        status = "ok" if not q.get("problems") else "; ".join(q["problems"])
        out.write(f"  {ratio:>5}  {path}  ({path.stat().st_size / 1e6:.1f} MB, {q.get('integrated_lufs')} LUFS)  {status}\n")
    n_sb = sum(len(v) for v in result.storyboard.values())
    out.write(f"  storyboard: {n_sb} keyframes in {out_dir / 'storyboard'}\n")
    qm = result.quality_metrics
    if result.outputs:
        out.write(f"  quality: frame coherence {qm['frame_coherence_score']}, visual quality {qm['visual_quality_score']}\n")
    for fb in result.trace.get("fallbacks", []):
        out.write(f"  fallback ({fb['stage']}): {fb['from']} → {fb['to']}: {fb['reason']}\n")
    out.write(f"  trace: {result.trace_path}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m videogen.engine",
                                     description="Kolony's video engine (CPU), without Django.")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render a brief: MP4 per aspect ratio, storyboard, trace",
                       description="Render a video ad from a brief JSON file: MP4 per aspect ratio, storyboard, trace.")
    add_render_arguments(r)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m videogen.engine``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "render":
        return render(vars(args), out=sys.stdout, err=sys.stderr)
    return 2  # pragma: no cover - argparse refuses unknown commands
