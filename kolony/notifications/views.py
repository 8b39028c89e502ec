"""Pages of the notifications: the list (``/notifications/``), mark one read (and follow its link),
mark all read, and the bell's count as JSON (the poll when the live socket is unavailable).
Thin: writes in ``services``, reads in ``selectors``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from kolony.core.request_validation import query_params
from kolony.tenancy import current_membership, get_for_org_or_404, org_required

from . import selectors, services
from .forms import ListQuery
from .models import Notification

PER_PAGE = 30


@org_required("view")
@require_GET
def notification_list(request):
    org = current_membership(request).organization
    query = query_params(request, ListQuery)
    rows = selectors.notification_list(organization=org, user=request.user, unread_only=query["unread"])
    page = Paginator(rows, PER_PAGE).get_page(query["page"] or 1)
    unread = selectors.notification_unread_count(user_id=request.user.pk, organization_id=org.pk)
    return render(request, "notifications/list.html", {"page": page, "unread_only": query["unread"], "unread": unread})


@org_required("view")
@require_POST
def notification_read(request, notification_id: int):
    """Marks the notification read, then goes to its link (its list when it has none or ``stay``)."""
    org = current_membership(request).organization
    notification = get_for_org_or_404(Notification.objects.filter(recipient=request.user), org, pk=notification_id)
    services.notification_mark_read(notification=notification, user=request.user)
    url = selectors.safe_url(notification.url)
    if url and not request.POST.get("stay"):
        return redirect(url)
    return redirect("notifications:list")


@org_required("view")
@require_POST
def notification_read_all(request):
    org = current_membership(request).organization
    count = services.notification_mark_all_read(organization=org, user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read." if count
                     else "Everything was already read.")
    return redirect("notifications:list")


@org_required("view")
@require_GET
def notification_count(request):
    """``{"unread": n}`` for the bell of the current organization."""
    org = current_membership(request).organization
    return JsonResponse({"unread": selectors.notification_unread_count(user_id=request.user.pk, organization_id=org.pk)})
