"""The statistics of a creative test, as pure functions (numbers in, numbers out; no Django).

Every function wraps a published method through a maintained library rather than re-deriving it:

- :func:`wilson_interval` — Wilson score interval for one proportion (Wilson 1927, *JASA* 22:209;
  recommended over the Wald interval by Brown, Cai & DasGupta 2001, *Statistical Science* 16:101),
  ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
- :func:`two_proportion_ztest` — the pooled two-proportion z-test,
  ``statsmodels.stats.proportion.proportions_ztest`` (``z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2))``,
  ``p`` the pooled rate).
- :func:`holm` — Holm's step-down correction (Holm 1979, *Scand. J. Statist.* 6:65), which keeps the
  family-wise error rate at ``alpha`` across the comparisons of one set; the same numbers as
  ``statsmodels.stats.multitest.multipletests(method="holm")`` (tested), written out because that
  call runs a full garbage collection each time.
- :func:`sample_size_per_arm` — impressions per arm for a two-sided test to detect a relative lift
  with the given power: Cohen's effect size ``h = 2·asin(√p2) − 2·asin(√p1)``
  (``proportion_effectsize``; Cohen 1988, §6.2) and the normal-approximation power of
  ``statsmodels.stats.power.NormalIndPower``.
- :func:`rate_ratio_interval` — the interval of a relative lift ``p1/p2 − 1``: the log
  (Katz et al. 1978, *Biometrics* 34:469) interval of the ratio of two proportions,
  ``statsmodels.stats.proportion.confint_proportions_2indep(method="log", compare="ratio")``.
- :func:`bootstrap_ratio_of_ratios` — ROAS / CPA of a variant relative to the control as a
  percentile bootstrap interval over days (Efron & Tibshirani 1993, ch. 13), resampling whole
  days jointly for both arms (``scipy.stats.bootstrap(paired=True)``), seeded so a page shows the
  same interval on every load.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ZTest:
    """``z`` (positive when the first rate is higher) and the two-sided ``p`` value."""

    z: float
    p: float


@dataclass(frozen=True)
class Interval:
    """A point estimate with its (``low``, ``high``) interval; ``None`` values when undefined."""

    estimate: float | None
    low: float | None
    high: float | None

    @property
    def defined(self) -> bool:
        return self.estimate is not None and self.low is not None and self.high is not None


def _check_counts(successes: int, trials: int, what: str = "") -> None:
    if trials < 0 or successes < 0:
        raise ValueError(f"{what or 'counts'} cannot be negative (successes={successes}, trials={trials}).")
    if successes > trials:
        raise ValueError(f"{what or 'successes'} ({successes}) cannot exceed the trials ({trials}).")


def wilson_interval(successes: int, trials: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` of ``successes / trials`` at confidence
    ``1 - alpha`` (fractions in [0, 1]). ``trials == 0`` → ``(0.0, 1.0)`` (nothing known).
    Raises ValueError for negative counts or ``successes > trials``."""
    from statsmodels.stats.proportion import proportion_confint

    _check_counts(successes, trials)
    if trials == 0:
        return 0.0, 1.0
    low, high = proportion_confint(int(successes), int(trials), alpha=alpha, method="wilson")
    # exactly 0 / 1 at the edges (the formula's value there; floating point lands a hair inside)
    low = 0.0 if successes == 0 else max(0.0, float(low))
    high = 1.0 if successes == trials else min(1.0, float(high))
    return low, high


def two_proportion_ztest(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> ZTest:
    """The pooled two-proportion z-test of ``a`` against ``b`` (two-sided).

    ``z > 0`` when a's rate is higher. When the pooled rate is 0 or 1 (no clicks at all, or only
    clicks) the rates cannot differ on this evidence: ``ZTest(0.0, 1.0)``. Raises ValueError for
    an arm without trials or impossible counts."""
    from statsmodels.stats.proportion import proportions_ztest

    _check_counts(successes_a, trials_a, "a")
    _check_counts(successes_b, trials_b, "b")
    if trials_a == 0 or trials_b == 0:
        raise ValueError("Both arms need at least one trial for a z-test.")
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    if pooled in (0.0, 1.0):
        return ZTest(0.0, 1.0)
    z, p = proportions_ztest(np.array([successes_a, successes_b]), np.array([trials_a, trials_b]),
                             alternative="two-sided")
    return ZTest(float(z), float(p))


def holm(pvalues: Sequence[float], *, alpha: float = 0.05) -> tuple[list[bool], list[float]]:
    """Holm's step-down correction: ``(reject, adjusted p)`` in the order given. An empty list
    gives ``([], [])``. Raises ValueError for a p value outside [0, 1]."""
    if not pvalues:
        return [], []
    if any(not (0.0 <= p <= 1.0) or math.isnan(p) for p in pvalues):
        raise ValueError(f"p values must lie in [0, 1]: {list(pvalues)}")
    # Holm's step-down, as statsmodels' ``multipletests(method="holm")`` computes it (the tests compare
    # the two on many inputs). Not called directly: statsmodels 0.15 runs a full ``gc.collect()`` on
    # every Holm call, 0.1–0.5 s in a web process, and the simulations call it hundreds of times.
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="mergesort")
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(m, 0, -1)))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return [bool(a <= alpha) for a in adjusted], [float(a) for a in adjusted]


