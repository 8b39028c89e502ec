"""The state one render job carries from stage to stage (:class:`RenderJob`) and what it produces
(:class:`PipelineResult`). Every stage in :mod:`videogen.engine.stages` takes the job, reads what
earlier stages left on it and adds its own part; nothing else is passed between stages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from videogen.engine.brief import Brief
from videogen.engine.planner.schema import ScenePlan
from videogen.engine.render.clips import ClipInfo
from videogen.engine.render.compositor import SceneLayers
from videogen.engine.render.ffmpeg import RenderCancelled
from videogen.engine.render.formats import FormatSpec
from videogen.engine.render.quality import QualityReport, VideoTap
from videogen.engine.render.styles import Look
from videogen.engine.render.voiceover import VoiceTrack
from videogen.engine.trace import Trace

ENGINE_VERSION = "kolony-cpu-1.0"


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


class Progress:
    """Weighted, monotonic progress: ``update(phase, fraction)`` → ``callback(phase, percent)``
    with percent 0–100 (phase weights are percentages of the bar, DESIGN §5); a value lower than
    one already reported is dropped, so the bar never goes back."""

    def __init__(self, callback: Callable[[str, float], None] | None, weights: dict[str, int]):
        self.cb = callback
        self.weights = weights
        self.offsets: dict[str, float] = {}
        acc = 0.0
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


def sha(*parts: object) -> str:
    """SHA-256 hex of ``parts`` (bytes as is, anything else as ``str``), NUL-separated."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\x00")
    return h.hexdigest()


def file_sha(path: Path | None) -> str:
    """SHA-256 of a file's bytes (streamed, so large clips are fine); "none" for None."""
    if not path:
        return "none"
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass
class RenderJob:
    """One render: the inputs (first block, set by :func:`videogen.engine.pipeline.run_pipeline`)
    and what each stage adds (second block, in stage order).

    ``work``: the job's private temp folder (removed at the end); ``stage_dir``: ``work/out``,
    where outputs are staged before :func:`~videogen.engine.stages.publish.publish` moves them
    into ``out_dir``. ``llm``: the LLM endpoint (keys url, model, api_key, timeout) the caller
    passes in; None means the planner reads ``KOLONY_LLM_*`` from the environment.
    """

    brief: Brief
    specs: list[FormatSpec]
    trace: Trace
    progress: Progress
    look: Look
    work: Path
    stage_dir: Path
    out_dir: Path
    storyboard_only: bool = False
    should_cancel: Callable[[], bool] | None = None
    cache_dir: Path | None = None
    planner_backend: str | None = None
    llm: dict | None = None
    # ---- plan
    plan: ScenePlan | None = None
    # ---- scenes: sources, storyboard, layers
    photos_raw: list[Image.Image] = field(default_factory=list)
    photos: list[Image.Image] = field(default_factory=list)
    image_hashes: list[str] = field(default_factory=list)
    logo: Image.Image | None = None
    clip_infos: dict[int, tuple[ClipInfo, str]] = field(default_factory=dict)  # clip index → (probe, sha256)
    clip_frames: dict[int, Image.Image] = field(default_factory=dict)
    storyboard: dict[str, list[Path]] = field(default_factory=dict)
    layers: dict[str, list[SceneLayers]] = field(default_factory=dict)
    logos: dict[str, tuple[Path, tuple[int, int]] | None] = field(default_factory=dict)
    text_boxes: dict[str, list[dict]] = field(default_factory=dict)  # ratio → every drawn box (policy checks)
    # ---- voice + music
    voice: VoiceTrack | None = None
    soundtrack_aac: Path | None = None
    # ---- compose + encode + checks
    fonts_dir: Path | None = None
    ass_paths: dict[str, Path | None] = field(default_factory=dict)
    taps: dict[str, VideoTap] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    reports: list[QualityReport] = field(default_factory=list)

    def check_cancel(self) -> None:
        """Raise :class:`RenderCancelled` when the caller's ``should_cancel()`` says so."""
        if self.should_cancel is not None and self.should_cancel():
            raise RenderCancelled("render cancelled")

    @property
    def the_plan(self) -> ScenePlan:
        """The plan (set by the plan stage); RuntimeError before it ran."""
        if self.plan is None:
            raise RuntimeError("the plan stage has not run")
        return self.plan
