from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VideogenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "videogen"
    verbose_name = "Video Studio"

    def ready(self):
        from .library import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="videogen-library-sync")
