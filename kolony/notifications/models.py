"""One notification for one person in one organization."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kolony.tenancy import OrgOwned


class NotificationKind(models.TextChoices):
    REVIEW_SUBMITTED = "review.submitted", "Render submitted for review"
    REVIEW_APPROVED = "review.approved", "Render approved"
    REVIEW_CHANGES_REQUESTED = "review.changes_requested", "Changes requested"
    COMMENT_MENTION = "comment.mention", "Mentioned in a comment"
    COMMENT_REPLY = "comment.reply", "Reply to your comment"
    BILLING = "billing", "Billing"
    PUBLISHING = "publishing", "Publishing"


class Notification(OrgOwned):
    """Something ``recipient`` should know: ``message`` (plain text, escaped wherever shown),
    ``url`` (a path inside Kolony), who caused it (``actor``) and what it is about
    (``target_type`` = model label, ``target_id``). Unread while ``read_at`` is null."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "organization", "read_at", "-created_at"])]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
