from django.core.management.base import BaseCommand

from billing.services import billing_grace_sweep


class Command(BaseCommand):
    help = "Moves organizations whose grace period after a failed payment has ended to the Free plan (run from cron)."

    def handle(self, *args, **options):
        count = billing_grace_sweep()
        self.stdout.write(f"{count} organization(s) moved to the Free plan.")
