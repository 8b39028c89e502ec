"""WebSocket URL routes. Apps add theirs in ``<app>/routing.py`` as ``websocket_urlpatterns``;
any other path (``/ws/video-jobs/abc/``) is refused at the handshake (close code 4404), not a 500."""

from importlib import import_module

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.urls import re_path

CLOSE_NOT_FOUND = 4404


class NoRouteConsumer(AsyncWebsocketConsumer):
    """Refuses the handshake of a path no app routes."""

    async def connect(self):
        await self.close(code=CLOSE_NOT_FOUND)


websocket_urlpatterns = []
for _app in ("campaigns", "videogen", "billing", "kolony.notifications"):
    if _app in settings.INSTALLED_APPS:
        try:
            websocket_urlpatterns += import_module(f"{_app}.routing").websocket_urlpatterns
        except ModuleNotFoundError as exc:
            if exc.name != f"{_app}.routing":
                raise
# Channels routes ASGI apps with Django's path()/re_path(), which django-stubs types for views only.
websocket_urlpatterns.append(re_path(r"", NoRouteConsumer.as_asgi()))  # type: ignore[arg-type]
