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
from scipy.ndimage import gaussian_filter

from videogen.render.ffmpeg import ffprobe, run_ffmpeg
from videogen.render.formats import AUDIO_RATE, FPS, TARGET_LUFS, TARGET_TRUE_PEAK, FormatSpec

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
    """The analysis branch of an encode run (:func:`videogen.render.compositor.render_format`):
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
