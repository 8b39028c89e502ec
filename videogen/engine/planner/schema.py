"""The scene plan: an ordered list of scenes with durations, voiceover, on-screen text, visual
source and motion. A plain pydantic model, so the Studio can store it, let users edit it, and
hand it back to :func:`videogen.engine.pipeline.run_pipeline`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SceneRole = Literal["hook", "benefit", "product", "offer", "end_card"]
VisualSource = Literal["product_image", "solid_brand", "uploaded_clip", "generated_clip"]
Motion = Literal["zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "static"]
TextAnimation = Literal["slide_up", "fade", "pop"]
Layout = Literal["full_bleed", "split", "card"]
#: Layout families: ``full_bleed`` (the photo fills the frame, subject-aware crop, text on a scrim in
#: the safe zone), ``split`` (photo on one part of the frame, a brand-colour panel with the text on
#: the other), ``card`` (a photo card on a styled backdrop). The planner picks one per scene so
#: consecutive scenes differ; ``None`` lets the renderer choose (older plans).
Transition = Literal["fade", "dissolve", "slideleft", "slideup", "wipeleft", "smoothleft", "circleopen", "fadeblack"]

MIN_SCENES, MAX_SCENES = 4, 8
MIN_SCENE_SECONDS, MAX_SCENE_SECONDS = 1.0, 20.0
MIN_TOTAL_SECONDS, MAX_TOTAL_SECONDS = 6.0, 60.0
DURATION_STEP = 0.1  # seconds (3 frames at 30 fps): planned and rebalanced durations are multiples of it


def quantize_durations(values: list[float], total: float, *, step: float = DURATION_STEP,
                       lo: float = MIN_SCENE_SECONDS, hi: float = MAX_SCENE_SECONDS) -> list[float]:
    """Rounds ``values`` (seconds) to multiples of ``step`` that add up to ``total`` rounded to the
    same step (so within ``step / 2`` of it), each kept within ``lo``–``hi``. Largest-remainder
    rounding: the scenes whose exact share was closest to the next step get it. Returns seconds
    rounded to 3 decimals, in the same order. Raises ValueError when ``total`` can't be split so."""
    units = round(total / step)
    lo_u, hi_u = round(lo / step), round(hi / step)
    if not values or not lo_u * len(values) <= units <= hi_u * len(values):
        raise ValueError(f"{total:g} s can't be split into {len(values)} scenes of {lo:g}–{hi:g} s")
    exact = [v / step for v in values]
    out = [min(max(int(x // 1), lo_u), hi_u) for x in exact]
    left = units - sum(out)
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - out[i]), i))  # biggest remainder first
    while left:
        moved = False
        for i in (order if left > 0 else order[::-1]):
            if left > 0 and out[i] < hi_u:
                out[i] += 1
                left -= 1
                moved = True
            elif left < 0 and out[i] > lo_u:
                out[i] -= 1
                left += 1
                moved = True
            if not left:
                break
        if not moved:  # unreachable given the bounds check above
            raise ValueError(f"{total:g} s can't be split into {len(values)} scenes of {lo:g}–{hi:g} s")
    return [round(u * step, 3) for u in out]


class Visual(BaseModel):
    """Where a scene's picture comes from. ``image_index`` indexes ``brief.images`` for
    ``product_image``; ``clip_index`` indexes ``brief.clips`` for ``uploaded_clip`` (the clip's
    footage from its ``start``, reframed per aspect ratio). An ``uploaded_clip`` without a valid
    ``clip_index``, and every ``generated_clip`` (no GPU), fall back to the product image or the
    brand background; the job's trace records the fallback and why."""

    model_config = ConfigDict(extra="forbid")
    source: VisualSource = "product_image"
    image_index: int | None = Field(default=None, ge=0)
    clip_index: int | None = Field(default=None, ge=0)


class Generation(BaseModel):
    """What a ``generated_clip`` scene asks the GPU worker for (issue 15): a text prompt (and
    negative prompt), image-to-video from ``image_index`` of ``brief.images`` when set, the seed,
    and the model actually used once generated (``model``: e.g. ``"ltx-video"``; empty before).
    The scene cache keys include model, seed and prompt."""

    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(default="", max_length=600)
    negative_prompt: str = Field(default="", max_length=400)
    image_index: int | None = Field(default=None, ge=0)
    seed: int = Field(default=0, ge=0)
    model: str = Field(default="", max_length=80)


class Scene(BaseModel):
    """One scene. ``duration`` in seconds; ``voiceover`` is spoken, ``on_screen_text`` is the
    headline, ``subtext`` a smaller line under it; ``transition`` leads into the next scene."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=40)
    role: SceneRole
    duration: float = Field(ge=MIN_SCENE_SECONDS, le=MAX_SCENE_SECONDS)
    voiceover: str = Field(default="", max_length=400)
    on_screen_text: str = Field(default="", max_length=120)
    subtext: str = Field(default="", max_length=160)
    visual: Visual = Field(default_factory=Visual)
    motion: Motion = "zoom_in"
    text_animation: TextAnimation = "slide_up"
    transition: Transition = "fade"
    layout: Layout | None = None
    generation: Generation | None = None

    @field_validator("duration")
    @classmethod
    def _whole_frames(cls, v: float) -> float:
        """Durations snap to whole frames at 30 fps so scene cuts land on frame boundaries."""
        return round(v * 30) / 30


class ScenePlan(BaseModel):
    """A scene plan. Scene ``start`` times follow from order and durations; the ad lasts
    ``sum(duration)`` seconds (6–60). ``planner`` names the backend that made it."""

    model_config = ConfigDict(extra="forbid")
    version: int = 1
    planner: str = "rules"
    seed: int = 0
    scenes: list[Scene] = Field(min_length=MIN_SCENES, max_length=MAX_SCENES)

    @model_validator(mode="after")
    def _check(self) -> "ScenePlan":
        total = self.total_duration
        if not (MIN_TOTAL_SECONDS - 0.01 <= total <= MAX_TOTAL_SECONDS + 0.01):
            raise ValueError(f"scene durations add up to {total:.2f} s; expected {MIN_TOTAL_SECONDS:g}–{MAX_TOTAL_SECONDS:g} s")
        ids = [s.id for s in self.scenes]
        if len(set(ids)) != len(ids):
            raise ValueError("scene ids must be unique")
        return self

    @property
    def total_duration(self) -> float:
        """Length of the ad in seconds."""
        return round(sum(s.duration for s in self.scenes), 3)

    def starts(self) -> list[float]:
        """Start time of each scene in seconds."""
        out, t = [], 0.0
        for s in self.scenes:
            out.append(round(t, 3))
            t += s.duration
        return out

    def to_dict(self) -> dict:
        """JSON-ready dict; each scene also carries its computed ``start`` (ignored on load)."""
        d = self.model_dump(mode="json")
        for scene, start in zip(d["scenes"], self.starts(), strict=True):
            scene["start"] = start
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "ScenePlan":
        """Validate a dict from :meth:`to_dict` (or an edited copy). Raises pydantic ``ValidationError``."""
        data = dict(data)
        data["scenes"] = [{k: v for k, v in s.items() if k != "start"} for s in data.get("scenes", [])]
        return cls.model_validate(data)
