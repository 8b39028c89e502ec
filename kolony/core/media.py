"""The one road to customer files (uploads, renders, posters, storyboard keyframes, footage
keyframes, campaign ad creatives).

Nothing under ``MEDIA_ROOT`` is served as static files: every file is reached through
:func:`media_view` (``/media/<kind>/<key>``), which

1. authenticates the request — the browser's session, or an API client's
   ``Authorization: Token <key>`` header (anonymous: 302 to sign-in for a page request, 401 for a
   request that sent an ``Authorization`` header);
2. finds the file through the kind's resolver inside one of the user's organizations (fail
   closed: another organization's file, or an unknown kind or key, is 404);
3. answers it — from local storage as a ranged file response (``Range: bytes=…`` → 206 Partial
   Content, ``Accept-Ranges: bytes``, 416 when unsatisfiable, HEAD), or, on remote storage (S3),
   with a redirect to a short-lived presigned URL (the object store answers ranges itself).

Resolvers are registered in :data:`RESOLVERS` by kind; each takes ``(organization, key)`` and
returns a :class:`MediaFile` or raises ``Http404``.
"""

from __future__ import annotations

import mimetypes
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.utils.http import content_disposition_header, http_date, quote_etag
from django.views.decorators.http import require_http_methods

from kolony.tenancy import get_for_org_or_404, request_memberships, role_can

# How long a presigned object-store URL stays valid, in seconds.
PRESIGNED_SECONDS = 300


@dataclass(frozen=True)
class MediaFile:
    """A file to answer: either ``path`` (a local file) or ``storage`` + ``name`` (a Django storage
    object); ``filename`` is what a download is saved as."""

    filename: str
    content_type: str = ""
    path: Path | None = None
    storage: Any = None
    name: str = ""
    cache_seconds: int = 3600

    @classmethod
    def from_field(cls, field_file, *, filename: str = "", content_type: str = "") -> MediaFile:
        """From a ``FieldFile`` (``asset.file``, ``ad.creative``). Raises Http404 when empty."""
        if not field_file:
            raise Http404("No file.")
        return cls(filename=filename or Path(field_file.name).name, content_type=content_type,
                   storage=field_file.storage, name=field_file.name)


Resolver = Callable[[Any, str], MediaFile]
RESOLVERS: dict[str, Resolver] = {}


def register(kind: str) -> Callable[[Resolver], Resolver]:
    """Decorator: ``@register("asset") def resolve(organization, key) -> MediaFile``."""

    def decorator(resolver: Resolver) -> Resolver:
        RESOLVERS[kind] = resolver
        return resolver

    return decorator


def media_url(kind: str, key: str | int, *, download: bool = False) -> str:
    """The path of a customer file, e.g. ``/media/asset/42`` (``?download=1`` saves it)."""
    return reverse("media", args=[kind, str(key)]) + ("?download=1" if download else "")


def creative_url(ad) -> str:
    """The path of an ad's creative: ``/media/creative/<ad id>/<file name>`` for an uploaded video,
    ``/media/asset/<id>`` for a linked Studio render's format; "" when it has none."""
    if not ad.creative and getattr(ad, "creative_asset_id", None):
        return media_url("asset", ad.creative_asset_id)
    if not ad.creative:
        return ""
    return media_url("creative", f"{ad.pk}/{Path(ad.creative.name).name}")


# --- authentication and tenancy ----------------------------------------------------------------

def _authenticate(request) -> HttpResponse | None:
    """Sets ``request.user`` from an ``Authorization: Token`` header when the session has no user.
    Returns a 401 response for a bad token, None otherwise."""
    if request.user.is_authenticated or not request.META.get("HTTP_AUTHORIZATION"):
        return None
    from rest_framework.exceptions import AuthenticationFailed

    from kolony.accounts.backends import CachedTokenAuthentication

    try:
        found = CachedTokenAuthentication().authenticate(request)
    except AuthenticationFailed as exc:
        return _unauthorized(str(exc.detail))
    if found is None:
        return _unauthorized("Authentication credentials were not provided.")
    request.user = found[0]
    request.__dict__.pop("_kolony_memberships", None)
    return None


