"""``manage.py outbox_sweep [--loop] [--interval S]``: send pending outbox jobs and reap dead workers' jobs."""

import time

from django.core.management.base import BaseCommand

from kolony.outbox.sweep import SWEEP_INTERVAL_S, sweep_once


class Command(BaseCommand):
    help = "Sends the job outbox's pending rows to RQ and re-queues jobs whose worker died (once, or every --interval s)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sweeping until stopped.")
        parser.add_argument("--interval", type=float, default=SWEEP_INTERVAL_S, help="Seconds between sweeps (with --loop).")

    def handle(self, *args, loop=False, interval=SWEEP_INTERVAL_S, **options):
        while True:
            try:
                result = sweep_once()
            except Exception as exc:  # noqa: BLE001 - e.g. the database is down: keep sweeping
                if not loop:
                    raise
                self.stderr.write(f"sweep failed: {type(exc).__name__}: {exc}")
                time.sleep(max(interval, 0.5))
                continue
            if options["verbosity"] > 1 or not loop:
                self.stdout.write(f"sent {result['sent']} job(s); checked {result['queues_checked']} queue(s); redis: {result['redis']}")
            if not loop:
                return
            time.sleep(max(interval, 0.5))
