"""Page views of the comments on a render's review page: post a comment or reply, resolve, reopen.

With htmx (``HX-Request``) each answers the comments panel (``videogen/review/_comments_panel.html``),
re-rendered with the form's errors and the text kept on bad input; without it, a redirect back to
the review page (to the new comment) with the outcome as a flash message. Thin: the rules are in
:mod:`videogen.review.comments`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from kolony.core.service_errors import error_messages, errors_as_text
from kolony.tenancy import current_membership, get_for_org_or_404, org_required
from videogen.models import Render

from . import comments
from .models import RenderComment


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _review_url(render: Render, anchor: str = "comments") -> str:
    return f"{reverse('videogen:review', args=[render.pk])}#{anchor}"


def _panel(request, render: Render, *, errors=None, data=None) -> HttpResponse:
    from videogen.templatetags.comment_tags import comments_panel_context

    context = comments_panel_context(request=request, render=render, errors=errors, data=data)
    return HttpResponse(render_to_string("videogen/review/_comments_panel.html", context, request=request))


def _render_of(request, render_id: int) -> Render:
    org = current_membership(request).organization
    return get_for_org_or_404(Render.objects.select_related("job__organization"), org, pk=render_id)


def _comment_of(request, comment_id: int) -> RenderComment:
    org = current_membership(request).organization
    return get_for_org_or_404(RenderComment.objects.select_related("render__job__organization"), org, pk=comment_id)


@org_required("view")
@require_POST
def comment_post(request, render_id: int) -> HttpResponse:
    """POST ``body``, ``timecode_seconds``, ``aspect_ratio``, ``parent`` (all but body optional)."""
    render = _render_of(request, render_id)
    data = {key: request.POST.get(key, "") for key in ("body", "timecode_seconds", "aspect_ratio", "parent")}
    try:
        comment = comments.comment_create(render=render, author=request.user, body=data["body"],
                                          timecode_seconds=data["timecode_seconds"], aspect_ratio=data["aspect_ratio"],
                                          parent=data["parent"] or None)
    except ValidationError as exc:
        if _htmx(request):
            return _panel(request, render, errors=error_messages(exc), data=data)  # 200: htmx swaps only 2xx
        for message in errors_as_text(exc):
            messages.error(request, message)
        return redirect(_review_url(render))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(_review_url(render))
    if _htmx(request):
        return _panel(request, render)
    messages.success(request, "Reply posted." if comment.parent_id else "Comment posted.")
    return redirect(_review_url(render, f"comment-{comment.pk}"))


def _resolution(request, comment_id: int, service, done: str) -> HttpResponse:
    comment = _comment_of(request, comment_id)
    try:
        service(comment=comment, user=request.user)
    except PermissionDenied as exc:
        if _htmx(request):
            return _panel(request, comment.render, errors={"__all__": [str(exc)]})
        messages.error(request, str(exc))
    else:
        if _htmx(request):
            return _panel(request, comment.render)
        messages.success(request, done)
    return redirect(_review_url(comment.render, f"comment-{comment.pk}"))


@org_required("view")
@require_POST
def comment_resolve(request, comment_id: int) -> HttpResponse:
    return _resolution(request, comment_id, comments.comment_resolve, "Comment resolved.")


@org_required("view")
@require_POST
def comment_unresolve(request, comment_id: int) -> HttpResponse:
    return _resolution(request, comment_id, comments.comment_unresolve, "Comment reopened.")
