from django.urls import path

from .consumers import VideoJobProgressConsumer

# Channels routes ASGI apps with Django's path(), which django-stubs types for views only.
websocket_urlpatterns = [path("ws/video-jobs/<int:job_id>/", VideoJobProgressConsumer.as_asgi())]  # type: ignore[arg-type]
