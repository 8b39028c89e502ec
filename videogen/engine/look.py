"""Contact sheets of what Kolony makes: for each example brief (``examples/*_brief.json``) in
each of the five styles, one keyframe per scene, 9:16 and 16:9, into ``docs/look/`` as
PNG (256-colour, dithered: ≈ 150–350 kB a sheet).

Run ``python -m videogen.engine.look [--out docs/look]`` (``make look``). No Django, no video
encode: the storyboard path draws the same layers the video uses, at half size.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from videogen.engine.brief import brief_from_dict
from videogen.engine.pipeline import run_pipeline

STYLES = ("vibrant", "casual", "minimalist", "corporate", "professional")
BRIEFS = ("coffee", "rocket")
RATIOS = ("9:16", "16:9")
THUMB_HEIGHT = {"9:16": 480, "16:9": 270}  # px per frame on the sheet
GAP = 12  # px between frames
SHEET_BG = (28, 28, 32)
PNG_COLOURS = 256


def sheet_name(brief: str, style: str, ratio: str) -> str:
    """e.g. ``coffee_vibrant_9x16.png``."""
    return f"{brief}_{style}_{ratio.replace(':', 'x')}.png"


def contact_sheet(frames: list[Path], height: int) -> Image.Image:
    """``frames`` side by side, each scaled to ``height`` px, ``GAP`` px apart on a dark ground."""
    thumbs = []
    for f in frames:
        with Image.open(f) as src:
            im = src.convert("RGB")
        thumbs.append(im.resize((round(im.width * height / im.height), height), Image.Resampling.LANCZOS))
    width = sum(t.width for t in thumbs) + GAP * (len(thumbs) + 1)
    sheet = Image.new("RGB", (width, height + 2 * GAP), SHEET_BG)
    x = GAP
    d = ImageDraw.Draw(sheet)
    for t in thumbs:
        sheet.paste(t, (x, GAP))
        d.rectangle((x - 1, GAP - 1, x + t.width, GAP + t.height), outline=(70, 70, 78))
        x += t.width + GAP
    return sheet


def make_sheets(out: Path, examples: Path, briefs=BRIEFS, styles=STYLES) -> list[Path]:
    """Render every brief × style storyboard and write its sheets into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="kolony-look-") as tmp:
        for name in briefs:
            data = json.loads((examples / f"{name}_brief.json").read_text(encoding="utf-8"))
            for style in styles:
                d = dict(data, style=style, aspect_ratios=list(RATIOS))
                brief = brief_from_dict(d, examples)
                res = run_pipeline(brief, out_dir=Path(tmp) / f"{name}_{style}", formats=list(RATIOS),
                                   storyboard_only=True, planner_backend="rules")
                for ratio in RATIOS:
                    path = out / sheet_name(name, style, ratio)
                    sheet = contact_sheet(res.storyboard[ratio], THUMB_HEIGHT[ratio])
                    sheet.quantize(PNG_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
                        path, format="PNG", optimize=True)
                    written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m videogen.engine.look", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("docs/look"))
    ap.add_argument("--examples", type=Path, default=Path("examples"))
    ap.add_argument("--brief", choices=BRIEFS, action="append", help="only this brief (repeatable)")
    ap.add_argument("--style", choices=STYLES, action="append", help="only this style (repeatable)")
    args = ap.parse_args(argv)
    paths = make_sheets(args.out, args.examples, tuple(args.brief or BRIEFS), tuple(args.style or STYLES))
    for p in paths:
        print(f"{p}  {p.stat().st_size // 1024} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
