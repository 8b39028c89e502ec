"""RQ job of the notifications: the e-mails (queued by :func:`kolony.notifications.services.notify`
through the outbox, so a Redis outage or a crash after the commit loses none)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from kolony.notifications.models import Notification
from kolony.notifications.selectors import safe_url

log = logging.getLogger(__name__)


def _message_for(notification: Notification) -> EmailMultiAlternatives:
    path = safe_url(notification.url)
    context = {
        "notification": notification,
        "organization": notification.organization,
        "link": f"{settings.KOLONY_SITE_URL}{path}" if path else "",
        "list_link": f"{settings.KOLONY_SITE_URL}/notifications/",
    }
    first_line = notification.message.splitlines()[0] if notification.message else notification.get_kind_display()
    subject = f"[{notification.organization.name}] {first_line}"
    subject = subject if len(subject) <= 120 else subject[:119] + "…"
    text = render_to_string("notifications/email.txt", context)
    html = render_to_string("notifications/email.html", context)  # autoescaped: the message is plain text
    mail = EmailMultiAlternatives(subject=subject, body=text, to=[notification.recipient.email])
    mail.attach_alternative(html, "text/html")
    return mail


def notification_emails_send(notification_ids: list[int]) -> int:
    """Sends the e-mail of each notification in ``notification_ids`` not e-mailed yet (plain text
    plus an escaped HTML alternative, to the recipient's address) and stamps ``emailed_at``.

    Each row is claimed first (``emailed_at`` set by one conditional UPDATE, so two runs of the
    same job never send one twice), then mailed outside any transaction (no network call inside
    one); a failed send gives the claim back. Returns how many were sent. A failing mail server
    raises after the others are tried, so RQ retries the job; those already sent are skipped."""
    sent, failed = 0, []
    for pk in notification_ids:
        claimed_at = timezone.now()
        if not Notification.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=claimed_at):
            continue
        row = Notification.objects.select_related("recipient", "organization").get(pk=pk)
        if not row.recipient.is_active or not row.recipient.email:
            continue
        try:
            _message_for(row).send()
        except Exception as exc:  # noqa: BLE001 - smtplib/socket errors of any kind
            log.warning("notification %s e-mail to %s not sent: %s", pk, row.recipient.email, exc)
            Notification.objects.filter(pk=pk, emailed_at=claimed_at).update(emailed_at=None)
            failed.append(pk)
            continue
        sent += 1
    if failed:
        raise RuntimeError(f"notification e-mails not sent: {failed}")
    return sent
