"""How long a creative test's verdict takes (campaigns/experiments), printed as figures; never
asserted in tests. In memory (no database): simulated 14-day sets of 2, 3 and 5 arms at 20 000
impressions per arm and day.

(a) ``evaluate`` with CPA / ROAS (the results page: two seeded bootstraps of 2000 resamples per variant);
(b) ``evaluate(ratios=False)`` (lists, actions, ``learnings_for``);
(c) 200 null simulations of a 3-arm set through the CTR verdict (the unit test's loop), and how
    many declared a winner;
(d) what the marketer waits for: the whole ``GET /experiments/<id>/`` request (session, queries,
    verdicts, template) through Django's test client against the dev database's demo tests
    (``make run`` seeds them; run with the same ``DATABASE_URL``; ``--page-only`` skips a–c). Skipped with a note when there are none.

Run: ``.venv/bin/python bench/experiment_verdicts.py [--repeat 5] [--page-only]``.
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
    parser.add_argument("--page-only", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.repeat}")
    if args.page_only:
        page(args.repeat)
        return
    for variants in (1, 2, 4):
        arms = simulate_arms(lift=0.1, seed=1, days=14, variants=variants)
        full = timed(lambda arms=arms: evaluate(arms), args.repeat)
        lean = timed(lambda arms=arms: evaluate(arms, ratios=False), args.repeat)
        print(f"{variants + 1} arms: (a) evaluate {full * 1000:7.1f} ms   (b) ratios=False {lean * 1000:6.1f} ms")
    start = time.perf_counter()
    winners = sum(_proportion_verdict("ctr", simulate_arms(lift=0.0, seed=s, days=14, variants=2), min_impressions=1000,
                                      min_lift=0.1, alpha=0.05).state == "winner" for s in range(200))
    print(f"(c) 200 null simulations, 3 arms: {time.perf_counter() - start:.1f} s, {winners} declared a winner")
    page(args.repeat)


def page(repeat: int) -> None:
    """(d): the results page of every demo creative test, whole request, first (cold) and median."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kolony.settings")
    import django

    django.setup()
    from django.test import Client

    from videogen.models import VariantSet

    sets = list(VariantSet.objects.select_related("created_by").order_by("pk")[:2])
    if not sets:
        print("(d) no creative tests in the dev database: run `make run` first")
        return
    for vs in sets:
        client = Client()
        client.force_login(vs.created_by)
        url = f"/experiments/{vs.pk}/"
        start = time.perf_counter()
        status = client.get(url).status_code
        cold = time.perf_counter() - start
        warm = timed(lambda client=client, url=url: client.get(url), repeat)
        print(f"(d) GET {url} ({vs.name}, {vs.jobs.count() or '?'} variants): {status}, "
              f"first {cold * 1000:.0f} ms, median {warm * 1000:.0f} ms")


if __name__ == "__main__":
    main()
