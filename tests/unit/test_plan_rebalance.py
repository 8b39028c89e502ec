"""The scene-duration rebalancing behind storyboard edits keeps the ad's length and each scene's
1–20 s bounds (the engine's limits), puts every duration on the Seconds field's 0.1 s grid, or
refuses clearly."""

import random

import pytest
from django.core.exceptions import ValidationError

from videogen.services import _rebalance


def _plan(durations):
    return [{"scene_key": f"s{i}", "duration": d} for i, d in enumerate(durations)]


@pytest.mark.parametrize("seed", range(40))
def test_total_and_bounds_hold(seed):
    rng = random.Random(seed)
    n = rng.randint(4, 8)
    total = round(rng.uniform(6, 60), 3)
    durations = [rng.uniform(1, 5) for _ in range(n)]
    scale = total / sum(durations)
    plan = _plan([d * scale for d in durations])
    fixed_index = rng.randrange(n)
    plan[fixed_index]["duration"] = round(rng.uniform(1, min(20, total - (n - 1))), 3)
    try:
        _rebalance(plan, total, fixed={fixed_index})
    except ValidationError:
        return  # impossible combinations are refused, never half-applied
    assert sum(s["duration"] for s in plan) == pytest.approx(total, abs=0.05 + 1e-6)  # the spec allows ±0.1 s
    assert all(0.99 <= s["duration"] <= 20.01 for s in plan)
    assert all(_on_grid(s["duration"]) for s in plan), [s["duration"] for s in plan]


def _on_grid(seconds):
    return abs(seconds * 10 - round(seconds * 10)) < 1e-6


@pytest.mark.parametrize("seed", range(40))
def test_whole_second_ads_keep_their_exact_length_on_the_grid(seed):
    """The planner's totals are whole seconds: after any edit the ad still lasts exactly that, and
    no scene (the end card included) lands off the 0.1 s grid, as 2.97 s did."""
    rng = random.Random(seed)
    n = rng.randint(4, 8)
    total = float(rng.randint(max(6, n), 60))
    durations = [rng.uniform(1, 5) for _ in range(n)]
    plan = _plan([round(d * total / sum(durations), 3) for d in durations])  # off-grid, as old plans were
    fixed_index = rng.randrange(n)
    plan[fixed_index]["duration"] = round(rng.uniform(1, min(20, total - (n - 1))), 1)
    try:
        _rebalance(plan, total, fixed={fixed_index})
    except ValidationError:
        return
    assert round(sum(s["duration"] for s in plan), 6) == total
    assert all(_on_grid(s["duration"]) and 1 <= s["duration"] <= 20 for s in plan)


def test_impossible_request_is_refused():
    plan = _plan([2, 2, 2, 2])
    plan[0]["duration"] = 6.0
    with pytest.raises(ValidationError, match="each needs 1–20 s"):
        _rebalance(plan, 8.0, fixed={0})
