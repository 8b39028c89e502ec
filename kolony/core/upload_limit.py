"""Upload size limit checked from ``Content-Length`` before any byte of the body is read.

Django parses a multipart body (spooling its files to disk) the first time anything touches
``request.POST`` or ``request.FILES`` — the CSRF check does, before the view — so a view's own size
check only answers after a 201 MB upload has been read whole. :class:`UploadSizeLimitMiddleware`
sits before the CSRF middleware and answers 413 at once when the declared body is larger than the
upload limit (``KOLONY_MAX_UPLOAD_MB``; ad creatives: ``KOLONY_CREATIVE_MAX_BYTES``) plus
:data:`MULTIPART_OVERHEAD` for the form's other fields. Under ASGI (daphne), whose handler reads the
whole body before any middleware, :class:`ASGIUploadSizeLimit` does the same in front of Django.
The reverse proxy in front should refuse larger bodies itself (nginx ``client_max_body_size``).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

MULTIPART_OVERHEAD = 64 * 1024  # bytes: boundaries, part headers and the form's other (small) fields


def max_upload_bytes() -> int:
    """The largest file accepted (``KOLONY_MAX_UPLOAD_MB`` MiB), in bytes."""
    return int(getattr(settings, "KOLONY_MAX_UPLOAD_MB", 200)) * 1024 * 1024


# URL names whose uploads are campaign ad creatives (limit ``KOLONY_CREATIVE_MAX_BYTES``).
CREATIVE_ROUTES = frozenset({"campaigns:ad_create", "campaigns:ad_edit", "api:ad-list", "api:ad-detail"})


def file_limit_for(path: str) -> int:
    """The largest file the route at ``path`` accepts, in bytes: ad creatives
    (``KOLONY_CREATIVE_MAX_BYTES``) or every other upload (``KOLONY_MAX_UPLOAD_MB``)."""
    from django.urls import Resolver404, resolve

    try:
        route = resolve(path).view_name
    except Resolver404:
        return max_upload_bytes()
    if route in CREATIVE_ROUTES:
        from campaigns.validators import creative_max_bytes

        return creative_max_bytes()
    return max_upload_bytes()


def refused_limit(path: str, content_length: str | bytes | None) -> int | None:
    """The file limit (bytes) that a request to ``path`` declaring ``content_length`` breaks, or
    None when it is within it (or declares no length)."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return None
    if length <= max_upload_bytes() + MULTIPART_OVERHEAD:
        return None
    limit = file_limit_for(path)
    return limit if length > limit + MULTIPART_OVERHEAD else None


def refusal(path: str, accept: str, length: int, limit: int) -> tuple[bytes, str]:
    """The 413 body and its content type: a short page for a browser, JSON otherwise."""
    message = too_large_message(length, limit)
    if not path.startswith("/api/") and "text/html" in accept:
        page = (f"<!doctype html><title>Upload too large</title><h1>Upload too large</h1><p>{escape(message)}</p>"
                '<p><a href="javascript:history.back()">Back</a></p>')
        return page.encode(), "text/html; charset=utf-8"
    return json.dumps({"detail": message, "errors": {"file": [message]}}).encode(), "application/json"


def too_large_message(length: int, limit: int) -> str:
    return (f"The upload is {length / 1048576:.1f} MB; the limit is {limit // 1048576} MB per file. "
            "Upload a smaller or shorter file.")


class UploadSizeLimitMiddleware:
    """413 Payload Too Large, naming the limit, for a request whose ``Content-Length`` exceeds its
    route's file limit (:func:`file_limit_for`) plus :data:`MULTIPART_OVERHEAD` — JSON
    ``{"detail", "errors": {"file": [...]}}`` for the API and scripts, a short page for a browser
    form. The body is never read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        limit = refused_limit(request.path_info, request.META.get("CONTENT_LENGTH"))
        if limit is None:
            return self.get_response(request)
        length = int(request.META["CONTENT_LENGTH"])
        body, content_type = refusal(request.path_info, request.META.get("HTTP_ACCEPT", ""), length, limit)
        response = HttpResponse(body, status=413, content_type=content_type)
        response["Connection"] = "close"  # the unread body is not drained
        return response


class ASGIUploadSizeLimit:
    """The same check in front of Django's ASGI handler (daphne), which reads the whole body into a
    temporary file before any middleware runs: 413 from the ``content-length`` header, the body
    never received."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = {k.lower(): v for k, v in scope.get("headers", [])}
            path = scope.get("path", "")
            limit = refused_limit(path, headers.get(b"content-length"))
            if limit is not None:
                length = int(headers[b"content-length"])
                body, content_type = refusal(path, headers.get(b"accept", b"").decode("latin-1"), length, limit)
                await send({"type": "http.response.start", "status": 413, "headers": [
                    (b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
