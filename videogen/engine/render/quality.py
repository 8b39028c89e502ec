"""Quality checks run on every render.

* Spec conformance (ffprobe + MP4 box scan) against DESIGN §6.
* Frame coherence: SSIM between consecutive frames sampled at 4 fps (Wang et al., "Image
  quality assessment: from error visibility to structural similarity", IEEE TIP 2004; 7×7
  Gaussian window σ=1.5, C1=(0.01·255)², C2=(0.03·255)²).
* Black (``blackdetect``), frozen (``freezedetect``) and flicker (luma see-saw between frames).
* Audio: integrated loudness and true peak (``ebur128``, ITU-R BS.1770), silence
  (``silencedetect``), clipping (sample peak ≥ −0.1 dBFS).
"""

from __future__ import annotations

import re
import struct
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from videogen.engine.render.ffmpeg import ffprobe, run_ffmpeg
from videogen.engine.render.formats import AUDIO_RATE, FPS, TARGET_LUFS, TARGET_TRUE_PEAK, FormatSpec

DURATION_TOLERANCE = 0.1  # s (DESIGN §6)
LOUDNESS_TOLERANCE = 1.0  # LU (DESIGN §6)
SAMPLE_FPS = 4
SAMPLE_WIDTH = 160


def mp4_boxes(path: Path) -> tuple[list[str], bool]:
    """Top-level MP4 box types in file order, and whether any ``elst`` (edit list) box exists
    inside ``moov`` (walks moov/trak/edts)."""
    data = path.read_bytes()
    order: list[str] = []
    has_elst = False

    def walk(buf: bytes, start: int, end: int, depth: int) -> None:
        nonlocal has_elst
        i = start
        while i + 8 <= end:
            size, typ = struct.unpack(">I4s", buf[i: i + 8])
            hdr = 8
            if size == 1:
                size = struct.unpack(">Q", buf[i + 8: i + 16])[0]
                hdr = 16
            elif size == 0:
                size = end - i
            if size < hdr:
                break
            name = typ.decode("latin-1")
            if depth == 0:
                order.append(name)
            if name == "elst":
                has_elst = True
            if name in ("moov", "trak", "edts", "mdia", "minf", "stbl") and depth < 6:
                walk(buf, i + hdr, i + size, depth + 1)
            i += size

    walk(data, 0, len(data), 0)
    return order, has_elst


