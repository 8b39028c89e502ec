"""Writes of notifications.

CONTRACT (other apps call exactly this):

- ``notify(*, organization, recipients, kind, message, actor=None, url="", target=None, email=True)
  -> list[Notification]``: one notification per recipient (members of ``organization`` only;
  the actor is never told about their own action; duplicates dropped), created in the caller's
  transaction; the live bell update and the e-mail go out after commit (``transaction.on_commit``),
  and an e-mail or Redis failure never undoes the caller's work.
"""

from __future__ import annotations

from kolony.notifications.models import Notification


def notify(*, organization, recipients, kind: str, message: str, actor=None, url: str = "", target=None,
           email: bool = True) -> list[Notification]:
    """STUB until the notifications helper fills it in: stores rows only."""
    seen, made = set(), []
    for user in recipients:
        if user is None or user.pk in seen or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        made.append(Notification.objects.create(
            organization=organization, recipient=user, actor=actor, kind=kind, message=message[:500], url=url,
            target_type=target._meta.label if target is not None else "", target_id=str(target.pk) if target is not None else ""))
    return made
