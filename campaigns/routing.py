from django.urls import path

from .platforms.consumers import PublicationProgressConsumer

# Channels routes ASGI apps with Django's path(), which django-stubs types for views only.
websocket_urlpatterns = [path("ws/publications/<int:publication_id>/", PublicationProgressConsumer.as_asgi())]  # type: ignore[arg-type]
