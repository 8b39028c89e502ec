"""Connections page routes (included from campaigns/urls.py under ``connections/``, namespace ``campaigns``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.connections_page, name="connections"),
    path("pick/", views.connection_pick, name="connection_pick"),
    path("<str:platform>/connect/", views.connection_start, name="connection_start"),
    path("<str:platform>/callback/", views.connection_callback, name="connection_callback"),
    path("<int:pk>/account/", views.connection_account, name="connection_account"),
    path("<int:pk>/disconnect/", views.connection_disconnect, name="connection_disconnect"),
]
