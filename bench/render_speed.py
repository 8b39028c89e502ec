"""Whole-process render speed of the CPU engine (issue 14 §3), printed as figures; never asserted
in tests.

Every figure is a whole process as a user waits for it — ``python -m videogen.engine render``
started in a subprocess, Python start-up, imports, planning, drawing, voice, encode, checks and
files on disk included — timed by wall clock and by CPU seconds (user + system of the process
and everything it waited for, from ``getrusage(RUSAGE_CHILDREN)``). Each figure is the median of
``--repeat`` runs (default 3); the runs of the engine and of the floor are interleaved so that a
noisy, shared machine affects both alike. The load average is printed with the figures.

(a) the 15 s coffee brief, one format (9:16), against the floor: FFmpeg encoding a plain 15 s
    1080×1920 clip (``testsrc2`` + a sine tone, libx264 veryfast CRF 21 as the
    issue defines it (``FLOOR_PRESET``/``FLOOR_CRF``; the engine's own ``X264_*`` may differ), AAC 192k) — target ≤ 1.3×;
(b) all four formats of the brief in one job against the sum of the four plain encodes — ≤ 1.3×;
(c) a storyboard edit of one scene (its headline) re-rendered with the scene cache warm
    (``--cache-dir``, ``--plan`` = the first render's plan with the edit) against (a)'s full
    render — ≤ 0.5×;
(d) MoviePy 2 composing the same 9:16 scenes the ordinary way (layers drawn by the engine's own
    functions, ImageClips with a per-frame resize for the zoom, animated text, crossfades,
    written with the same x264 settings), whole, against (a) — target ≥ 10×.

Usage: ``.venv/bin/python bench/render_speed.py [--repeat N] [--skip-moviepy] [--only a,b,c]``
(MoviePy from requirements-bench.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from videogen.engine.render.ffmpeg import ffmpeg_exe  # noqa: E402
from videogen.engine.render.formats import AUDIO_BITRATE, FORMATS, X264_CRF, X264_PRESET  # noqa: E402

EXAMPLES = ROOT / "examples"
# the floor is the issue's own definition (issue 14 §3: libx264 veryfast CRF 21 + AAC), kept fixed
# so the ratios stay comparable when the engine's X264_* settings change
FLOOR_PRESET, FLOOR_CRF = "veryfast", 21
TARGETS = {"a": ("≤", 1.3), "b": ("≤", 1.3), "c": ("≤", 0.5), "d": ("≥", 10.0)}


def timed(cmd: list[str], **kw) -> tuple[float, float]:
    """(wall s, CPU s) of running ``cmd`` to the end (raises on a non-zero exit, with its stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)  # noqa: S603 - fixed argument list
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def floor(spec, seconds: float, out: Path) -> tuple[float, float]:
    """The plain-encode floor at ``spec``'s size: FFmpeg, testsrc2 + sine, same x264/AAC settings."""
    return timed([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={spec.width}x{spec.height}:r=30",
                  "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000", "-t", f"{seconds:g}",
                  "-c:v", "libx264", "-preset", FLOOR_PRESET, "-crf", str(FLOOR_CRF), "-profile:v", "high",
                  "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2", "-movflags", "+faststart",
                  str(out)])


