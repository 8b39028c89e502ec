"""How long a creative test's verdict takes (campaigns/experiments), printed as figures; never
asserted in tests. In memory (no database): simulated 14-day sets of 2, 3 and 5 arms at 20 000
impressions per arm and day.

(a) ``evaluate`` with CPA / ROAS (the results page: two seeded bootstraps of 2000 resamples per variant);
(b) ``evaluate(ratios=False)`` (lists, actions, ``learnings_for``);
(c) 200 null simulations of a 3-arm set through the CTR verdict (the unit test's loop), and how
    many declared a winner.

Run: ``.venv/bin/python bench/experiment_verdicts.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from campaigns.experiments.simulator import simulate_arms  # noqa: E402
from campaigns.experiments.verdicts import _proportion_verdict, evaluate  # noqa: E402


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.repeat}")
    for variants in (1, 2, 4):
        arms = simulate_arms(lift=0.1, seed=1, days=14, variants=variants)
        full = timed(lambda arms=arms: evaluate(arms), args.repeat)
        lean = timed(lambda arms=arms: evaluate(arms, ratios=False), args.repeat)
        print(f"{variants + 1} arms: (a) evaluate {full * 1000:7.1f} ms   (b) ratios=False {lean * 1000:6.1f} ms")
    start = time.perf_counter()
    winners = sum(_proportion_verdict("ctr", simulate_arms(lift=0.0, seed=s, days=14, variants=2), min_impressions=1000,
                                      min_lift=0.1, alpha=0.05).state == "winner" for s in range(200))
    print(f"(c) 200 null simulations, 3 arms: {time.perf_counter() - start:.1f} s, {winners} declared a winner")


if __name__ == "__main__":
    main()
