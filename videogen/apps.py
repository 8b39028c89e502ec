from django.apps import AppConfig


class VideogenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "videogen"
    verbose_name = "Video Studio"
