"""Reads of notifications: always one person's, in one organization."""

from __future__ import annotations

from django.db.models import QuerySet

from kolony.notifications.models import Notification
from kolony.tenancy import org_queryset


def notification_list(*, organization, user, unread_only: bool = False) -> QuerySet[Notification]:
    """``user``'s notifications in ``organization``, newest first (actor loaded); only the unread
    ones when ``unread_only``. Empty for a missing organization or an anonymous user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = org_queryset(Notification, organization).filter(recipient=user).select_related("actor")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notification_unread_count(*, user_id: int, organization_id: int) -> int:
    """How many unread notifications ``user_id`` has in ``organization_id`` (the bell's number)."""
    return Notification.objects.filter(recipient_id=user_id, organization_id=organization_id, read_at__isnull=True).count()


def notification_as_dict(notification: Notification) -> dict:
    """``{"id", "kind", "message", "url", "created_at" (ISO 8601), "read": bool}`` — what the bell's
    live update carries (plain text; the page inserts it as text, never as HTML)."""
    return {"id": notification.pk, "kind": notification.kind, "message": notification.message,
            "url": notification.url, "created_at": notification.created_at.isoformat() if notification.created_at else None,
            "read": notification.read_at is not None}


def safe_url(url: str) -> str:
    """``url`` when it is a path inside Kolony (``/…``, not ``//host``), else ``""`` — a notification's
    link never leaves the site."""
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""



def bell_version_key(user_id: int, organization_id: int) -> str:
    return f"ver:bell:{int(user_id)}:{int(organization_id)}"


def bell_version(*, user_id: int, organization_id: int):
    """A counter (in the shared page cache, :mod:`kolony.datacache`) that changes whenever the
    header bell of ``user_id`` in ``organization_id`` would show something else (a notification
    made or read): cached page frames are keyed by it (:func:`kolony.pagecache.frame_key`), so a
    cache hit needs no SQL. None when the cache is unavailable."""
    from kolony import datacache

    key = bell_version_key(user_id, organization_id)
    try:
        found = {key: datacache._backend().get(key)}
    except Exception:  # noqa: BLE001 - cache down: no version, pages are not cached then
        return None
    return datacache.current_version(found, key)