def _unauthorized(detail: str) -> HttpResponse:
    import json

    response = HttpResponse(json.dumps({"detail": detail}), status=401, content_type="application/json")
    response["WWW-Authenticate"] = "Token"
    return response


def _resolve(request, kind: str, key: str) -> MediaFile:
    """The file ``kind``/``key`` inside one of the user's organizations where their role may view.
    Raises Http404 otherwise (unknown kind, another organization's file, a malformed key)."""
    resolver = RESOLVERS.get(kind)
    if resolver is None:
        raise Http404("Not found.")
    memberships = sorted(request_memberships(request), key=lambda m: m.organization_id != _current_org_id(request))
    for membership in memberships:
        if not role_can(membership.role, "view"):
            continue
        try:
            return resolver(membership.organization, key)
        except Http404:
            continue
    raise Http404("Not found.")


def _current_org_id(request) -> int | None:
    from kolony.tenancy import SESSION_KEY

    session = getattr(request, "session", None)
    try:
        return int(session.get(SESSION_KEY)) if session is not None and session.get(SESSION_KEY) else None
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "HEAD"])
def media_view(request, kind: str, key: str):
    """``GET|HEAD /media/<kind>/<key>[?download=1]``: a customer file, tenancy-checked (see the
    module docstring). 200/206/304/416 from local storage, 302 to a presigned URL on S3; 401 for
    a bad token, 302 to sign-in when anonymous, 404 when not the user's."""
    denied = _authenticate(request)
    if denied is not None:
        return denied
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    media = _resolve(request, kind, key)
    return serve(request, media, as_attachment=request.GET.get("download") == "1")


# --- answering ---------------------------------------------------------------------------------

def _local_path(media: MediaFile) -> Path | None:
    if media.path is not None:
        return Path(media.path)
    try:
        return Path(media.storage.path(media.name))
    except NotImplementedError:  # remote storage (S3)
        return None


def serve(request, media: MediaFile, *, as_attachment: bool = False) -> HttpResponseBase:
    """Answers ``media`` for an already authorized request: a ranged local file response, or a
    redirect to the storage's short-lived URL when the storage has no local paths. Raises Http404
    when the local file is missing."""
    path = _local_path(media)
    content_type = media.content_type or mimetypes.guess_type(media.filename)[0] or "application/octet-stream"
    if path is None:
        return _presigned_redirect(media, content_type, as_attachment)
    return ranged_file_response(request, path, content_type=content_type, filename=media.filename,
                                as_attachment=as_attachment, cache_seconds=media.cache_seconds)


def _presigned_redirect(media: MediaFile, content_type: str, as_attachment: bool) -> HttpResponse:
    parameters = {"ResponseContentType": content_type,
                  "ResponseContentDisposition": content_disposition_header(as_attachment, media.filename) or ""}
    try:
        url = media.storage.url(media.name, parameters=parameters, expire=PRESIGNED_SECONDS)
    except TypeError:  # a storage whose url() takes only the name
        url = media.storage.url(media.name)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