def check_spec(path: Path, spec: FormatSpec, duration: float) -> tuple[list[str], dict]:
    """Problems (one line each; empty = conforms) and the probe summary for ``path``."""
    probe = ffprobe(path)
    problems: list[str] = []
    v = next((s for s in probe["streams"] if s["codec_type"] == "video"), None)
    a = next((s for s in probe["streams"] if s["codec_type"] == "audio"), None)
    summary: dict = {"duration": float(probe["format"].get("duration", 0))}
    if v is None:
        problems.append("no video stream")
    else:
        summary.update(width=v["width"], height=v["height"], video_codec=v["codec_name"], profile=v.get("profile"),
                       pix_fmt=v.get("pix_fmt"), r_frame_rate=v.get("r_frame_rate"), avg_frame_rate=v.get("avg_frame_rate"),
                       field_order=v.get("field_order", "progressive"))
        if (v["width"], v["height"]) != spec.size:
            problems.append(f"size {v['width']}×{v['height']}, expected {spec.width}×{spec.height}")
        if v["codec_name"] != "h264" or v.get("profile") != "High":
            problems.append(f"video {v['codec_name']} {v.get('profile')}, expected h264 High")
        if v.get("pix_fmt") != "yuv420p":
            problems.append(f"pixel format {v.get('pix_fmt')}, expected yuv420p")
        if v.get("r_frame_rate") != f"{FPS}/1" or v.get("avg_frame_rate") != f"{FPS}/1":
            problems.append(f"frame rate {v.get('r_frame_rate')} / {v.get('avg_frame_rate')}, expected constant {FPS}/1")
        if v.get("field_order", "progressive") not in ("progressive", "unknown"):
            problems.append(f"field order {v.get('field_order')}, expected progressive")
    if a is None:
        problems.append("no audio stream")
    else:
        br = int(a.get("bit_rate") or 0)
        summary.update(audio_codec=a["codec_name"], audio_profile=a.get("profile"), sample_rate=int(a["sample_rate"]),
                       channels=a["channels"], audio_bit_rate=br)
        if a["codec_name"] != "aac" or a.get("profile") != "LC":
            problems.append(f"audio {a['codec_name']} {a.get('profile')}, expected AAC LC")
        if int(a["sample_rate"]) != AUDIO_RATE or a["channels"] != 2:
            problems.append(f"audio {a['sample_rate']} Hz × {a['channels']} ch, expected 48000 Hz stereo")
        if br < 128_000:
            problems.append(f"audio bit rate {br} b/s, expected ≥ 128000")
    if abs(summary["duration"] - duration) > DURATION_TOLERANCE:
        problems.append(f"duration {summary['duration']:.3f} s, expected {duration:.3f} ± {DURATION_TOLERANCE} s")
    order, has_elst = mp4_boxes(path)
    if "moov" in order and "mdat" in order and order.index("moov") > order.index("mdat"):
        problems.append("moov atom after mdat (not faststart)")
    if has_elst:
        problems.append("file has an edit list (elst)")
    summary["faststart"] = "moov" in order and order.index("moov") < order.index("mdat")
    summary["edit_list"] = has_elst
    return problems, summary


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two greyscale frames (uint8 or float arrays of equal shape)."""
    from scipy.ndimage import gaussian_filter  # lazy: ~0.3 CPU-s to import, only the checks need it

    a = a.astype(np.float64)
    b = b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    f = lambda x: gaussian_filter(x, 1.5, truncate=2.0)  # noqa: E731
    mu_a, mu_b = f(a), f(b)
    saa, sbb, sab = f(a * a) - mu_a**2, f(b * b) - mu_b**2, f(a * b) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return float(m.mean())


@dataclass
class QualityReport:
    """Checks for one output. Scores 0..1; loudness in LUFS, peaks in dBTP/dBFS; times in s."""

    ratio: str
    spec_problems: list[str]
    probe: dict
    frame_coherence_score: float
    visual_quality_score: float
    black_segments: list[tuple[float, float]] = field(default_factory=list)
    frozen_segments: list[tuple[float, float]] = field(default_factory=list)
    flicker_events: int = 0
    silence_segments: list[tuple[float, float]] = field(default_factory=list)
    clipping: bool = False
    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class VideoTap:
    """The analysis branch of an encode run (:func:`videogen.engine.render.compositor.render_format`):
    ``samples``: raw grey frames, ``SAMPLE_WIDTH`` px wide, ``SAMPLE_FPS`` per second;
    ``lumas``: raw grey 16×16 thumbnails of every frame; ``log``: FFmpeg's stderr holding the
    ``blackdetect``/``freezedetect`` lines (filled in by the encode)."""

    samples: Path
    lumas: Path
    log: str = ""


def _sample_height(spec: FormatSpec) -> int:
    return int(round(SAMPLE_WIDTH * spec.height / spec.width / 2) * 2)


def tap_filters(src: str, samples: str, lumas: str, spec: FormatSpec) -> str:
    """Filtergraph text that analyses the stream labelled ``src`` (e.g. ``0:v``): black and
    frozen picture detection (logged), and two outputs, ``samples`` (grey, ``SAMPLE_WIDTH`` px,
    ``SAMPLE_FPS``) for SSIM coherence and ``lumas`` (grey 16×16, every frame) for flicker."""
    a, b = f"{samples}_in", f"{lumas}_in"
    return (
        f"[{src}]blackdetect=d=0.5:pix_th=0.08,freezedetect=n=0.0008:d=2.5,split=2[{a}][{b}];\n"
        f"[{a}]fps={SAMPLE_FPS},scale={SAMPLE_WIDTH}:{_sample_height(spec)}:flags=area,format=gray[{samples}];\n"
        f"[{b}]scale=16:16:flags=area,format=gray[{lumas}]"
    )


def _pairs(starts: list[str], ends: list[str]) -> list[tuple[float, float]]:
    return [(float(s), float(e)) for s, e in zip(starts, ends, strict=False)]  # a trailing start may have no end


def analyze(
    path: Path, spec: FormatSpec, duration: float, *, expect_voice: bool = True, tap: VideoTap | None = None,
) -> QualityReport:
    """Run every check on ``path`` and score it.

    Without ``tap`` the output is decoded once for every check. With ``tap`` (the analysis the
    encode run made of the very frames it encoded) the picture checks read the tap, and only the
    output's audio is decoded (``-vn``) for loudness, silence and clipping; the spec checks always
    probe the output file.

    ``visual_quality_score`` starts at 1 and loses 0.25 per spec problem, 0.2 per black or
    frozen segment, 0.05 per flicker event, 0.15 for clipping, 0.1 for loudness off target,
    0.1 for a low-contrast picture (sampled luma σ < 12); floored at 0.
    """
    problems, probe = check_spec(path, spec, duration)
    sample_h = _sample_height(spec)
    audio_graph = ("ebur128=peak=true:framelog=quiet,silencedetect=n=-45dB:d=1.5,"
                   "astats=measure_perchannel=none:measure_overall=Peak_level")
    if tap is not None:
        err = tap.log + run_ffmpeg(["-v", "info", "-vn", "-i", str(path), "-map", "0:a", "-af", audio_graph, "-f", "null", "-"])
        s = np.fromfile(tap.samples, np.uint8).reshape(-1, sample_h, SAMPLE_WIDTH)
        lum = np.fromfile(tap.lumas, np.uint8).reshape(-1, 256).mean(axis=1)
    else:
        with tempfile.TemporaryDirectory(prefix="kolony-qc-") as tmp:
            s_path, l_path = Path(tmp) / "s.gray", Path(tmp) / "l.gray"
            graph = tap_filters("0:v", "s", "l", spec) + f";[0:a]{audio_graph}[au]"
            err = run_ffmpeg(["-v", "info", "-i", str(path), "-filter_complex", graph,
                              "-map", "[s]", "-f", "rawvideo", str(s_path), "-map", "[l]", "-f", "rawvideo", str(l_path),
                              "-map", "[au]", "-f", "null", "-"])
            s = np.fromfile(s_path, np.uint8).reshape(-1, sample_h, SAMPLE_WIDTH)
            lum = np.fromfile(l_path, np.uint8).reshape(-1, 256).mean(axis=1)
    black = _pairs(re.findall(r"black_start:([\d.]+)", err), re.findall(r"black_end:([\d.]+)", err))
    fstarts = re.findall(r"freeze_start: ([\d.]+)", err)
    fends = re.findall(r"freeze_end: ([\d.]+)", err) + [str(duration)] * len(fstarts)
    frozen = _pairs(fstarts, fends)
    sstarts = re.findall(r"silence_start: ([\d.]+)", err)
    silences = _pairs(sstarts, re.findall(r"silence_end: ([\d.]+)", err) + [str(duration)] * len(sstarts))
    m_i = re.findall(r"I:\s+(-?[\d.]+) LUFS", err)
    m_tp = re.findall(r"Peak:\s+(-?[\d.]+|-inf) dBFS", err)
    m_peak = re.findall(r"Peak level dB:\s*(-?[\d.]+|-inf)", err)
    lufs = float(m_i[-1]) if m_i else None
    tp = float(m_tp[-1]) if m_tp and m_tp[-1] != "-inf" else None
    peak = float(m_peak[-1]) if m_peak and m_peak[-1] != "-inf" else -120.0
    scores = [ssim(s[i], s[i + 1]) for i in range(len(s) - 1)]
    coherence = float(np.clip(np.mean(scores), 0, 1)) if scores else 0.0
    d = np.diff(lum)
    flicker = int(np.sum((np.abs(d[:-1]) > 14) & (np.abs(d[1:]) > 14) & (np.sign(d[:-1]) != np.sign(d[1:]))))
    clipping = peak >= -0.1
    extra: list[str] = []
    if black:
        extra.append(f"black picture at {', '.join(f'{a:.1f}–{b:.1f} s' for a, b in black)}")
    if frozen:
        extra.append(f"frozen picture at {', '.join(f'{a:.1f}–{b:.1f} s' for a, b in frozen)}")
    if flicker:
        extra.append(f"{flicker} flicker events")
    if clipping:
        extra.append(f"audio clips (sample peak {peak:.2f} dBFS)")
    loud_off = lufs is None or abs(lufs - TARGET_LUFS) > LOUDNESS_TOLERANCE or (tp is not None and tp > TARGET_TRUE_PEAK)
    if lufs is not None and abs(lufs - TARGET_LUFS) > LOUDNESS_TOLERANCE:
        extra.append(f"integrated loudness {lufs:.1f} LUFS, expected {TARGET_LUFS:g} ± {LOUDNESS_TOLERANCE:g}")
    if tp is not None and tp > TARGET_TRUE_PEAK:
        extra.append(f"true peak {tp:.1f} dBTP, expected ≤ {TARGET_TRUE_PEAK:g}")
    long_silence = [x for x in silences if x[1] - x[0] > 3.0] if expect_voice else []
    if long_silence:
        extra.append(f"audio silent at {', '.join(f'{a:.1f}–{b:.1f} s' for a, b in long_silence)}")
    score = 1.0 - 0.25 * len(problems) - 0.2 * (len(black) + len(frozen)) - 0.05 * flicker
    score -= 0.15 * clipping + 0.1 * loud_off
    if len(s) and float(s.astype(np.float32).std()) < 12:
        score -= 0.1
        extra.append("low-contrast picture")
    return QualityReport(
        ratio=spec.ratio, spec_problems=problems, probe=probe, frame_coherence_score=round(coherence, 4),
        visual_quality_score=round(max(0.0, score), 4), black_segments=black, frozen_segments=frozen,
        flicker_events=flicker, silence_segments=silences, clipping=clipping, integrated_lufs=lufs,
        true_peak_dbtp=tp, problems=problems + extra,
    )


def summarize(reports: list[QualityReport]) -> dict:
    """``quality_metrics`` for the job: the worst format's scores (a job is as good as its
    weakest output); ``prompt_adherence_score`` is None without a CLIP model."""
    if not reports:
        return {"frame_coherence_score": None, "visual_quality_score": None, "prompt_adherence_score": None}
    return {
        "frame_coherence_score": min(r.frame_coherence_score for r in reports),
        "visual_quality_score": min(r.visual_quality_score for r in reports),
        "prompt_adherence_score": None,
    }


# ---------------------------------------------------------------------------------------------
# The checks in a marketer's words


def _scene_at(timeline: list[tuple[int, float, float]], t: float) -> int | None:
    for number, start, end in timeline:
        if start <= t < end:
            return number
    return timeline[-1][0] if timeline and t >= timeline[-1][2] else None


def _where(timeline: list[tuple[int, float, float]], segments: list) -> str:
    """ "in scene 3 (4.1–4.8 s)" / "in scenes 2 and 3 (…)" for (start, end) segments in seconds."""
    spans = []
    numbers: list[int] = []
    for seg in segments:
        a, b = float(seg[0]), float(seg[1])
        spans.append(f"{a:.1f}–{b:.1f} s")
        for n in (_scene_at(timeline, a), _scene_at(timeline, max(a, b - 0.01))):
            if n is not None and n not in numbers:
                numbers.append(n)
    if not numbers:
        return f"at {', '.join(spans)}"
    numbers.sort()
    label = f"scene {numbers[0]}" if len(numbers) == 1 else "scenes " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    return f"in {label} ({', '.join(spans)})"


_NOTE_SCENE_RE = re.compile(r"^(?:(?P<ratio>\d+:\d+): )?scene (?P<id>[^:]+): (?P<rest>.*)$")
_SPED_UP_RE = re.compile(r"voiceover sped up to (?P<wpm>\d+) wpm")
_DROPPED_RE = re.compile(r"dropped phrase (?P<phrase>.+?) \(does not fit the scene\)")


def findings(
    quality: dict, *, scenes: list[dict] | None = None, notes: list[str] | None = None,
    photos: list[tuple[int, int, int]] | None = None,
) -> list[dict]:
    """What a marketer can act on, from a render's checks: ``[{kind, text, ratios}]``, one sentence
    each, worst first, the same finding in several formats listed once (``ratios`` names them).

    ``quality``: ``{ratio: QualityReport.to_dict()}`` (the render trace's ``quality``); ``scenes``:
    the rendered plan's scenes (``{id, start, duration}``, seconds) to name scenes rather than
    times; ``notes``: the trace's stage notes (voiceover speed-ups, dropped phrases, logo
    handling); ``photos``: ``(scene number, width px, height px)`` of each scene's photo, for
    photos too small for a format. Kinds: ``format``, ``black``, ``frozen``, ``flicker``,
    ``low_contrast``, ``clipping``, ``quiet``, ``loud``, ``peaks``, ``silence``,
    ``voice_sped_up``, ``voice_dropped``, ``music_kept``, ``logo_keyed``, ``logo_badge``,
    ``photo_missing``, ``photo_low_res``. Empty when there is nothing to fix."""
    from videogen.engine.render.formats import FORMATS

    timeline: list[tuple[int, float, float]] = []
    numbers: dict[str, int] = {}
    t = 0.0
    for i, s in enumerate(scenes or [], start=1):
        start = float(s.get("start", t))
        end = start + float(s.get("duration") or 0)
        timeline.append((i, start, end))
        numbers[str(s.get("id"))] = i
        t = end
    out: dict[tuple[str, str], dict] = {}

    def add(kind: str, text: str, ratio: str | None = None, rank: int = 5) -> None:
        item = out.setdefault((kind, text), {"kind": kind, "text": text, "ratios": [], "rank": rank})
        if ratio and ratio not in item["ratios"]:
            item["ratios"].append(ratio)

    for ratio, rep in (quality or {}).items():
        if not isinstance(rep, dict):
            continue
        for p in rep.get("spec_problems") or []:
            add("format", f"The {ratio} file does not meet the ad platforms' format rules ({p}); render it again, "
                          "and tell your admin if it happens again.", ratio, 0)
        if rep.get("black_segments"):
            add("black", f"The picture goes black {_where(timeline, rep['black_segments'])}; check that scene's photo or clip.",
                ratio, 1)
        if rep.get("frozen_segments"):
            add("frozen", f"The picture stands still {_where(timeline, rep['frozen_segments'])}; use a livelier photo or clip, "
                          "or shorten the scene.", ratio, 1)
        if rep.get("flicker_events"):
            add("flicker", "The picture flickers; avoid photos with fine stripes and clips with flashing light.", ratio, 2)
        problems = rep.get("problems") or []
        if "low-contrast picture" in problems:
            add("low_contrast", "The picture is low in contrast and may look washed out; use a brighter photo or "
                                "stronger brand colours.", ratio, 3)
        if rep.get("clipping"):
            add("clipping", "The sound distorts at its loudest moments; render again, and tell your admin if it persists.",
                ratio, 1)
        lufs, tp = rep.get("integrated_lufs"), rep.get("true_peak_dbtp")
        if lufs is not None and lufs < TARGET_LUFS - LOUDNESS_TOLERANCE:
            add("quiet", "The voiceover is quiet: the soundtrack is softer than the ad platforms expect, so viewers may "
                         "not hear it; render again.", ratio, 2)
        elif lufs is not None and lufs > TARGET_LUFS + LOUDNESS_TOLERANCE:
            add("loud", "The soundtrack is louder than the ad platforms expect; they will turn it down.", ratio, 3)
        if tp is not None and tp > TARGET_TRUE_PEAK:
            add("peaks", "The sound's peaks are too high; some phones may distort them.", ratio, 3)
        long_silence = [seg for seg in rep.get("silence_segments") or [] if float(seg[1]) - float(seg[0]) > 3.0]
        if long_silence and any(str(p).startswith("audio silent") for p in problems):
            add("silence", f"Nobody speaks {_where(timeline, long_silence)}; add a voiceover line there or shorten the scene.",
                ratio, 2)
    for note in notes or []:
        m = _NOTE_SCENE_RE.match(str(note))
        if m:
            n = numbers.get(m["id"].strip())
            who = f"scene {n}" if n else "one scene"
            rest = m["rest"]
            if sp := _SPED_UP_RE.search(rest):
                add("voice_sped_up", f"The voiceover in {who} was sped up to {sp['wpm']} words a minute to fit; "
                                     "shorten the line or lengthen the scene.", rank=4)
            elif dp := _DROPPED_RE.search(rest):
                add("voice_dropped", f"Part of the voiceover in {who} was left out ({dp['phrase']}) because it did not fit; "
                                     "shorten the line or lengthen the scene.", rank=2)
            elif "image_index" in rest and "out of range" in rest:
                add("photo_missing", f"{who.capitalize()} asked for a photo the brief does not have, so it shows the first "
                                     "photo; pick its photo in the storyboard.", rank=3)
        elif str(note).startswith("music: the plan has no voiceover"):
            add("music_kept", "You chose no music, but no scene has a voiceover, so the style's music plays to keep the ad "
                              "from being silent; add voiceover lines to drop the music.", rank=3)
        elif "logo had no transparency" in str(note):
            add("logo_keyed", "Your logo has no transparent background; its flat background was removed. Upload a PNG with "
                              "transparency to be sure it looks right.", rank=4)
        elif "logo has no transparency" in str(note):
            add("logo_badge", "Your logo has no transparent background, so it shows as a box; upload a PNG with transparency.",
                rank=3)
    for number, w, h in photos or []:
        for ratio in quality or {}:
            spec = FORMATS.get(ratio)
            if spec is None or not w or not h:
                continue
            # the photo must be blown up more than 1.5× just to fit inside the frame: it will look soft
            if min(spec.width / w, spec.height / h) > 1.5:
                add("photo_low_res", f"The photo in scene {number} is low resolution ({w}×{h}) and will look soft; "
                                     f"use one of at least {spec.width}×{spec.height} px.", ratio, 2)
    items = sorted(out.values(), key=lambda x: x["rank"])
    for item in items:
        del item["rank"]
        if len(item["ratios"]) == len(quality or {}) and len(item["ratios"]) > 1:
            item["ratios"] = []  # every format: no need to say which
    return items
