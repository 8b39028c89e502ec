from rest_framework.routers import SimpleRouter

from . import api
from .review import api as review_api
from .review import comments_api, policy_api
from .variants import api as variants_api

router = SimpleRouter()
router.register("video-jobs", api.VideoJobViewSet, basename="video-job")
router.register("assets", api.AssetViewSet, basename="asset")
router.register("templates", api.WorkflowTemplateViewSet, basename="workflow-template")
router.register("voices", api.VoiceViewSet, basename="voice")
router.register("renders", review_api.RenderReviewViewSet, basename="render")
router.register("policy-findings", policy_api.PolicyFindingViewSet, basename="policy-finding")
router.register("variant-sets", variants_api.VariantSetViewSet, basename="variant-set")  # issue 17

urlpatterns = router.urls + comments_api.urlpatterns  # renders/{id}/comments/, comments/{id}/resolve/
