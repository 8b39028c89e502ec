"""Mounted under ``/api/v1/`` by ``kolony/urls.py``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api
from .platforms import api as platforms_api

router = SimpleRouter()
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register("ad-sets", api.AdSetViewSet, basename="ad-set")
router.register("ads", api.AdViewSet, basename="ad")
router.register("insights", api.InsightViewSet, basename="insight")
router.register("renders", platforms_api.RenderPublishViewSet, basename="render-publish")  # renders/{id}/publish/ only
router.register("publications", platforms_api.PublicationViewSet, basename="publication")

urlpatterns = [
    path("kpis/", api.KpiView.as_view(), name="kpis"),
    *router.urls,
]