def sample_size_per_arm(base_rate: float, relative_lift: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Trials (impressions) each arm needs so that a two-sided test at ``alpha`` detects a rate of
    ``base_rate × (1 + relative_lift)`` against ``base_rate`` with probability ``power``.

    Rounded up to a whole impression. Raises ValueError when ``base_rate`` is not in (0, 1), the
    lifted rate leaves (0, 1), or ``relative_lift`` is 0."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if not 0.0 < base_rate < 1.0:
        raise ValueError(f"The base rate must lie strictly between 0 and 1 (got {base_rate}).")
    lifted = base_rate * (1.0 + relative_lift)
    if relative_lift == 0 or not 0.0 < lifted < 1.0:
        raise ValueError(f"A lift of {relative_lift:+.0%} on {base_rate:.4f} gives no testable rate ({lifted:.4f}).")
    h = abs(float(proportion_effectsize(lifted, base_rate)))
    n = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, ratio=1.0, alternative="two-sided")
    return int(math.ceil(float(n)))


def sample_size_per_arm_closed_form(base_rate: float, relative_lift: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """The closed form ``2·((z_{1−α/2} + z_{power}) / h)²`` of :func:`sample_size_per_arm` (without
    the far tail statsmodels also counts, so never below it, and within about one impression of it):
    a cheap bound for scanning many days. Raises ValueError like :func:`sample_size_per_arm`."""
    from scipy.special import ndtri

    if not 0.0 < base_rate < 1.0:
        raise ValueError(f"The base rate must lie strictly between 0 and 1 (got {base_rate}).")
    lifted = base_rate * (1.0 + relative_lift)
    if relative_lift == 0 or not 0.0 < lifted < 1.0:
        raise ValueError(f"A lift of {relative_lift:+.0%} on {base_rate:.4f} gives no testable rate ({lifted:.4f}).")
    h = abs(2 * math.asin(math.sqrt(lifted)) - 2 * math.asin(math.sqrt(base_rate)))
    return 2.0 * ((float(ndtri(1 - alpha / 2)) + float(ndtri(power))) / h) ** 2


def rate_ratio_interval(successes_a: int, trials_a: int, successes_b: int, trials_b: int, *,
                        alpha: float = 0.05) -> Interval:
    """Relative lift of a's rate over b's (``p_a / p_b − 1``; 0.18 = +18 %) with its log-ratio
    interval. Undefined (``None`` values) when either arm has no trials or no successes."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check_counts(successes_a, trials_a, "a")
    _check_counts(successes_b, trials_b, "b")
    if min(trials_a, trials_b, successes_a, successes_b) <= 0:
        return Interval(None, None, None)
    low, high = confint_proportions_2indep(int(successes_a), int(trials_a), int(successes_b), int(trials_b),
                                           method="log", compare="ratio", alpha=alpha)
    estimate = (successes_a / trials_a) / (successes_b / trials_b)
    return Interval(estimate - 1.0, float(low) - 1.0, float(high) - 1.0)


def bootstrap_ratio_of_ratios(num_a: Sequence[float], den_a: Sequence[float], num_b: Sequence[float],
                              den_b: Sequence[float], *, alpha: float = 0.05, resamples: int = 2000,
                              seed: int = 17) -> Interval:
    """``(Σnum_a/Σden_a) / (Σnum_b/Σden_b)`` with a percentile bootstrap interval over days.

    Each sequence holds one value per day, aligned across all four (a day missing for an arm is a
    0). ROAS relative to control: ``num`` = conversion value, ``den`` = spend; CPA relative to
    control: ``num`` = spend, ``den`` = conversions. Days are resampled jointly (the same days for
    both arms), so a day effect shared by both — a weekend, a platform hiccup — cancels. Returns
    ``None`` values when a total denominator or the control's numerator is 0 or there are fewer
    than 3 days; a resampled ratio that is undefined is dropped (the interval then rests on the
    rest; all undefined → ``None`` bounds). Raises ValueError when the sequences differ in length."""
    from scipy.stats import bootstrap

    arrays = [np.asarray(x, dtype=float) for x in (num_a, den_a, num_b, den_b)]
    if len({a.shape for a in arrays}) != 1:
        raise ValueError("The four day series must have the same length.")
    na, da, nb, db = (float(a.sum()) for a in arrays)
    if len(arrays[0]) < 3 or da <= 0 or db <= 0 or nb <= 0:
        return Interval(None, None, None)
    estimate = (na / da) / (nb / db)

    def statistic(a_num, a_den, b_num, b_den, axis=-1):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.sum(a_num, axis=axis) / np.sum(a_den, axis=axis)) / (np.sum(b_num, axis=axis) / np.sum(b_den, axis=axis))

    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = bootstrap(tuple(arrays), statistic, paired=True, vectorized=True, n_resamples=resamples,
                           confidence_level=1 - alpha, method="percentile", rng=rng)
    dist = np.asarray(result.bootstrap_distribution, dtype=float)
    dist = dist[np.isfinite(dist)]
    if dist.size == 0:
        return Interval(estimate, None, None)
    low, high = np.quantile(dist, [alpha / 2, 1 - alpha / 2])
    return Interval(float(estimate), float(low), float(high))
