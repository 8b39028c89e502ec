"""Demo organization and owner for a first run (``manage.py seed_demo``).

Apps that land later add their own demo data by providing ``<app>/demo.py`` with
``seed(*, organization, user, stdout)``; this module calls each in INSTALLED_APPS order.
"""

from importlib import import_module

from django.apps import apps
from django.db import transaction

from kolony.accounts.models import Membership, Organization, Role, User
from kolony.accounts.services import audit_log

DEMO_EMAIL = "demo@kolony.test"
DEMO_ORG = "Aurora Coffee Co."


@transaction.atomic
def seed_demo_org(*, password: str) -> tuple[Organization, User]:
    """Creates (or refreshes) the demo organization and its owner with ``password``."""
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=DEMO_EMAIL, password=password, full_name="Dana Demo")
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    org = Organization.objects.filter(name=DEMO_ORG, memberships__user=user).first()
    if org is None:
        org = Organization.objects.create(name=DEMO_ORG)
        audit_log(organization=org, actor=user, action="organization.created", target=org, metadata={"via": "seed_demo"})
    Membership.objects.update_or_create(user=user, organization=org, defaults={"role": Role.OWNER})
    return org, user


def seed_app_demos(*, organization, user, stdout) -> None:
    for config in apps.get_app_configs():
        if config.name == "kolony.core":
            continue
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "seed"):
            module.seed(organization=organization, user=user, stdout=stdout)
