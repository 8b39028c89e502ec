from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kolony.accounts.models import Role
from kolony.accounts.services import org_user_create


class Command(BaseCommand):
    help = "Create (or join) an organization and a user in it; prints the organization id."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--org", required=True, help="Organization name (reused if it exists).")
        parser.add_argument("--role", default=Role.OWNER, choices=Role.values)

    def handle(self, *args, email, password, org, role, **options):
        try:
            user, organization, created = org_user_create(email=email, password=password, org_name=org, role=role)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(f"{'Created' if created else 'Found'} {user.email}; {role} of '{organization.name}'.")
        self.stdout.write(str(organization.pk))
