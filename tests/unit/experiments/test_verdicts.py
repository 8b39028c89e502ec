"""Verdicts of a variant set from in-memory counts: every state (winner, control wins, no
difference, too early — below the minimum and below the planned sample), Holm across the set, the
guardrails (minimum impressions, unequal delivery, the fixed horizon) and CPA/ROAS as intervals."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.experiments import stats
from campaigns.experiments.simulator import simulate_arms
from campaigns.experiments.verdicts import UNEQUAL_DELIVERY_RATIO, Arm, Day, delivery_warning, evaluate

START = dt.date(2026, 3, 1)


def one_day_arms(*clicks_and_impressions, thruplays=None, day=START):
    """Arms with one day each: the first is the control."""
    arms = []
    for i, (clicks, impressions) in enumerate(clicks_and_impressions):
        arms.append(Arm(key=i, label="control" if i == 0 else f"v{i}", is_control=i == 0, days=[
            Day(date=day, impressions=impressions, clicks=clicks, thruplays=(thruplays or [impressions // 4] * 9)[i],
                video_plays=impressions // 2, spend_minor=impressions, conversions=clicks // 30,
                conversion_value_minor=clicks * 100)]))
    return arms


def test_winner_at_95_with_the_lift_and_its_interval():
    result = evaluate(simulate_arms(lift=0.2, seed=3, days=14))
    ctr = result.metrics["ctr"]
    assert ctr.state == "winner" and ctr.winner == 1 and ctr.losers == [0]
    assert ctr.message.startswith("Winner at 95 %: “variant 1” — CTR +")
    assert "Holm-corrected across 1 comparison" in ctr.message
    comparison = ctr.comparisons[0]
    assert comparison.significant and comparison.p_adjusted < 0.05 and comparison.z > 0
    assert comparison.lift.low < 0.2 < comparison.lift.high  # the interval covers the true lift
    assert ctr.horizon is not None and ctr.more_needed == 0


def test_the_control_wins_when_every_variant_is_worse():
    result = evaluate(one_day_arms((5_000, 400_000), (4_200, 400_000), (4_100, 400_000)))
    ctr = result.metrics["ctr"]
    assert ctr.state == "winner" and ctr.winner == 0 and sorted(ctr.losers) == [1, 2]
    assert "the control “control”" in ctr.message


def test_no_difference_once_the_planned_sample_is_reached():
    result = evaluate(one_day_arms((4_000, 400_000), (4_020, 400_000)))
    ctr = result.metrics["ctr"]
    assert ctr.state == "no_difference" and ctr.winner is None and ctr.losers == []
    assert ctr.required_per_arm <= 400_000
    assert ctr.message.startswith(f"No difference at 95 %: each variant reached the {ctr.required_per_arm:,} impressions")


def test_a_variant_below_the_control_is_named_a_loser_without_a_winner():
    result = evaluate(one_day_arms((4_000, 400_000), (4_010, 400_000), (3_500, 400_000)))
    ctr = result.metrics["ctr"]
    assert ctr.state == "no_difference" and ctr.losers == [2]
    assert "Lower than the control: “v2”" in ctr.message


def test_too_early_below_the_minimum_impressions_per_variant():
    result = evaluate(one_day_arms((40, 5_000), (90, 800)), min_impressions=1000)
    for metric in ("ctr", "thruplay_rate"):
        verdict = result.metrics[metric]
        assert verdict.state == "too_early" and verdict.winner is None
    assert result.metrics["ctr"].message.startswith("Too early: about ")
    for metric in ("cpa", "roas"):
        assert result.metrics[metric].state == "too_early"
        assert "needs 1,000 impressions first" in result.metrics[metric].message


def test_too_early_says_about_how_many_more_impressions():
    result = evaluate(one_day_arms((200, 20_000), (260, 20_000)))
    ctr = result.metrics["ctr"]
    pooled = 460 / 40_000
    need = stats.sample_size_per_arm(pooled, 0.10)
    assert ctr.state == "too_early" and ctr.required_per_arm == need
    assert ctr.more_needed == 2 * (need - 20_000)
    assert f"about {ctr.more_needed:,} more impressions needed ({need:,} per variant" in ctr.message
    assert ctr.comparisons[0].lift.estimate == pytest.approx(0.3)  # shown, but not a verdict


def test_no_clicks_yet_is_too_early_and_says_why():
    result = evaluate(one_day_arms((0, 3_000), (0, 3_000)))
    assert result.metrics["ctr"].state == "too_early"
    assert "no clicks yet" in result.metrics["ctr"].message


def test_holm_across_the_set_refuses_a_winner_that_one_test_alone_would_declare():
    # three variants each about z = 2.2 above the control: p ≈ 0.03 each, Holm's first step needs 0.05/3
    n = 600_000
    control = 6_000
    up = control + 250
    one = stats.two_proportion_ztest(up, n, control, n)
    assert 0.01 < one.p < 0.05
    result = evaluate(one_day_arms((control, n), (up, n), (up, n), (up, n)))
    ctr = result.metrics["ctr"]
    assert ctr.state == "no_difference" and ctr.winner is None
    assert all(not c.significant and c.p < 0.05 < c.p_adjusted for c in ctr.comparisons)
    # the same variant against the control alone is a winner
    assert evaluate(one_day_arms((control, n), (up, n))).metrics["ctr"].state == "winner"


def test_the_horizon_is_fixed_so_more_days_never_move_the_verdict():
    """Looking again later (more days after the planned sample was reached) tests the same counts."""
    arms_long = simulate_arms(lift=0.0, seed=11, days=28)
    arms_short = [Arm(a.key, a.label, a.is_control, a.days[:14]) for a in arms_long]
    long, short = evaluate(arms_long).metrics["ctr"], evaluate(arms_short).metrics["ctr"]
    assert long.horizon == short.horizon is not None
    assert long.state == short.state
    assert long.comparisons[0].z == short.comparisons[0].z and long.comparisons[0].p == short.comparisons[0].p


@pytest.mark.parametrize("impressions,warned", [((10_000, 20_000), False), ((10_000, 20_001), True), ((0, 100), True),
                                                 ((5_000, 5_000, 9_000), False), ((3_000, 5_000, 9_000), True)])
def test_unequal_delivery_warning_rule(impressions, warned):
    text = delivery_warning([(f"arm {i}", n) for i, n in enumerate(impressions)])
    assert (text is not None) == warned
    if warned:
        assert text.startswith("Delivery was very unequal") and f"above {UNEQUAL_DELIVERY_RATIO:.0f}×" in text


def test_unequal_delivery_shows_on_the_result():
    result = evaluate(one_day_arms((300, 30_000), (100, 10_000)))
    assert len(result.warnings) == 1 and "3.0× the impressions" in result.warnings[0]
    assert evaluate(one_day_arms((300, 30_000), (300, 30_000))).warnings == []


def test_cpa_and_roas_are_intervals_never_a_bare_winner():
    result = evaluate(simulate_arms(lift=0.2, seed=5, days=21))
    for metric in ("cpa", "roas"):
        verdict = result.metrics[metric]
        assert verdict.state == "interval" and verdict.winner is None
        ratio = verdict.comparisons[0].ratio
        assert ratio.defined and ratio.low <= ratio.estimate <= ratio.high
        assert f"{ratio.estimate:.2f}× the control (95 % CI {ratio.low:.2f}–{ratio.high:.2f}×)" in verdict.message


@pytest.mark.parametrize("arms,message", [
    ([Arm(0, "a", True)], "control and at least one variant"),
    ([Arm(0, "a", True), Arm(1, "b", True)], "Exactly one arm"),
    ([Arm(0, "a", False), Arm(1, "b", False)], "Exactly one arm"),
])
def test_bad_sets_are_refused_with_a_reason(arms, message):
    with pytest.raises(ValueError, match=message):
        evaluate(arms)


def test_bad_settings_are_refused():
    arms = one_day_arms((1, 10), (1, 10))
    with pytest.raises(ValueError, match="smallest lift"):
        evaluate(arms, min_lift=0)
    with pytest.raises(ValueError, match="minimum impressions"):
        evaluate(arms, min_impressions=0)
