"""Render speed of the CPU engine (issue 5), printed as figures; never asserted in tests.

For the 15 s, four-format coffee brief it prints, per format, the wall time of that format's
one FFmpeg run inside the real ``run_pipeline`` job (taken from the job's trace: composition,
encode and the in-run picture analysis; the soundtrack is AAC-encoded once per job and copied)
and the real-time factor (seconds of video per second of wall time), beside:

(a) the same 9:16 scenes (same pre-rendered layers, Ken Burns, text animation, crossfades,
    soundtrack) composed with MoviePy 2 the ordinary way and written with the same x264
    settings, and
(b) the floor: FFmpeg encoding a plain 15 s clip (``testsrc2`` + a sine tone) at the same size
    and settings (libx264 preset/CRF from ``videogen.engine.render.formats``, AAC 192k).

It also prints the job's shared, format-independent stages (layers, voice + music + loudness +
the one AAC encode, checks) and the storyboard time.

Usage: ``.venv/bin/python bench/render_speed.py [--repeat N] [--skip-moviepy]`` (needs
requirements-bench.txt). Timings on a shared machine are noisy: the load average is printed
with the figures, and ``--repeat`` runs the job and the floor N times and prints the best and
the median of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kolony.settings")

from videogen.engine.brief import load_brief, load_image  # noqa: E402
from videogen.engine.pipeline import run_pipeline  # noqa: E402
from videogen.engine.render.compositor import KB_ZOOM, TRANSITION_SECONDS  # noqa: E402
from videogen.engine.render.ffmpeg import ffmpeg_exe  # noqa: E402
from videogen.engine.render.formats import AUDIO_BITRATE, FORMATS, X264_CRF, X264_PRESET  # noqa: E402
from videogen.engine.render.layers import Canvas, grade, prepare_logo, render_plate, render_text_layer  # noqa: E402
from videogen.engine.render.styles import make_look  # noqa: E402

BRIEF = ROOT / "examples" / "coffee_brief.json"


def floor_encode(spec, seconds: float, out: Path) -> float:
    """Wall seconds for FFmpeg to encode a plain clip of ``seconds`` at ``spec``'s size."""
    t0 = time.monotonic()
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={spec.width}x{spec.height}:r=30:d={seconds}",
         "-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000:d={seconds}",
         "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF), "-profile:v", "high", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2", "-movflags", "+faststart", str(out)],
        check=True,
    )
    return time.monotonic() - t0


def moviepy_compose(brief, plan, soundtrack: Path, work: Path, out: Path) -> float:
    """The 9:16 ad composed with MoviePy 2 (ImageClips, per-frame resize for the zoom, animated
    text positions, CrossFadeIn, CompositeVideoClip) and written with the same x264 settings."""
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, concatenate_videoclips, vfx

    spec = FORMATS["9:16"]
    cv = Canvas(spec, 1.0)
    look = make_look(brief.style, brief.brand.colors)
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
    t0 = time.monotonic()
    video.write_videofile(str(out), fps=30, codec="libx264", preset=X264_PRESET, ffmpeg_params=["-crf", str(X264_CRF)],
                          audio_codec="aac", audio_bitrate=AUDIO_BITRATE, threads=os.cpu_count(), logger=None)
    return time.monotonic() - t0


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _stat(xs: list[float]) -> str:
    return f"{min(xs):6.2f} {statistics.median(xs):6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-moviepy", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="runs of the job and of the floor (best and median printed)")
    args = ap.parse_args()
    import django

    django.setup()
    brief = load_brief(BRIEF)
    print(f"x264 preset={X264_PRESET} crf={X264_CRF}; AAC {AUDIO_BITRATE}; {os.cpu_count()} CPU cores; {_load()}")
    with tempfile.TemporaryDirectory(prefix="kolony-bench-") as tmp:
        work = Path(tmp)
        sb_times, sb_jobs = [], []
        for k in range(args.repeat):
            t0 = time.monotonic()
            sb = run_pipeline(brief, out_dir=work / f"storyboard_only{k}", storyboard_only=True)
            sb_jobs.append(time.monotonic() - t0)
            sb_times.append(next(s for s in sb.trace["stages"] if s["name"] == "scenes")["storyboard_seconds"])
        print(f"storyboard: {sum(len(v) for v in sb.storyboard.values())} keyframes; best/median "
              f"{min(sb_times):.2f}/{statistics.median(sb_times):.2f} s "
              f"(storyboard-only job {min(sb_jobs):.2f}/{statistics.median(sb_jobs):.2f} s)")
        enc: dict[str, list[float]] = {r: [] for r in FORMATS}
        stages: dict[str, list[float]] = {}
        jobs = []
        for k in range(args.repeat):
            res = run_pipeline(brief, out_dir=work / f"ad{k}")
            jobs.append(res.generation_time_seconds)
            for st in res.trace["stages"]:
                stages.setdefault(st["name"], []).append(st["seconds"])
            for r, v in next(s for s in res.trace["stages"] if s["name"] == "encode")["formats"].items():
                enc[r].append(v["seconds"])
            print(f"  job {k + 1}/{args.repeat}: {res.generation_time_seconds:.1f} s; {_load()}", flush=True)
        dur = res.plan.total_duration
        print(f"\nfull job (plan, layers, voice, 4 encodes, checks), best/median: {min(jobs):.1f}/{statistics.median(jobs):.1f} s "
              f"for {dur:g} s × 4 formats")
        print("  shared stages, best/median s: " + "; ".join(f"{n} {min(v):.2f}/{statistics.median(v):.2f}"
                                                          for n, v in stages.items() if n != "encode"))
        floors: dict[str, list[float]] = {r: [] for r in FORMATS}
        for _ in range(args.repeat):
            for ratio, spec in FORMATS.items():
                floors[ratio].append(floor_encode(spec, dur, work / f"floor_{spec.stem}.mp4"))
        print(f"\n{'format':>6} {'engine best/median s':>21} {'RTF(best)':>9} {'floor best/median s':>20} {'engine/floor(best)':>19}")
        for ratio in FORMATS:
            e, f = enc[ratio], floors[ratio]
            print(f"{ratio:>6} {_stat(e):>21} {dur / min(e):8.2f}× {_stat(f):>20} {min(e) / min(f):18.2f}×")
        print(_load())
        if not args.skip_moviepy:
            # the soundtrack the engine made, re-created for MoviePy (the staging folder is gone)
            from videogen.engine.render import audio as audio_mod
            from videogen.engine.render.music import make_music
            from videogen.engine.render.tts import get_backend
            from videogen.engine.render.voiceover import build_voice_track

            look = make_look(brief.style, brief.brand.colors)
            vt = build_voice_track(res.plan, get_backend("espeak-ng"), voice=brief.voice.voice, rate_wpm=brief.voice.rate_wpm)
            st = work / "soundtrack.wav"
            audio_mod.mix_soundtrack(vt.samples, make_music(dur, look, brief.seed), dur, st, work)
            m = moviepy_compose(brief, res.plan, st, work, work / "moviepy_9x16.mp4")
            e = statistics.median(enc["9:16"])
            print(f"\nMoviePy 2 composition, 9:16: {m:.2f} s (RTF {dur / m:.2f}×); engine (median) is {m / e:.1f}× faster; {_load()}")


if __name__ == "__main__":
    main()
