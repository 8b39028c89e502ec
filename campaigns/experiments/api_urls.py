"""Mounted under ``/api/v1/`` by ``kolony/urls.py``."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("experiments", api.ExperimentViewSet, basename="experiment")

urlpatterns = router.urls
