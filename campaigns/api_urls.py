"""Mounted under ``/api/v1/`` by ``kolony/urls.py``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("ad-sets", api.AdSetViewSet, basename="ad-set")
router.register("ads", api.AdViewSet, basename="ad")
router.register("insights", api.InsightViewSet, basename="insight")

urlpatterns = [
    path("kpis/", api.KpiView.as_view(), name="kpis"),
    *router.urls,
]
