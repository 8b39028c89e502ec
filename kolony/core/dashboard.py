"""What the dashboard shows, and its whole-page cache.

Each installed app may provide ``<app>.dashboard.section(request)`` returning a dict
``{"template": str, **context}``; sections render in INSTALLED_APPS order. Below them: the
organization's latest audit events ("Recent activity").

**Page cache.** The whole page (frame included) is cached per viewer like the campaign list
(:mod:`kolony.pagecache`): keyed by the frame (:func:`kolony.pagecache.frame_key`: path, user, their
memberships and current organization), the query string and the current minute (the activity list
says "3 minutes ago"), and stored with the organization's ``data`` and ``activity`` versions
(:mod:`kolony.datacache`), so a campaign edit, an insights sync or a new audit event retires it at
once. A hit is one Redis round trip after authentication. It is on only when every section
module declares, in ``PAGE_CACHE_SCOPES``, the versions that retire its content (a section that
does not is rendered fresh on every request, and so is the page around it).
"""

from functools import cache
from importlib import import_module

from django.apps import apps
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from kolony import pagecache
from kolony.accounts.selectors import audit_event_list, member_list
from kolony.datacache import ACTIVITY
from kolony.tenancy import current_membership

PAGE_SCOPES = ("data", ACTIVITY)
TEMPLATE = "core/dashboard.html"


@cache
def section_modules() -> tuple:
    """The ``<app>.dashboard`` modules that define ``section`` (INSTALLED_APPS order)."""
    out = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.dashboard")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.dashboard":
                raise
            continue
        if hasattr(module, "section") and module.__name__ != __name__:
            out.append(module)
    return tuple(out)


@cache
def page_cacheable() -> bool:
    """Whether every section's content is retired by the versions the page is stored with."""
    return all(set(getattr(m, "PAGE_CACHE_SCOPES", ("?",))) <= set(PAGE_SCOPES) for m in section_modules())


def dashboard_context(request) -> dict:
    org = current_membership(request).organization
    sections = [s for s in (m.section(request) for m in section_modules()) if s]
    return {
        "sections": sections,
        "member_count": member_list(organization=org).count,  # called by the template only when shown
        "recent_events": audit_event_list(organization=org)[:8],
    }


def dashboard_page(request) -> HttpResponse:
    """The dashboard for ``request`` (a member of its current organization), from the page
    cache when it holds it; ``X-Kolony-Cache`` says ``hit`` or ``miss``."""
    if not (pagecache.usable(request) and page_cacheable()):
        response = HttpResponse(render_to_string(TEMPLATE, dashboard_context(request), request))
        if getattr(request, "kolony_cache", None):
            response[pagecache.HEADER] = request.kolony_cache
        return response
    organization = current_membership(request).organization
    minute = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    key = pagecache.entry_key("dashboard:page", organization, minute, pagecache.query_key(request),
                              pagecache.frame_key(request))
    html, status = pagecache.get_or_render(organization, key, lambda: render_to_string(
        TEMPLATE, {**dashboard_context(request), "csrf_token": pagecache.CSRF_PLACEHOLDER}, request), scope=PAGE_SCOPES)
    return HttpResponse(pagecache.with_csrf(html, request), headers={pagecache.HEADER: status})
