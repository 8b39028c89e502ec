from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from kolony.tenancy import org_required

from .health import health_report


@never_cache
def healthz(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


@org_required("view")
def dashboard(request):
    """The landing page. Apps that land later (campaigns) extend it through ``dashboard_sections``."""
    from .dashboard import dashboard_context

    response = render(request, "core/dashboard.html", dashboard_context(request))
    if getattr(request, "kolony_cache", None):  # a section answered from the page cache (hit/miss)
        response["X-Kolony-Cache"] = request.kolony_cache
    return response
