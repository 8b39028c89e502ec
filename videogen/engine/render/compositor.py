"""The compositor: one FFmpeg run per aspect ratio turns pre-rendered PNG layers, the ASS
captions and the soundtrack into the finished MP4.

Per scene: the plate gets Ken Burns motion — a pan is the plate scaled once and a ``crop``
window moving across it (cheap: no per-frame resampling), the hook's push-in a ``zoompan``
centred on the subject; the scene's foreground (the split layout's panel, the card layout's
photo card), when there is one, is laid over it and, for a card, floats up against the moving
backdrop (parallax); the text layer slides/fades/pops in (``overlay`` x/y expressions + alpha
``fade``); scenes are joined with ``xfade``; then captions (``ass``) and the logo are laid on top
and the result is encoded once (libx264 + AAC). Python never touches a frame.

A scene with an uploaded clip (:class:`ClipInput`) takes its picture from the clip instead of a
plate: the clip is decoded from its start (input seeking), converted to 30 fps, scaled to cover
the frame and centre-cropped, cleaned up (``hqdn3d``/``eq`` from
:data:`videogen.engine.render.clips.CLEANUP_FILTERS`), padded by repeating its last frame (``tpad``) when it
is shorter than the scene, and the scrim PNG is laid over it before the same text overlay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render.ffmpeg import run_ffmpeg
from videogen.engine.render.formats import AUDIO_BITRATE, AUDIO_RATE, FPS, GOP_FRAMES, X264_CRF, X264_PRESET, FormatSpec

if TYPE_CHECKING:
    from videogen.engine.render.quality import VideoTap

TRANSITION_FRAMES = 14
TRANSITION_SECONDS = TRANSITION_FRAMES / FPS  # ≈0.47 s
KB_ZOOM = 0.08  # Ken Burns: 8 % zoom or pan travel over a scene
SUBTEXT_DELAY = 0.22  # s: the subtext follows its headline in (kinetic type)


@dataclass(frozen=True)
class ClipInput:
    """An uploaded clip used as a scene's picture: the file, where its footage starts
    (``start`` s), its clean-up names (subset of denoise, color, fps) and its probed length
    (``duration`` s, to know how long the last frame must be held)."""

    path: Path
    start: float
    cleanup: tuple[str, ...]
    duration: float


@dataclass
class SceneLayers:
    """Files and placements for one scene in one format (pixels, top-left origin).

    With ``clip`` set, the scene's picture is the clip and ``plate`` is an RGBA overlay (the
    scrim) placed at (0, ``plate_y``) on top of it; otherwise ``plate`` is the full-frame
    background that gets the Ken Burns motion."""

    plate: Path
    text: Path
    text_x: int
    text_y: int
    clip: ClipInput | None = None
    plate_y: int = 0
    fg: Path | None = None  # RGBA foreground over the moving plate (split panel, photo card)
    fg_x: int = 0
    fg_y: int = 0
    fg_drift: int = 0  # px the foreground floats up over the scene (parallax)
    focus: tuple[float, float] = (0.5, 0.5)  # subject centre, fractions of the frame: zooms centre on it
    travel: float = KB_ZOOM  # Ken Burns travel, fraction of the frame (the style's ``kb_travel``)
    text_split: int = 0  # row of the text PNG where the subtext starts (even; 0 = one block)


def _filter_path(p: Path) -> str:
    """Escape a path for use inside a filtergraph option value."""
    return str(p).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'").replace(",", "\\,")


def _motion(motion: str, frames: int, w: int, h: int, focus: tuple[float, float] = (0.5, 0.5),
            travel: float = KB_ZOOM) -> str:
    """Ken Burns filter chain for a single-frame plate input producing ``frames`` frames.

    Zooms use ``zoompan`` (a scale per frame, ~5× the cost of a pan: 0.33 vs 0.07 CPU-s for
    90 frames at 1080×1920, measured here), centred on ``focus`` (the subject, fractions of the
    frame). Pans scale the plate once by ``1 + travel`` and move a ``crop`` window across it,
    with an ease-in-out (smoothstep) so the move starts and lands softly. ``static`` still
    drifts a third of the travel, so no photo scene stands still.
    """
    n = max(1, frames - 1)
    fx, fy = (min(0.85, max(0.15, v)) for v in focus)
    if motion in ("zoom_in", "zoom_out"):
        z = f"1+{travel}*on/{n}" if motion == "zoom_in" else f"{1 + travel}-{travel}*on/{n}"
        x = f"max(0,min(iw-iw/zoom,{fx:.4f}*iw-iw/zoom/2))"
        y = f"max(0,min(ih-ih/zoom,{fy:.4f}*ih-ih/zoom/2))"
        return f"zoompan=z='{z}':x='{x}':y='{y}':d={frames}:s={w}x{h}:fps={FPS}"
    tr = travel if motion != "static" else travel / 3
    sw, sh = int(round(w * (1 + tr) / 2)) * 2, int(round(h * (1 + tr) / 2)) * 2
    p = f"(3*pow(n/{n},2)-2*pow(n/{n},3))"  # smoothstep 0 → 1
    x, y = "(iw-ow)/2", "(ih-oh)/2"
    if motion == "pan_left":
        x = f"(iw-ow)*(1-{p})"
    elif motion in ("pan_right", "static"):
        x = f"(iw-ow)*{p}"
    elif motion == "pan_up":
        y = f"(ih-oh)*(1-{p})"
    return (f"scale={sw}:{sh}:flags=lanczos,loop=loop={frames - 1}:size=1:start=0,setpts=N/{FPS}/TB,"
            f"crop=w={w}:h={h}:x='{x}':y='{y}'")


def _text_motion(anim: str, x: int, y: int, t0: float) -> tuple[str, str, float]:
    """overlay x/y expressions and alpha-fade length for a text animation starting at ``t0`` s."""
    dt = f"max(0,t-{t0:.3f})"
    if anim == "slide_up":
        return str(x), f"{y}+70*pow(max(0,1-{dt}/0.55),3)", 0.4
    if anim == "pop":
        return str(x), f"{y}+55*exp(-6*{dt})*cos(13*{dt})", 0.18
    return str(x), str(y), 0.6


def _clip_chain(clip: ClipInput, frames: int, w: int, h: int) -> str:
    """Filters turning a clip input (already seeked to ``clip.start``) into exactly ``frames``
    frames at 30 fps, ``w``×``h``, yuv420p: fps conversion, cover-scale + centre crop, clean-up,
    then the last frame repeated if the clip runs out (never a black gap)."""
    from videogen.engine.render.clips import cleanup_chain, cleanup_filters

    chain = ["setpts=PTS-STARTPTS", cleanup_filters()["fps"],
             f"scale={w}:{h}:force_original_aspect_ratio=increase:flags=bicubic", f"crop={w}:{h}", "setsar=1"]
    chain += cleanup_chain(clip.cleanup)
    chain += ["format=yuv420p", f"tpad=stop_mode=clone:stop_duration={frames / FPS + 1:.3f}",
              f"trim=end_frame={frames}", f"setpts=N/{FPS}/TB"]
    return ",".join(chain)


def clip_input_args(clip: ClipInput, seconds: float) -> list[str]:
    """FFmpeg input options reading ``seconds`` of ``clip`` from its start (fast input seek)."""
    return ["-ss", f"{clip.start:.3f}", "-t", f"{seconds + 0.5:.3f}", "-an", "-sn", "-dn", "-i", str(clip.path)]


def build_filtergraph(
    plan: ScenePlan, spec: FormatSpec, layers: list[SceneLayers], *, logo_png: Path | None, logo_xy: tuple[int, int],
    ass_path: Path | None, fonts_dir: Path | None,
) -> tuple[list[str], str, int]:
    """Inputs (ffmpeg args), the filtergraph, and the audio input index.

    Input order: per scene the plate PNG (or, for a clip scene, the clip and then the scrim
    PNG), the foreground PNG when the scene has one, and the text PNG, then the logo when given; the soundtrack is appended by the caller
    at the returned index. Scene clips overlap by ``TRANSITION_SECONDS`` for xfade, so the
    result lasts exactly ``plan.total_duration`` seconds.
    """
    n = len(plan.scenes)
    total_frames = int(round(plan.total_duration * FPS))
    td = TRANSITION_SECONDS
    inputs: list[str] = []
    parts: list[str] = []
    starts = plan.starts()
    k = 0  # next input index
    for i, (scene, lay) in enumerate(zip(plan.scenes, layers, strict=True)):
        clip = scene.duration + (td if i < n - 1 else 0)
        frames = int(round(clip * FPS))
        if lay.clip is not None:
            ci, si, ti = k, k + 1, k + 2
            k += 3
            inputs += clip_input_args(lay.clip, clip)
            inputs += ["-framerate", str(FPS), "-i", str(lay.plate), "-framerate", str(FPS), "-i", str(lay.text)]
            parts.append(f"[{ci}:v]{_clip_chain(lay.clip, frames, spec.width, spec.height)}[cl{i}]")
            parts.append(f"[cl{i}][{si}:v]overlay=x=0:y={lay.plate_y}:format=yuv420[bg{i}]")
        else:
            pi = k
            inputs += ["-framerate", str(FPS), "-i", str(lay.plate)]
            k += 1
            motion = _motion(scene.motion, frames, spec.width, spec.height, lay.focus, lay.travel)
            if lay.fg is not None:
                gi, ti = k, k + 1
                k += 2
                inputs += ["-framerate", str(FPS), "-i", str(lay.fg), "-framerate", str(FPS), "-i", str(lay.text)]
                parts.append(f"[{pi}:v]format=yuv420p,{motion},setsar=1[pl{i}]")
                parts.append(f"[{gi}:v]format=yuva420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/{FPS}/TB[fg{i}]")
                fy = f"{lay.fg_y}-{lay.fg_drift}*(t/{clip:.3f})" if lay.fg_drift else str(lay.fg_y)
                ev = ":eval=frame" if lay.fg_drift else ""
                parts.append(f"[pl{i}][fg{i}]overlay=x={lay.fg_x}:y='{fy}'{ev}:format=yuv420[bg{i}]")
            else:
                ti = k
                k += 1
                inputs += ["-framerate", str(FPS), "-i", str(lay.text)]
                parts.append(f"[{pi}:v]format=yuv420p,{motion},setsar=1[bg{i}]")
        t0 = 0.15 if i == 0 else td * 0.7
        if lay.text_split > 0:
            # kinetic headline: the headline moves in first, the line under it (subtext, URL)
            # follows SUBTEXT_DELAY s later — two crops of the one text PNG, no extra input
            sy = lay.text_split
            t1 = t0 + SUBTEXT_DELAY
            xe, ye, fade = _text_motion(scene.text_animation, lay.text_x, lay.text_y, t0)
            xe2, ye2, fade2 = _text_motion(scene.text_animation, lay.text_x, lay.text_y + sy, t1)
            parts.append(
                f"[{ti}:v]format=yuva420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/{FPS}/TB,split=2[ta{i}][tb{i}]")
            parts.append(f"[ta{i}]crop=w=iw:h={sy}:x=0:y=0,fade=t=in:st={t0:.3f}:d={fade}:alpha=1[th{i}]")
            parts.append(f"[tb{i}]crop=w=iw:h=ih-{sy}:x=0:y={sy},fade=t=in:st={t1:.3f}:d={fade2}:alpha=1[ts{i}]")
            parts.append(f"[bg{i}][th{i}]overlay=x='{xe}':y='{ye}':eval=frame:format=yuv420[bh{i}]")
            parts.append(f"[bh{i}][ts{i}]overlay=x='{xe2}':y='{ye2}':eval=frame:format=yuv420,trim=end_frame={frames},"
                         f"setpts=PTS-STARTPTS[s{i}]")
        else:
            xe, ye, fade = _text_motion(scene.text_animation, lay.text_x, lay.text_y, t0)
            parts.append(
                f"[{ti}:v]format=yuva420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/{FPS}/TB,"
                f"fade=t=in:st={t0:.3f}:d={fade}:alpha=1[tx{i}]"
            )
            parts.append(f"[bg{i}][tx{i}]overlay=x='{xe}':y='{ye}':eval=frame:format=yuv420,trim=end_frame={frames},"
                         f"setpts=PTS-STARTPTS[s{i}]")
    # Transitions: xfade only the overlapping tail/head frames, concat everything else (xfade
    # on whole streams costs a full-frame copy per frame).
    tf = TRANSITION_FRAMES
    dframes = [int(round(sc.duration * FPS)) for sc in plan.scenes]
    segs: list[str] = []
    for i in range(n):
        cuts = []  # (label, start_frame, end_frame)
        body_start = tf if i > 0 else 0
        if i > 0:
            cuts.append((f"h{i}", 0, tf))
        cuts.append((f"b{i}", body_start, dframes[i]))
        if i < n - 1:
            cuts.append((f"t{i}", dframes[i], dframes[i] + tf))
        if len(cuts) == 1:
            parts.append(f"[s{i}]null[b{i}]")
        else:
            parts.append(f"[s{i}]split={len(cuts)}" + "".join(f"[{c[0]}r]" for c in cuts))
            for label, a, b in cuts:
                parts.append(f"[{label}r]trim=start_frame={a}:end_frame={b},setpts=PTS-STARTPTS[{label}]")
    for i in range(n):
        segs.append(f"[b{i}]")
        if i < n - 1:
            parts.append(f"[t{i}][h{i + 1}]xfade=transition={plan.scenes[i].transition}:duration={td:.6f}:offset=0[x{i}]")
            segs.append(f"[x{i}]")
    parts.append("".join(segs) + f"concat=n={len(segs)}:v=1:a=0[joined]")
    last = "joined"
    idx = k
    if ass_path is not None:
        fd = f":fontsdir='{_filter_path(fonts_dir)}'" if fonts_dir else ""
        parts.append(f"[{last}]ass=filename='{_filter_path(ass_path)}'{fd}[cap]")
        last = "cap"
    if logo_png is not None:
        inputs += ["-i", str(logo_png)]
        end_start = starts[-1] + td * 0.5 if plan.scenes[-1].role == "end_card" else plan.total_duration + 1
        parts.append(
            f"[{last}][{idx}:v]overlay=x={logo_xy[0]}:y={logo_xy[1]}:enable='lt(t,{end_start:.3f})':format=yuv420[lg]"
        )
        last = "lg"
        idx += 1
    parts.append(f"[{last}]format=yuv420p,trim=end_frame={total_frames},setpts=PTS-STARTPTS[vout]")
    return inputs, ";\n".join(parts), idx


def encode_args(total_seconds: float, *, audio_copy: bool = False) -> list[str]:
    """Output options for DESIGN §6: H.264 High yuv420p 30 fps CFR, AAC-LC 48 kHz stereo,
    faststart, no edit lists, exact frame count. ``audio_copy``: the audio input is already
    AAC-LC 48 kHz stereo (:func:`videogen.engine.render.audio.encode_aac`) and is copied, not re-encoded."""
    frames = int(round(total_seconds * FPS))
    audio = (["-c:a", "copy"] if audio_copy else
             ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", AUDIO_BITRATE, "-ar", str(AUDIO_RATE), "-ac", "2"])
    return [
        "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF), "-profile:v", "high",
        "-pix_fmt", "yuv420p", "-r", str(FPS), "-fps_mode", "cfr", "-g", str(GOP_FRAMES),
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        *audio,
        "-frames:v", str(frames), "-t", f"{total_seconds:.3f}",
        "-movflags", "+faststart", "-use_editlist", "0", "-map_metadata", "-1",
        "-metadata", "encoder=Kolony", "-f", "mp4",
    ]


def render_format(
    plan: ScenePlan, spec: FormatSpec, layers: list[SceneLayers], *, logo_png: Path | None, logo_xy: tuple[int, int],
    ass_path: Path | None, fonts_dir: Path | None, audio_wav: Path, out_path: Path,
    on_progress: Callable[[float], None] | None = None, should_cancel: Callable[[], bool] | None = None,
    audio_copy: bool = False, tap: "VideoTap | None" = None,
) -> list[str]:
    """Render one format to ``out_path`` (one FFmpeg run, one encode). Returns the command line.

    ``audio_wav``: the soundtrack; a WAV is encoded to AAC here, or with ``audio_copy`` an M4A
    from :func:`videogen.engine.render.audio.encode_aac` is copied. ``tap``: when given, the frames
    sent to the encoder are also analysed in the same run (black/freeze detection, 4 fps
    thumbnails, per-frame luma; see :func:`videogen.engine.render.quality.tap_filters`) and
    ``tap.log`` receives FFmpeg's log, so the checks need not decode the output again.

    Raises :class:`videogen.engine.render.ffmpeg.FFmpegError` or ``RenderCancelled``.
    """
    from videogen.engine.render.quality import tap_filters

    inputs, graph, audio_idx = build_filtergraph(
        plan, spec, layers, logo_png=logo_png, logo_xy=logo_xy, ass_path=ass_path, fonts_dir=fonts_dir,
    )
    inputs += ["-i", str(audio_wav)]
    extra_outputs: list[str] = []
    if tap is not None:
        graph = graph.replace("[vout]", "[vfinal]") + ";\n[vfinal]split=2[vout][qa];\n" + tap_filters("qa", "qas", "qal", spec)
        extra_outputs = ["-map", "[qas]", "-f", "rawvideo", str(tap.samples), "-map", "[qal]", "-f", "rawvideo", str(tap.lumas)]
    script = out_path.with_suffix(".filtergraph.txt")
    script.write_text(graph, encoding="utf-8")
    args = (inputs + ["-/filter_complex", str(script), "-map", "[vout]", "-map", f"{audio_idx}:a"]
            + encode_args(plan.total_duration, audio_copy=audio_copy) + [str(out_path)] + extra_outputs)
    log = run_ffmpeg(args, duration=plan.total_duration, on_progress=on_progress, should_cancel=should_cancel)
    if tap is not None:
        tap.log = log
    return args
