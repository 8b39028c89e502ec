from django.urls import path

from .consumers import NotificationConsumer

# Channels routes ASGI apps with Django's path(), which django-stubs types for views only.
websocket_urlpatterns = [path("ws/notifications/", NotificationConsumer.as_asgi())]  # type: ignore[arg-type]
