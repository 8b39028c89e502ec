"""Writes of notifications.

CONTRACT (other apps call exactly this):

- ``notify(*, organization, recipients, kind, message, actor=None, url="", target=None, email=True)
  -> list[Notification]``: one notification per recipient (members of ``organization`` only;
  the actor is never told about their own action; duplicates dropped), created in the caller's
  transaction; the live bell update and the e-mail go out after commit (``transaction.on_commit``),
  and an e-mail or Redis failure never undoes the caller's work.

How each leg goes out:

- **live**: after the commit, one ``notification.new`` message per recipient on the Channels group
  :func:`notification_group` (user × organization), which every open page of that person in that
  organization listens to (:mod:`kolony.notifications.consumers`); a Redis failure is logged.
- **e-mail**: an outbox job (:func:`kolony.outbox.services.enqueue_on_commit`, queue ``default``)
  runs :func:`kolony.notifications.tasks.notification_emails_send`, which sends a plain-text e-mail
  with an escaped HTML alternative through Django's mail (``EMAIL_BACKEND``: console by default,
  SMTP per ``EMAIL_*`` settings) and stamps ``emailed_at`` so a retried job never sends twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from kolony.notifications.models import Notification

log = logging.getLogger(__name__)

#: The e-mail job's dotted path (run on the ``default`` RQ queue).
EMAIL_TASK = "kolony.notifications.tasks.notification_emails_send"


def notification_group(user_id: int, organization_id: int) -> str:
    """The Channels group of one person's bell in one organization."""
    return f"kolony-notifications-{int(user_id)}-{int(organization_id)}"


def _member_ids(organization, user_ids: set[int]) -> set[int]:
    from kolony.accounts.models import Membership

    return set(Membership.objects.filter(organization=organization, user_id__in=user_ids).values_list("user_id", flat=True))


def _push(user_id: int, organization_id: int, payload: dict) -> None:
    """Sends ``payload`` to the bell group; never raises (Redis down: the next page load or poll
    shows the count)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(notification_group(user_id, organization_id),
                                        {"type": "notification.update", "payload": payload})
    except Exception as exc:  # noqa: BLE001 - any Redis/connection error
        log.warning("live notification to user %s not sent: %s", user_id, exc)


def push_unread_count(*, user_id: int, organization_id: int, notification: Notification | None = None) -> None:
    """Sends ``{"type": "notifications", "unread": n, "notification": {...} | None}`` to the bell
    of ``user_id`` in ``organization_id`` right away (call it after commit). Never raises."""
    from kolony.notifications.selectors import notification_as_dict, notification_unread_count

    try:
        unread = notification_unread_count(user_id=user_id, organization_id=organization_id)
    except Exception as exc:  # noqa: BLE001 - the database went away after commit: nothing to push
        log.warning("unread count of user %s not computed: %s", user_id, exc)
        return
    _push(user_id, organization_id, {"type": "notifications", "unread": unread,
                                     "notification": notification_as_dict(notification) if notification else None})


def _pusher(item: Notification):
    def push() -> None:
        push_unread_count(user_id=item.recipient_id, organization_id=item.organization_id, notification=item)

    return push


def bell_changed(pairs) -> None:
    """Retires cached page frames showing the bells of ``pairs`` ((user id, organization id)...):
    bumps their bell versions now and after commit (:func:`kolony.datacache.bump_now_and_on_commit`)."""
    from kolony.datacache import bump_now_and_on_commit

    from .selectors import bell_version_key

    keys = sorted({bell_version_key(u, o) for u, o in pairs})
    if keys:
        bump_now_and_on_commit(keys)


def _after_commit(made: list[Notification], email: bool) -> None:
    bell_changed((n.recipient_id, n.organization_id) for n in made)
    for item in made:
        transaction.on_commit(_pusher(item))
    if email and made:
        from kolony.outbox.services import enqueue_on_commit

        try:
            enqueue_on_commit("default", EMAIL_TASK, [n.pk for n in made], retry=3, retry_intervals=[30, 120, 600],
                              description=f"notification e-mails {[n.pk for n in made]}")
        except Exception as exc:  # noqa: BLE001 - a misconfigured queue must not undo the caller
            log.warning("notification e-mails not queued: %s", exc)


def notify(*, organization, recipients: Iterable, kind: str, message: str, actor=None, url: str = "", target=None,
           email: bool = True) -> list[Notification]:
    """One :class:`Notification` per recipient, in the caller's transaction (see the module's CONTRACT).

    ``recipients``: users (None entries skipped); those who are not members of ``organization``,
    the ``actor`` and repeats are dropped. ``message``: plain text (cut to 500 characters; it is
    escaped wherever shown). ``url``: a path inside Kolony (cut to 300). ``target``: any model
    instance (stored as its label and pk). Returns the rows made, in recipient order.
    Raises ``ValueError`` for an unknown ``kind`` (see :class:`NotificationKind`)."""
    from kolony.notifications.models import NotificationKind

    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind {kind!r}; known: {', '.join(NotificationKind.values)}.")
    wanted: list = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.pk is None or user.pk in seen or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        wanted.append(user)
    members = _member_ids(organization, seen) if seen else set()
    rows = [Notification(organization=organization, recipient=user, actor=actor, kind=kind, message=str(message)[:500],
                         url=str(url or "")[:300], target_type=target._meta.label if target is not None else "",
                         target_id=str(target.pk) if target is not None else "")
            for user in wanted if user.pk in members]
    made = Notification.objects.bulk_create(rows) if rows else []
    _after_commit(made, email)
    return made


@transaction.atomic
def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Marks ``notification`` (which must be ``user``'s own) read; already read stays as it was.
    Raises ``PermissionDenied`` when it is someone else's. Pushes the new count after commit."""
    from django.core.exceptions import PermissionDenied

    if notification.recipient_id != user.pk:
        raise PermissionDenied("This notification is someone else's.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    user_id, org_id = notification.recipient_id, notification.organization_id
    bell_changed([(user_id, org_id)])
    transaction.on_commit(lambda: push_unread_count(user_id=user_id, organization_id=org_id))
    return notification


@transaction.atomic
def notification_mark_all_read(*, organization, user) -> int:
    """Marks every unread notification of ``user`` in ``organization`` read; returns how many.
    Pushes the new count (0) after commit."""
    count = Notification.objects.filter(organization=organization, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now())
    user_id, org_id = user.pk, organization.pk
    if count:
        bell_changed([(user_id, org_id)])
    transaction.on_commit(lambda: push_unread_count(user_id=user_id, organization_id=org_id))
    return count
