"""WebSocket URL routes. Apps add theirs in ``<app>/routing.py`` as ``websocket_urlpatterns``."""

from importlib import import_module

from django.conf import settings

websocket_urlpatterns = []
for _app in ("campaigns", "videogen", "billing"):
    if _app in settings.INSTALLED_APPS:
        try:
            websocket_urlpatterns += import_module(f"{_app}.routing").websocket_urlpatterns
        except ModuleNotFoundError as exc:
            if exc.name != f"{_app}.routing":
                raise
