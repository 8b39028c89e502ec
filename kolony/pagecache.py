"""Whole-response caching for the campaign list page, ``GET /api/v1/campaigns/`` and the dashboard
(whole page, and its campaigns section shared by every viewer).

A cached body is stored with its organization's data version (:mod:`kolony.datacache`) and served
only while that version is current, so any write of campaign data retires it at once. Its key is

    (kind, organization, render version, role group, day, normalized query string, ...)

- *kind*: which page or fragment (``list:content``, ``list:table``, ``api:list``, ``dashboard``);
- *render version*: a hash of the code and templates that produce the body, so a deploy never
  serves bodies rendered by the previous release;
- *role group*: what the viewer's role changes in the body (e.g. editors get the bulk actions);
- *day*: today's date, for pages whose numbers cover "the last N days";
- *normalized query string*: the GET parameters sorted (``?b=2&a=1`` and ``?a=1&b=2`` share).

Per-request bits never enter a cached body: the CSRF token is rendered as
:data:`CSRF_PLACEHOLDER` and swapped for the request's own token when served. The list page is
cached whole (``list:page``: frame and content) per viewer as well, keyed by :func:`frame_key`
(path, user, their memberships and current organization, all loaded by the tenancy check that
runs first), so a hit is one Redis round trip after authentication; the content alone
(``list:content``) is cached per role group and shared by every viewer, so a first visit only
renders the frame. A request with pending messages bypasses the cache (the frame shows them).

Responses carry ``X-Kolony-Cache: hit`` or ``miss`` (absent when the cache was not used).

Every cached page goes through one protocol, :func:`lookup` then :meth:`Entries.get_or_render`
(or :func:`get_or_render` for a single key): read the organization's version and the wanted
bodies in one round trip, serve what is stored at that version, render and store the rest at the
version read *before* rendering (so a write racing the render retires the stored body).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.middleware.csrf import get_token
from django.utils.safestring import mark_safe

from .datacache import shared, versioned_get, versioned_set

#: Stands for the CSRF token in cached bodies. A ``<`` can only come from a template, never from
#: escaped data (a campaign named like this renders as ``&lt;kolony-csrf-token/&gt;``).
CSRF_PLACEHOLDER = mark_safe("<kolony-csrf-token/>")
PAGE_TIMEOUT = 300  # seconds a cached body may live (versions make it correct; this bounds memory)
HEADER = "X-Kolony-Cache"


def usable(request, *, messages: bool = True) -> bool:
    """Whether ``request`` may be answered from (and stored in) the page cache: a GET, a cache
    shared by every process and, for pages (``messages``), no messages waiting to be shown."""
    if request.method != "GET" or not shared():
        return False
    if not messages:
        return True
    storage = getattr(request, "_messages", None)
    return storage is None or len(storage) == 0


def query_key(request, only: tuple[str, ...] | None = None) -> str:
    """The GET parameters (those in ``only`` when given), sorted by name then value, url-encoded."""
    items = sorted((k, v) for k, values in request.GET.lists() if only is None or k in only for v in values)
    return urlencode(items)


@lru_cache(maxsize=1)
def render_version() -> str:
    """Hash (12 hex digits) of the code and templates that produce cached pages: ``kolony/``
    (frame, dashboard, accounts), ``campaigns/`` and every template."""
    base = Path(settings.BASE_DIR)
    files = sorted((base / "kolony").rglob("*.py")) + sorted((base / "campaigns").rglob("*.py"))
    files += sorted((base / "templates").rglob("*.html"))
    digest = hashlib.sha1(usedforsecurity=False)
    for path in files:
        try:
            digest.update(path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:12]


def entry_key(kind: str, organization, *parts) -> str:
    """Cache key of one cached body of ``organization``; ``parts`` are whatever the body depends
    on besides the organization's data (role group, day, query string...)."""
    raw = "\x1f".join(str(p) for p in parts)
    return f"page:{kind}:{organization.pk}:{render_version()}:{hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:24]}"


def frame_key(request) -> str:
    """What the page frame (``base.html``: navigation, organization switcher, user menu) shows to
    this request, as one string for :func:`entry_key`: the path (the active section), the user
    (id, short name, staff flag) and each of their memberships (organization id and name, role)
    plus the current one. All of it comes from objects the request has already loaded for the
    tenancy check, so a renamed organization, a changed role or a new membership gives a new key
    at once, with no query and no version to bump — except the header bell, whose version counter
    (:func:`kolony.notifications.selectors.bell_version`) is one cache read."""
    from kolony.tenancy import current_membership, request_memberships

    user = request.user
    current = current_membership(request)
    memberships = tuple((m.organization_id, m.organization.name, m.role) for m in request_memberships(request))
    # the header bell: a counter in this cache that every new or read notification bumps (no SQL)
    from kolony.notifications.selectors import bell_version

    bell = bell_version(user_id=user.pk, organization_id=current.organization_id) if current else None
    return repr((request.path, user.pk, user.get_short_name(), user.is_staff, current.organization_id if current else None,
                 memberships, bell))


def with_csrf(html: str, request) -> str:
    """``html`` with :data:`CSRF_PLACEHOLDER` replaced by the request's CSRF token (which, as
    when a template renders ``{% csrf_token %}``, also makes the response set the CSRF cookie)."""
    if CSRF_PLACEHOLDER not in html:
        return html
    return html.replace(CSRF_PLACEHOLDER, get_token(request))


class Entries:
    """The bodies of one :func:`lookup`: what the cache holds for its keys at ``version``."""

    def __init__(self, version, found: dict):
        self.version = version
        self.found = found

    def get(self, key: str | None):
        """The stored body of ``key`` (None when absent, stale, or ``key`` is None)."""
        return self.found.get(key) if key is not None else None

    def store(self, key: str, value, timeout: int = PAGE_TIMEOUT) -> None:
        """Stores ``value`` for ``key`` at the version read by the lookup (nothing without a cache)."""
        versioned_set(key, self.version, value, timeout)
        self.found[key] = value

    def get_or_render(self, key: str, render, timeout: int = PAGE_TIMEOUT) -> tuple:
        """``(body, "hit")`` when stored, else ``(render(), "miss")`` after storing it."""
        value = self.get(key)
        if value is not None:
            return value, "hit"
        value = render()
        self.store(key, value, timeout)
        return value, "miss"


def lookup(organization, keys: list[str | None], *, scope: str | tuple[str, ...] = "data") -> Entries:
    """One round trip: the organization's ``scope`` version(s) and the bodies of ``keys`` (None
    keys are skipped) stored at it. Without a working cache, an empty :class:`Entries` whose
    ``store`` does nothing."""
    version, found = versioned_get(organization, [k for k in keys if k is not None], scope=scope)
    return Entries(version, found)


def get_or_render(organization, key: str, render, *, scope: str | tuple[str, ...] = "data",
                  timeout: int = PAGE_TIMEOUT) -> tuple:
    """``(body, "hit" | "miss")`` for one cached body of ``organization``: see :class:`Entries`."""
    return lookup(organization, [key], scope=scope).get_or_render(key, render, timeout)
