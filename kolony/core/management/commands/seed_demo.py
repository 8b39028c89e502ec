import os

from django.core.management.base import BaseCommand

from kolony.core.demo import DEMO_EMAIL, seed_app_demos, seed_demo_org


class Command(BaseCommand):
    help = "Create the demo organization, its owner demo@kolony.test and each app's demo data."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=os.environ.get("KOLONY_DEMO_PASSWORD", "kolony-demo-2026"))
        parser.add_argument("--skip-apps", action="store_true", help="Only the organization and its owner.")

    def handle(self, *args, password, skip_apps, **options):
        org, user = seed_demo_org(password=password)
        if not skip_apps:
            seed_app_demos(organization=org, user=user, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo organization '{org.name}' (id {org.pk})."))
        self.stdout.write(f"Sign in as {DEMO_EMAIL} with password: {password}")
