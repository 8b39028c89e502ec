"""``python -m videogen.engine render``: the engine's own command line, run as a user would, in a
fresh process with no Django settings (issue 14 §1). ``-X importtime`` lists every module the
process imported, so the tests see that Django never loads and that ``--help`` stays light."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from videogen.engine import cli
from videogen.engine.render.formats import RATIOS

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("django", "PIL", "numpy", "pydantic", "videogen.engine.pipeline")


def engine(*args, cwd=ROOT):
    """Run ``python -X importtime -m videogen.engine ARGS`` with DJANGO_SETTINGS_MODULE unset.
    Returns (completed process, set of top-level and dotted module names imported)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "videogen.engine", *map(str, args)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=600)
    modules = set()
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            modules.add(name)
    res.stderr = "\n".join(ln for ln in res.stderr.splitlines() if not ln.startswith("import time:"))
    return res, modules


def _top(modules):
    return {m.split(".")[0] for m in modules} | set(modules)


def test_help_answers_without_loading_the_engine(tmp_path):
    for args in (["--help"], ["render", "--help"]):
        res, modules = engine(*args, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert "render" in res.stdout
        loaded = _top(modules)
        assert not [h for h in HEAVY if h in loaded], "--help imports only argparse and the CLI module"
    res, _ = engine("render", "--help", cwd=tmp_path)
    for flag in ("--brief", "--out", "--image", "--formats", "--storyboard-only", "--planner", "--cache-dir"):
        assert flag in res.stdout


@pytest.mark.slow
def test_renders_an_ad_without_django(brief_dir, tmp_path):
    data = json.loads((brief_dir / "coffee_brief.json").read_text())
    data["duration"] = 6
    (brief_dir / "short.json").write_text(json.dumps(data))
    out = tmp_path / "out"
    res, modules = engine("render", "--brief", brief_dir / "short.json", "--out", out, "--formats", "1:1", "--planner", "rules",
                          cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "django" not in _top(modules), "the engine's CLI never imports Django"
    assert not {m for m in modules if m.split(".")[0] in ("kolony", "rest_framework", "channels")}
    assert not {m for m in modules if m.startswith("videogen.") and not m.startswith("videogen.engine")}
    assert (out / "ad_1x1.mp4").stat().st_size > 50_000
    assert list((out / "storyboard").glob("1x1_s*.png"))
    assert json.loads((out / "trace.json").read_text())["outputs"]["1:1"]["path"] == "ad_1x1.mp4"
    assert "Rendered" in res.stdout and "ad_1x1.mp4" in res.stdout


def test_bad_input_one_error_line_per_problem(brief_dir, tmp_path):
    data = json.loads((brief_dir / "coffee_brief.json").read_text())
    data["duration"] = 90
    (brief_dir / "bad.json").write_text(json.dumps(data))
    out = tmp_path / "never"
    res, modules = engine("render", "--brief", brief_dir / "bad.json", "--out", out, "--formats", "9:16,2:3", cwd=tmp_path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2 and all(ln.startswith("error: ") for ln in lines), lines
    assert any(ln.startswith("error: --formats:") for ln in lines) and any(ln.startswith("error: duration:") for ln in lines)
    assert not out.exists()
    assert "django" not in _top(modules)


def test_render_ad_takes_the_same_flags_as_the_cli():
    from videogen.management.commands.render_ad import Command

    def flags(parser: argparse.ArgumentParser) -> dict:
        return {a.dest: (tuple(a.option_strings), a.required, a.default, type(a).__name__, a.choices)
                for a in parser._actions if a.option_strings and a.dest not in ("help",)}

    cli_parser = argparse.ArgumentParser()
    cli.add_render_arguments(cli_parser)
    django_flags = flags(Command().create_parser("manage.py", "render_ad"))
    for dest, spec in flags(cli_parser).items():
        assert django_flags.get(dest) == spec, dest
    assert cli.RATIOS_HELP == ",".join(RATIOS)
