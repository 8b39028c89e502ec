"""Variant test pages, included by ``videogen/urls.py`` (names in the ``videogen`` namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("jobs/<int:job_id>/variants/new/", views.variant_new, name="variant_new"),
    path("variants/<int:set_id>/", views.variant_set_detail, name="variant_set"),
    path("variants/<int:set_id>/submit/", views.variant_set_submit, name="variant_set_submit"),
    path("variants/<int:set_id>/approve/", views.variant_set_approve, name="variant_set_approve"),
    path("variants/<int:set_id>/publish/", views.variant_set_publish, name="variant_set_publish"),
]
