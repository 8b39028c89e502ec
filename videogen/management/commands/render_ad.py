"""``python manage.py render_ad --brief BRIEF.json --out DIR [--image PATH ...] [--formats 9:16,1:1] [--storyboard-only]``

Renders a brief into ``DIR/ad_9x16.mp4`` … , ``DIR/storyboard/*.png`` and ``DIR/trace.json``.
Bad input: one line per problem on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from videogen.engine.brief import BriefError, load_brief
from videogen.engine.render.fonts import FontNotFoundError
from videogen.engine.render.formats import RATIOS


class Command(BaseCommand):
    help = "Render a video ad from a brief JSON file (CPU engine): MP4 per aspect ratio, storyboard, trace."

    def add_arguments(self, parser):
        parser.add_argument("--brief", required=True, help="brief JSON file (image paths are relative to it)")
        parser.add_argument("--out", required=True, help="output folder")
        parser.add_argument("--image", action="append", default=None, metavar="PATH",
                            help="product image; repeat for several (replaces the brief's images)")
        parser.add_argument("--formats", default=None, help=f"comma-separated aspect ratios ({','.join(RATIOS)}); default: the brief's")
        parser.add_argument("--storyboard-only", action="store_true", help="only plan and draw the storyboard")
        parser.add_argument("--planner", choices=["rules", "llm"], default=None,
                            help="planner backend (default: llm when KOLONY_LLM_URL is set)")
        parser.add_argument("--cache-dir", default=None, help="reuse scene layers and voice phrases from this folder")

    def _fail(self, problems: list[str]) -> None:
        for p in problems:
            self.stderr.write(f"error: {p}")
        sys.exit(2)

    def handle(self, *args, **opts):
        from videogen.engine.pipeline import RenderCancelled, run_pipeline

        problems: list[str] = []
        formats = None
        if opts["formats"]:
            formats = [f.strip() for f in opts["formats"].split(",") if f.strip()]
            bad = [f for f in formats if f not in RATIOS]
            if bad or not formats:
                problems.append(f"--formats: unknown aspect ratio {', '.join(map(repr, bad)) or '(empty)'}; "
                                f"expected some of {', '.join(RATIOS)}")
        out = Path(opts["out"])
        if out.exists() and not out.is_dir():
            problems.append(f"--out: {out} exists and is not a folder")
        brief = None
        try:
            images = [Path(p) for p in opts["image"]] if opts["image"] else None
            brief = load_brief(opts["brief"], images=images)
        except BriefError as exc:
            problems += exc.problems
        if problems:
            self._fail(problems)

        tty = sys.stderr.isatty()
        state = {"last": -1.0}

        def progress(phase: str, pct: float) -> None:
            if tty:
                filled = int(pct / 100 * 30)
                sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {pct:5.1f}%  {phase:<8}")
                sys.stderr.flush()
            elif pct - state["last"] >= 25 or pct >= 100:
                state["last"] = pct
                self.stderr.write(f"{pct:5.1f}% {phase}")

        t0 = time.monotonic()
        try:
            result = run_pipeline(brief, out_dir=out, formats=formats, storyboard_only=opts["storyboard_only"],
                                  progress=progress, planner_backend=opts["planner"],
                                  cache_dir=Path(opts["cache_dir"]) if opts["cache_dir"] else None)
        except BriefError as exc:
            self._fail(exc.problems)
        except FontNotFoundError as exc:
            self._fail([str(exc)])
        except RenderCancelled:
            self._fail(["render cancelled"])
        if tty:
            sys.stderr.write("\n")
        wall = time.monotonic() - t0
        plan = result.plan
        self.stdout.write(f"Rendered {len(plan.scenes)} scenes, {plan.total_duration:g} s, planner: {plan.planner}, in {wall:.1f} s")
        for ratio, path in result.outputs.items():
            q = result.quality.get(ratio, {})
            lufs = q.get("integrated_lufs")
            status = "ok" if not q.get("problems") else "; ".join(q["problems"])
            self.stdout.write(f"  {ratio:>5}  {path}  ({path.stat().st_size / 1e6:.1f} MB, {lufs} LUFS)  {status}")
        n_sb = sum(len(v) for v in result.storyboard.values())
        self.stdout.write(f"  storyboard: {n_sb} keyframes in {out / 'storyboard'}")
        qm = result.quality_metrics
        if result.outputs:
            self.stdout.write(f"  quality: frame coherence {qm['frame_coherence_score']}, visual quality {qm['visual_quality_score']}")
        for fb in result.trace.get("fallbacks", []):
            self.stdout.write(f"  fallback ({fb['stage']}): {fb['from']} → {fb['to']}: {fb['reason']}")
        self.stdout.write(f"  trace: {result.trace_path}")
