from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from kolony.tenancy import org_required

from .health import health_report


@never_cache
def healthz(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


@org_required("view")
def dashboard(request):
    """The landing page: app sections (campaign results), then recent activity. Cached whole per
    viewer (``kolony.core.dashboard``)."""
    from .dashboard import dashboard_page

    return dashboard_page(request)