_RANGE_RE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(ValueError):
    """The ``Range`` asks for no byte that exists (416)."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The one byte range ``(first, last)`` (inclusive) asked for by a ``Range`` header on a file of
    ``size`` bytes; None when the header should be ignored (not ``bytes=``, several ranges,
    malformed: the whole file is answered). Raises RangeNotSatisfiable when no byte of it exists."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _RANGE_RE.match(spec)
    if not match or match.groups() == ("", ""):
        return None
    first_s, last_s = match.groups()
    if first_s == "":  # suffix: the last N bytes
        length = int(last_s)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - length), size - 1
    first = int(first_s)
    last = int(last_s) if last_s else size - 1
    if last_s and last < first:
        return None
    if first >= size:
        raise RangeNotSatisfiable(header)
    return first, min(last, size - 1)


class _RangeFile:
    """Iterates ``length`` bytes of an open file from ``offset`` in 64 KiB chunks; closes it."""

    def __init__(self, handle, offset: int, length: int):
        self.handle, self.remaining = handle, length
        handle.seek(offset)

    def __iter__(self):
        while self.remaining > 0:
            chunk = self.handle.read(min(65536, self.remaining))
            if not chunk:
                break
            self.remaining -= len(chunk)
            yield chunk

    def close(self):
        self.handle.close()


def ranged_file_response(request, path: Path, *, content_type: str, filename: str, as_attachment: bool = False,
                         cache_seconds: int = 3600) -> HttpResponseBase:
    """A local file answered with HTTP range support: 200 with ``Accept-Ranges: bytes``; 206 with
    ``Content-Range: bytes first-last/size`` and the range's ``Content-Length`` for one satisfiable
    ``bytes=`` range (``If-Range`` honoured); 416 with ``Content-Range: bytes */size`` when
    unsatisfiable; 304 for a matching ``If-None-Match``. HEAD answers the same headers with no body.
    Raises Http404 when the file is missing."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 — closed by the response
        st = os.fstat(handle.fileno())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise Http404("The file is missing.") from None
    if not stat.S_ISREG(st.st_mode):
        handle.close()
        raise Http404("The file is missing.")
    size = st.st_size
    etag = quote_etag(f"{st.st_mtime_ns:x}-{size:x}")
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Last-Modified": http_date(st.st_mtime),
               "Cache-Control": f"private, max-age={cache_seconds}"}
    if etag in [t.strip() for t in request.META.get("HTTP_IF_NONE_MATCH", "").split(",")]:
        handle.close()
        not_modified = HttpResponseNotModified()
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    wanted = request.META.get("HTTP_RANGE")
    if_range = request.META.get("HTTP_IF_RANGE")
    if wanted and if_range and if_range.strip() not in (etag, headers["Last-Modified"]):
        wanted = None  # the file changed since the client's partial copy: send it whole
    try:
        byte_range = parse_range(wanted, size) if wanted else None
    except RangeNotSatisfiable:
        handle.close()
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    response: HttpResponseBase
    if byte_range is None:
        if request.method == "HEAD":
            handle.close()
            response = HttpResponse(content_type=content_type)
        else:
            response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = byte_range
        length = last - first + 1
        if request.method == "HEAD":
            handle.close()
            response = HttpResponse(content_type=content_type, status=206)
        else:
            response = FileResponse(_RangeFile(handle, first, length), content_type=content_type, status=206)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(length)
    for name, value in headers.items():
        response[name] = value
    disposition = content_disposition_header(as_attachment, filename)
    if disposition:
        response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the customer files -----------------------------------------------------------------------

def _int_key(key: str) -> int:
    from kolony.core.request_validation import parse_id

    number = parse_id(key)  # "²" and 30-digit keys are not ids (they would end in a 500)
    if number is None:
        raise Http404("Not found.")
    return number


@register("asset")
def _asset(organization, key: str) -> MediaFile:
    """``/media/asset/<id>``: an upload, render MP4, poster or footage keyframe."""
    from videogen.models import Asset

    asset = get_for_org_or_404(Asset, organization, pk=_int_key(key))
    return MediaFile.from_field(asset.file, filename=asset.original_name or Path(asset.file.name).name,
                                content_type=asset.content_type)


@register("creative")
def _creative(organization, key: str) -> MediaFile:
    """``/media/creative/<ad id>[/<file name>]``: a campaign ad's uploaded video creative."""
    from campaigns.models import Ad

    ad = get_for_org_or_404(Ad, organization, pk=_int_key(key.split("/", 1)[0]))
    if not ad.creative and ad.creative_asset_id:  # a linked Studio render: its format's MP4
        return _asset(organization, str(ad.creative_asset_id))
    return MediaFile.from_field(ad.creative)


@register("keyframe")
def _keyframe(organization, key: str) -> MediaFile:
    """``/media/keyframe/<job id>/<ratio slug>/<scene number>.png``: a storyboard keyframe of the
    job's current plan (made on first request)."""
    match = re.fullmatch(r"(\d+)/(\d+x\d+)/(\d+)(?:\.png)?", key)
    if not match:
        raise Http404("Not found.")
    from videogen.models import VideoJob
    from videogen.storyboards import keyframe_path

    job = get_for_org_or_404(VideoJob, organization, pk=int(match.group(1)))
    path = keyframe_path(job, match.group(2), int(match.group(3)))
    return MediaFile(filename=f"job-{job.pk}-{match.group(2)}-scene{int(match.group(3))}.png", content_type="image/png",
                     path=path)

