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
        _connect_socket_signals()
        post_save.connect(lambda sender, instance, **kw: activity_changed(instance.organization), sender=AuditEvent,
                          dispatch_uid="datacache:activity", weak=False)


def _connect_socket_signals():
    """Open WebSockets re-check their access (and close if it is gone) when a membership is
    removed or changed, a user is deactivated or changes password, or an API token is deleted."""
    from django.db.models.signals import post_delete, post_save

    from kolony.ws_auth import notify_access_changed

    from .models import ApiToken, Membership, User

    def by_user_id(sender, instance, **kwargs):
        notify_access_changed([instance.user_id])

    def user_saved(sender, instance, created, update_fields=None, **kwargs):
        if not created and (update_fields is None or {"is_active", "password"} & set(update_fields)):
            notify_access_changed([instance.pk])

    post_delete.connect(by_user_id, sender=Membership, dispatch_uid="ws:membership-deleted", weak=False)
    post_save.connect(by_user_id, sender=Membership, dispatch_uid="ws:membership-saved", weak=False)
    post_delete.connect(by_user_id, sender=ApiToken, dispatch_uid="ws:token-deleted", weak=False)
    post_save.connect(user_saved, sender=User, dispatch_uid="ws:user-saved", weak=False)
