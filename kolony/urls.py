from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from kolony.accounts import api as accounts_api
from kolony.core import media
from kolony.core import views as core_views

router = DefaultRouter()
router.register("organizations", accounts_api.OrganizationViewSet, basename="organization")
router.register("members", accounts_api.MemberViewSet, basename="member")
router.register("invitations", accounts_api.InvitationViewSet, basename="invitation")
router.register("audit-events", accounts_api.AuditEventViewSet, basename="audit-event")


def _app_installed(module: str) -> bool:
    app = module.split(".")[0]
    return app in settings.INSTALLED_APPS and find_spec(module) is not None


# Apps that land later plug in here: their pages under a prefix, their API under /api/v1/.
APP_PAGES = [("campaigns/", "campaigns.urls"), ("studio/", "videogen.urls"), ("billing/", "billing.urls"),
             ("experiments/", "campaigns.experiments.urls")]
APP_APIS = ["campaigns.api_urls", "videogen.api_urls", "billing.api_urls", "campaigns.experiments.api_urls"]

api_patterns = [
    path("auth/token/", accounts_api.token_obtain, name="token_obtain"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
api_patterns += [path("", include(module)) for module in APP_APIS if _app_installed(module)]
api_patterns += [path("", include("kolony.notifications.api_urls"))]
api_patterns += router.urls

urlpatterns = [
    path("", core_views.dashboard, name="home"),
    path("", include("kolony.core.urls")),
    path("accounts/", include("kolony.accounts.urls")),
    path("notifications/", include("kolony.notifications.urls")),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_patterns, "api"))),
]
urlpatterns += [path(prefix, include(module)) for prefix, module in APP_PAGES if _app_installed(module)]
# Customer files: never served from MEDIA_ROOT directly (in any DEBUG mode); one tenancy-checked
# view answers every one of them (kolony/core/media.py).
urlpatterns += [path(settings.MEDIA_URL.strip("/") + "/<slug:kind>/<path:key>", media.media_view, name="media")]
