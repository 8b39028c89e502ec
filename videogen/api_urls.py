from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("video-jobs", api.VideoJobViewSet, basename="video-job")
router.register("assets", api.AssetViewSet, basename="asset")
router.register("templates", api.WorkflowTemplateViewSet, basename="workflow-template")
router.register("voices", api.VoiceViewSet, basename="voice")

urlpatterns = router.urls
