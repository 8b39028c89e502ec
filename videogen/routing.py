from django.urls import path

from .consumers import VideoJobProgressConsumer

websocket_urlpatterns = [path("ws/video-jobs/<int:job_id>/", VideoJobProgressConsumer.as_asgi())]
