"""The statistics of creative tests against hand-computed values (the textbook formulas written out
here) and against statsmodels' / scipy's own results."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint, proportion_effectsize, proportions_ztest

from campaigns.experiments import stats

Z95 = norm.ppf(0.975)


def wilson_by_hand(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    p = x / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


@pytest.mark.parametrize("x,n", [(50, 1000), (0, 200), (7, 7), (1, 3), (123, 10_000), (4_021, 351_000)])
def test_wilson_interval_matches_the_formula_and_statsmodels(x, n):
    low, high = stats.wilson_interval(x, n)
    hand = wilson_by_hand(x, n)
    sm = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(hand[0], abs=1e-12) and high == pytest.approx(hand[1], abs=1e-12)
    assert low == pytest.approx(sm[0], abs=1e-12) and high == pytest.approx(sm[1], abs=1e-12)
    assert 0.0 <= low <= x / n <= high <= 1.0


def test_wilson_known_value_and_edges():
    assert stats.wilson_interval(50, 1000) == pytest.approx((0.03813026, 0.06531382), abs=1e-8)
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)
    for bad in ((-1, 10), (11, 10), (1, -1)):
        with pytest.raises(ValueError):
            stats.wilson_interval(*bad)


def ztest_by_hand(x1, n1, x2, n2):
    """Pooled two-proportion z: (p1 − p2) / √(p(1−p)(1/n1 + 1/n2)), two-sided p = 2(1 − Φ(|z|))."""
    p1, p2, p = x1 / n1, x2 / n2, (x1 + x2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return z, 2 * (1 - norm.cdf(abs(z)))


@pytest.mark.parametrize("counts", [(60, 1000, 50, 1000), (50, 1000, 60, 1000), (130, 10_000, 100, 10_000),
                                    (4_300, 350_000, 4_000, 350_000), (3, 40, 9, 55)])
def test_two_proportion_ztest_matches_the_formula_and_statsmodels(counts):
    got = stats.two_proportion_ztest(*counts)
    z, p = ztest_by_hand(*counts)
    sm_z, sm_p = proportions_ztest(np.array(counts[::2]), np.array(counts[1::2]))
    assert got.z == pytest.approx(z, rel=1e-10) and got.p == pytest.approx(p, rel=1e-8)
    assert got.z == pytest.approx(sm_z, rel=1e-12) and got.p == pytest.approx(sm_p, rel=1e-12)


def test_ztest_known_value_direction_and_degenerate_cases():
    got = stats.two_proportion_ztest(60, 1000, 50, 1000)
    assert got.z == pytest.approx(0.980816, abs=1e-6) and got.p == pytest.approx(0.326683, abs=1e-6)
    assert stats.two_proportion_ztest(50, 1000, 60, 1000).z < 0  # the first arm is lower
    assert stats.two_proportion_ztest(0, 1000, 0, 1000) == stats.ZTest(0.0, 1.0)  # no clicks at all: no evidence
    with pytest.raises(ValueError, match="at least one trial"):
        stats.two_proportion_ztest(0, 0, 1, 10)


def test_holm_by_hand_and_against_statsmodels():
    # sorted p: 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → monotone max → 0.03, 0.06, 0.06
    reject, adjusted = stats.holm([0.01, 0.04, 0.03])
    assert reject == [True, False, False]
    assert adjusted == pytest.approx([0.03, 0.06, 0.06])
    for pvalues in ([0.001, 0.01, 0.02, 0.2], [0.04, 0.04], [0.5], [0.012, 0.011, 0.9, 0.013]):
        sm_reject, sm_adjusted, _, _ = multipletests(pvalues, alpha=0.05, method="holm")
        reject, adjusted = stats.holm(pvalues)
        assert reject == list(sm_reject) and adjusted == pytest.approx(list(sm_adjusted))
    rng = np.random.default_rng(0)
    for _ in range(6):  # statsmodels' Holm runs gc.collect() on each call: keep this loop short
        pvalues = list(rng.uniform(0, 0.2, rng.integers(1, 6)))
        sm_reject, sm_adjusted, _, _ = multipletests(pvalues, alpha=0.05, method="holm")
        reject, adjusted = stats.holm(pvalues)
        assert reject == list(sm_reject) and adjusted == pytest.approx(list(sm_adjusted), abs=1e-15)
    assert stats.holm([]) == ([], [])
    with pytest.raises(ValueError):
        stats.holm([0.5, 1.2])


def test_holm_is_stricter_than_uncorrected_testing():
    """Three comparisons each at p = 0.03: each would pass alone, none passes Holm's 0.05/3 first step."""
    reject, adjusted = stats.holm([0.03, 0.03, 0.03])
    assert reject == [False, False, False] and min(adjusted) == pytest.approx(0.09)


