"""Tenant-scoped routes of the notifications (see tests/integration/test_tenant_isolation.py):
a notification is one person's in one organization; charlie gets 404 on alice's."""

from kolony.notifications.models import Notification, NotificationKind

OWNER_METHOD = {"notifications:read": "post", "api:notification-read": "post"}


def routes(ctx):
    note = Notification.objects.create(organization=ctx.alice_org, recipient=ctx.alice, actor=ctx.bob,
                                       kind=NotificationKind.COMMENT_MENTION, message="Bob mentioned you", url="/studio/")
    return {
        "notifications:read": {"notification_id": note.pk},
        "api:notification-read": {"pk": note.pk},
    }