def engine(*args) -> tuple[float, float]:
    """A whole ``python -m videogen.engine render ARGS`` process (no Django settings)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    return timed([sys.executable, "-m", "videogen.engine", "render", "--planner", "rules", *map(str, args)], env=env, cwd=ROOT)


def moviepy_compose(brief_path: Path, plan_path: Path, work: Path, out: Path) -> None:
    """The 9:16 ad composed with MoviePy 2 the ordinary way and written with the same x264 settings;
    the soundtrack is the engine's (voice + music, made here too, as MoviePy has none)."""
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, concatenate_videoclips, vfx

    from videogen.engine.brief import load_brief, load_image
    from videogen.engine.planner.schema import ScenePlan
    from videogen.engine.render import audio as audio_mod
    from videogen.engine.render.compositor import KB_ZOOM, TRANSITION_SECONDS
    from videogen.engine.render.layers import Canvas, grade, prepare_logo, render_plate, render_text_layer
    from videogen.engine.render.music import make_bed
    from videogen.engine.render.styles import make_look
    from videogen.engine.render.tts import get_backend
    from videogen.engine.render.voiceover import build_voice_track

    brief = load_brief(brief_path)
    plan = ScenePlan.from_dict(json.loads(plan_path.read_text())["plan"])
    spec = FORMATS["9:16"]
    cv = Canvas(spec, 1.0)
    look = make_look(brief.style, brief.brand.colors)
    dur = plan.total_duration
    vt = build_voice_track(plan, get_backend(brief.voice.engine), voice=brief.voice.voice, rate_wpm=brief.voice.rate_wpm)
    music, _ = make_bed(dur, look, brief.seed)
    soundtrack = work / "mp_soundtrack.wav"
    audio_mod.mix_soundtrack(vt.samples, music, dur, soundtrack, work)
    photo = grade(load_image(brief.images[0]), look)
    logo = prepare_logo(load_image(brief.brand.logo))[0] if brief.brand.logo else None
    td = TRANSITION_SECONDS
    clips = []
    for i, scene in enumerate(plan.scenes):
        plate = render_plate(scene, i, look, cv, photo if scene.visual.source == "product_image" else None, logo=logo,
                             product_name=brief.product_name, seed=brief.seed)
        text = render_text_layer(scene, look, cv, full_bleed=False)
        pp, tp = work / f"mp_plate{i}.png", work / f"mp_text{i}.png"
        plate.save(pp)
        text.image.save(tp)
        d = scene.duration + (td if i < len(plan.scenes) - 1 else 0)
        bg = ImageClip(str(pp)).with_duration(d).with_effects([vfx.Resize(lambda t, d=d: 1 + KB_ZOOM * t / d)])
        bg = bg.with_position("center")
        tx = ImageClip(str(tp)).with_duration(d).with_effects([vfx.CrossFadeIn(0.4)])
        tx = tx.with_position(lambda t, x=text.x, y=text.y: (x, y + 70 * max(0.0, 1 - t / 0.55) ** 3))
        clip = CompositeVideoClip([bg, tx], size=spec.size).with_duration(d)
        if i > 0:
            clip = clip.with_effects([vfx.CrossFadeIn(td)])
        clips.append(clip)
    video = concatenate_videoclips(clips, method="compose", padding=-td).with_audio(AudioFileClip(str(soundtrack)))
    video.write_videofile(str(out), fps=30, codec="libx264", preset=X264_PRESET, ffmpeg_params=["-crf", str(X264_CRF)],
                          audio_codec="aac", audio_bitrate=AUDIO_BITRATE, threads=os.cpu_count(), logger=None)


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _med(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def _line(label: str, runs: list[tuple[float, float]]) -> str:
    w, c = _med(runs)
    walls = ", ".join(f"{r[0]:.2f}" for r in runs)
    return f"  {label:<44} wall {w:6.2f} s  CPU {c:6.2f} s   (runs: {walls})"


def _ratio(key: str, name: str, value: float, cpu: float | None = None) -> str:
    op, target = TARGETS[key]
    ok = value <= target if op == "≤" else value >= target
    extra = f", CPU {cpu:.2f}×" if cpu is not None else ""
    return f"  ({key}) {name:<52} {value:6.2f}×{extra}   target {op} {target:g}×  {'met' if ok else 'NOT met'}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each figure (the median is printed)")
    ap.add_argument("--skip-moviepy", action="store_true")
    ap.add_argument("--only", default="a,b,c", help="figures to run among a,b,c (d follows --skip-moviepy)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    print(f"engine x264 preset={X264_PRESET} crf={X264_CRF}; floor preset={FLOOR_PRESET} crf={FLOOR_CRF}; "
          f"AAC {AUDIO_BITRATE}; {os.cpu_count()} CPU cores; {_load()}", flush=True)
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in ("floor916", "one", "floor4", "four", "edit")}
    with tempfile.TemporaryDirectory(prefix="kolony-bench-") as tmp:
        work = Path(tmp)
        for name in ("coffee.png", "aurora_logo.png"):
            shutil.copy(EXAMPLES / name, work / name)
        data = json.loads((EXAMPLES / "coffee_brief.json").read_text())
        one, four = work / "one.json", work / "four.json"
        one.write_text(json.dumps({**data, "aspect_ratios": ["9:16"]}))
        four.write_text(json.dumps(data))
        seconds = float(data["duration"])
        for k in range(args.repeat):
            if only & {"a", "c"}:
                runs["floor916"].append(floor(FORMATS["9:16"], seconds, work / "floor.mp4"))
                runs["one"].append(engine("--brief", one, "--out", work / f"one{k}", "--formats", "9:16"))
            if "c" in only:  # cache warm-up render, then the edit
                cache = work / f"cache{k}"
                engine("--brief", one, "--out", work / f"warm{k}", "--cache-dir", cache)
                trace = json.loads((work / f"warm{k}" / "trace.json").read_text())
                trace["plan"]["scenes"][1]["on_screen_text"] = "Edited: steeped 18 hours"
                plan_path = work / f"edit{k}.json"
                plan_path.write_text(json.dumps(trace["plan"]))
                runs["edit"].append(engine("--brief", one, "--out", work / f"edit{k}", "--cache-dir", cache, "--plan", plan_path))
            if "b" in only:
                fl = [floor(spec, seconds, work / f"floor_{spec.stem}.mp4") for spec in FORMATS.values()]
                runs["floor4"].append((sum(f[0] for f in fl), sum(f[1] for f in fl)))
                runs["four"].append(engine("--brief", four, "--out", work / f"four{k}"))
            print(f"  round {k + 1}/{args.repeat} done; {_load()}", flush=True)
        print(f"\nwhole processes, {seconds:g} s ad, median of {args.repeat}:")
        labels = {"floor916": "floor: plain 9:16 encode", "one": "(a) engine, 9:16", "edit": "(c) one-scene edit, cache warm",
                  "floor4": "floor: four plain encodes (sum)", "four": "(b) engine, four formats, one job"}
        for key, label in labels.items():
            if runs[key]:
                print(_line(label, runs[key]))
        print("\nratios:")
        if runs["one"]:
            (ew, ec), (fw, fc) = _med(runs["one"]), _med(runs["floor916"])
            print(_ratio("a", "9:16 job / plain 9:16 encode (wall)", ew / fw, ec / fc))
        if runs["four"]:
            (ew, ec), (fw, fc) = _med(runs["four"]), _med(runs["floor4"])
            print(_ratio("b", "four-format job / sum of four plain encodes (wall)", ew / fw, ec / fc))
        if runs["edit"]:
            (ew, ec), (fw, fc) = _med(runs["edit"]), _med(runs["one"])
            print(_ratio("c", "one-scene edit re-render / full render (wall)", ew / fw, ec / fc))
        if not args.skip_moviepy and runs["one"]:
            mp = timed([sys.executable, __file__, "--moviepy-child", str(one), str(work / "one0" / "trace.json"), str(work)])
            print(_line("MoviePy 2 composition of the same scenes", [mp]))
            print(_ratio("d", "MoviePy 2 / engine (wall; engine faster by)", mp[0] / _med(runs["one"])[0],
                         mp[1] / _med(runs["one"])[1]))
        print(_load())


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--moviepy-child":
        brief_arg, trace_arg, work_arg = map(Path, sys.argv[2:])
        moviepy_compose(brief_arg, trace_arg, work_arg, work_arg / "moviepy_9x16.mp4")
    else:
        main()
