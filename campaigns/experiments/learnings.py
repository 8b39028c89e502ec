"""The :class:`Learning` record: one factor level that beat another across concluded tests.

Plain data (no Django), so the Studio can hand it to the engine's planner as is
(``videogen.engine.planner.learnings.apply_learnings``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Learning:
    """``level`` of ``factor`` beat ``beaten_level`` on ``metric``.

    - ``factor``: a :class:`videogen.variants.models.VariantFactor` value (``"hook"``, ``"voice"``,
      ``"call_to_action"``, ``"music_mood"``, ``"layout_family"``, ``"first_scene_image"``).
    - ``level`` / ``beaten_level``: the winning and the losing variant's level labels
      (``VideoJob.variant_level``, e.g. the hook line ``"Tired of bitter coffee?"``).
    - ``metric``: ``"ctr"`` or ``"thruplay_rate"`` (the proportions the z-test decides).
    - ``lift``, ``ci_low``, ``ci_high``: relative lift of ``level`` over ``beaten_level``
      (0.18 = +18 %) and its 95 % interval (fractions, not percent), pooled over ``tests``.
    - ``tests``: how many concluded variant sets this rests on (≥ 1).
    - ``placement``: a :class:`campaigns.choices.Placement` value, or ``""`` for automatic /
      mixed placements; ``objective``: a :class:`campaigns.choices.Objective` value.
    - ``summary``: one sentence for people, e.g. ``"question hooks beat statement hooks on
      Instagram Reels: CTR +18 % (95 % CI +6…+31 %), 4 tests"``.
    """

    factor: str
    level: str
    beaten_level: str
    metric: str
    lift: float
    ci_low: float
    ci_high: float
    tests: int
    placement: str
    objective: str
    summary: str

    def as_dict(self) -> dict:
        return asdict(self)
