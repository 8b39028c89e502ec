from django.apps import AppConfig
from django.db.models.signals import pre_delete


def _allow_ledger_purge(sender, instance, using, **kwargs):
    """Deleting an organization deletes its ledger rows (the append-only trigger allows it for this
    transaction only: ``set_config(..., true)`` is local to the transaction)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('kolony.ledger_purge', 'on', true)")


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        pre_delete.connect(_allow_ledger_purge, sender="accounts.Organization", dispatch_uid="billing-ledger-purge")
