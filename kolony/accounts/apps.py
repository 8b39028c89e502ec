from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kolony.accounts"
    label = "accounts"
    verbose_name = "Accounts and teams"

    def ready(self):
        from django.db.models.signals import post_save

        from kolony.datacache import activity_changed

        from . import identity
        from .models import AuditEvent

        identity.connect_signals()
        post_save.connect(lambda sender, instance, **kw: activity_changed(instance.organization), sender=AuditEvent,
                          dispatch_uid="datacache:activity", weak=False)
