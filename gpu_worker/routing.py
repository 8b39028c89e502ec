"""Which clip model generates a scene: the spec's ``model`` when it is present, otherwise by ``priority``.

Rules (the reason is returned with the choice and lands in the result's ``route``):

* first + last frame → a model that conditions on both (LTX-Video's LTXConditionPipeline, Wan I2V's last_image);
  first frame only → an image-to-video model; no image → a text-to-video model;
* ``speed`` → LTX-Video (the fast model: real-time-class at 768x512);
* ``quality`` → Wan (2.2 TI2V 5B, then 2.1 I2V 14B for images, then 2.1 T2V 1.3B);
* ``balanced`` → Wan for short scenes (≤ BALANCED_MAX_QUALITY_S seconds) while the ``gpu`` queue is shallow
  (≤ BALANCED_MAX_QUEUE_DEPTH waiting), LTX-Video otherwise — a long scene or a queue of waiting scenes would
  make the whole ad wait on the slower model;
* whichever of those is not installed falls through to the next that is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import CATALOG, CatalogEntry

BALANCED_MAX_QUALITY_S = 5.0
BALANCED_MAX_QUEUE_DEPTH = 2

SPEED_ORDER = ("ltx-video", "wan2.2-ti2v-5b", "wan2.1-t2v-1.3b", "wan2.1-i2v-14b-480p")
QUALITY_ORDER = ("wan2.2-ti2v-5b", "wan2.1-i2v-14b-480p", "wan2.1-t2v-1.3b", "ltx-video")


class NoModelForTask(Exception):
    """No installed clip model can do this task; ``expected`` names the directories that would."""

    def __init__(self, message: str, expected: list[str]):
        super().__init__(message)
        self.expected = expected


@dataclass(frozen=True)
class RouteChoice:
    model: str
    reason: str


def _capable(entry: CatalogEntry, has_first: bool, has_last: bool) -> bool:
    if has_last:
        return entry.id in ("ltx-video", "wan2.1-i2v-14b-480p", "wan2.2-ti2v-5b")
    return entry.image_to_video if has_first else entry.text_to_video


def choose_model(*, model: str, priority: str, has_first: bool, has_last: bool, duration_s: float,
                 queue_depth: int, installed: Iterable[str], models_dir: str = "KOLONY_MODELS_DIR") -> RouteChoice:
    """The model to use and why. Raises NoModelForTask (naming the directories expected) when none fits."""
    installed = set(installed)
    need = "first+last frame" if has_last else "image-to-video" if has_first else "text-to-video"
    capable = [e.id for e in CATALOG.values() if e.kind == "clip" and _capable(e, has_first, has_last)]
    if model != "auto":
        if model in installed and model in capable:
            return RouteChoice(model, f"requested {model}")
        why = "is not installed" if model not in installed else f"cannot do {need}"
        fallback = choose_model(model="auto", priority=priority, has_first=has_first, has_last=has_last,
                                duration_s=duration_s, queue_depth=queue_depth, installed=installed, models_dir=models_dir)
        return RouteChoice(fallback.model, f"requested {model} {why}; {fallback.reason}")
    if priority == "speed":
        order, why = SPEED_ORDER, "priority speed → fastest model first"
    elif priority == "quality":
        order, why = QUALITY_ORDER, "priority quality → Wan first"
    elif duration_s <= BALANCED_MAX_QUALITY_S and queue_depth <= BALANCED_MAX_QUEUE_DEPTH:
        order = QUALITY_ORDER
        why = (f"balanced: {duration_s:.1f} s scene ≤ {BALANCED_MAX_QUALITY_S:g} s and {queue_depth} waiting "
               f"≤ {BALANCED_MAX_QUEUE_DEPTH} → quality model")
    else:
        order = SPEED_ORDER
        why = (f"balanced: {duration_s:.1f} s scene or {queue_depth} waiting over "
               f"{BALANCED_MAX_QUALITY_S:g} s / {BALANCED_MAX_QUEUE_DEPTH} → fast model")
    for i, mid in enumerate(m for m in order if m in capable):
        if mid in installed:
            return RouteChoice(mid, why + ("" if i == 0 else f" (first installed {need} model)"))
    dirs = [f"{models_dir}/{m}" for m in order if m in capable]
    raise NoModelForTask(f"no clip model for {need} is installed: expected one of {', '.join(dirs)}", dirs)


def frame_rule(family: str) -> int:
    """Frames must be k*rule + 1: 8 for LTX-Video (temporal compression 8), 4 for Wan."""
    return 8 if family == "ltx" else 4


def fit_frames(num_frames: int, family: str) -> int:
    r = frame_rule(family)
    return max(0, round((num_frames - 1) / r)) * r + 1