@pytest.mark.parametrize("rate,lift", [(0.01, 0.10), (0.012, 0.20), (0.25, 0.10), (0.05, -0.10), (0.3, 0.05)])
def test_sample_size_matches_cohens_h_formula_and_statsmodels(rate, lift):
    n = stats.sample_size_per_arm(rate, lift)
    # Cohen's h = 2·asin√p2 − 2·asin√p1; each 2·asin√p̂ has variance 1/n, their difference 2/n, so
    # n = 2·((z_{α/2} + z_β) / h)² per arm (Cohen 1988 §6.4: h = 0.2 → 392); statsmodels also counts the far tail
    h = abs(2 * math.asin(math.sqrt(rate * (1 + lift))) - 2 * math.asin(math.sqrt(rate)))
    by_hand = 2 * ((Z95 + norm.ppf(0.8)) / h) ** 2
    assert abs(n - by_hand) <= 2
    sm = NormalIndPower().solve_power(effect_size=abs(proportion_effectsize(rate * (1 + lift), rate)), alpha=0.05, power=0.8,
                                      ratio=1.0, alternative="two-sided")
    assert n == math.ceil(sm)
    assert stats.sample_size_per_arm_closed_form(rate, lift) == pytest.approx(by_hand)
    assert 0 <= stats.sample_size_per_arm_closed_form(rate, lift) - sm < 2  # the scan's bound: never below statsmodels


def test_sample_size_known_value_and_bad_input():
    assert NormalIndPower().solve_power(effect_size=0.2, alpha=0.05, power=0.8) == pytest.approx(392.4, abs=0.1)  # Cohen's table
    assert stats.sample_size_per_arm(0.01, 0.10) == 163_004  # CTR 1 %, +10 %: about 163 thousand impressions per arm
    assert stats.sample_size_per_arm(0.01, 0.10, alpha=0.025) > 163_004  # a Bonferroni share of alpha needs more
    for bad in ((0.0, 0.1), (1.0, 0.1), (0.5, 1.5), (0.2, 0.0)):
        with pytest.raises(ValueError):
            stats.sample_size_per_arm(*bad)


def test_rate_ratio_interval_is_katz_log_interval():
    x1, n1, x2, n2 = 1_180, 100_000, 1_000, 100_000
    got = stats.rate_ratio_interval(x1, n1, x2, n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    rr = (x1 / n1) / (x2 / n2)
    assert got.estimate == pytest.approx(0.18)
    assert got.low == pytest.approx(rr * math.exp(-Z95 * se) - 1, rel=1e-9)
    assert got.high == pytest.approx(rr * math.exp(Z95 * se) - 1, rel=1e-9)
    assert got.low < 0.18 < got.high
    assert not stats.rate_ratio_interval(0, 100, 5, 100).defined


def test_bootstrap_ratio_is_exact_when_every_day_has_the_same_ratio():
    spend = [1000, 1200, 900, 1100, 1000, 950, 1300]
    interval = stats.bootstrap_ratio_of_ratios([2 * s for s in spend], spend, [1.6 * s for s in spend], spend)
    assert interval.estimate == pytest.approx(1.25)
    assert interval.low == pytest.approx(1.25) and interval.high == pytest.approx(1.25)


def test_bootstrap_ratio_is_seeded_and_covers_the_point_estimate():
    rng = np.random.default_rng(4)
    spend_a, spend_b = rng.uniform(900, 1100, 21), rng.uniform(900, 1100, 21)
    value_a, value_b = spend_a * 2.4 * rng.lognormal(0, 0.3, 21), spend_b * 2.0 * rng.lognormal(0, 0.3, 21)
    one = stats.bootstrap_ratio_of_ratios(value_a, spend_a, value_b, spend_b, seed=3)
    again = stats.bootstrap_ratio_of_ratios(value_a, spend_a, value_b, spend_b, seed=3)
    assert one == again  # the page shows the same interval on every load
    assert one.low < one.estimate < one.high
    assert one.estimate == pytest.approx((value_a.sum() / spend_a.sum()) / (value_b.sum() / spend_b.sum()))


def test_bootstrap_ratio_undefined_cases():
    assert not stats.bootstrap_ratio_of_ratios([1, 2], [1, 1], [1, 1], [1, 1]).defined  # under 3 days
    assert not stats.bootstrap_ratio_of_ratios([1, 2, 3], [1, 1, 1], [0, 0, 0], [1, 1, 1]).defined  # control never converted
    with pytest.raises(ValueError, match="same length"):
        stats.bootstrap_ratio_of_ratios([1, 2, 3], [1, 1], [1, 1, 1], [1, 1, 1])
