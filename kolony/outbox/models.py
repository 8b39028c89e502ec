"""The outbox: one row per background job, written in the transaction of the change it follows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending (not yet in Redis)"
    SENT = "sent", "Sent to RQ"
    CANCELLED = "cancelled", "Cancelled before it was sent"


class OutboxMessage(models.Model):
    """An RQ job to enqueue: ``func`` (dotted path) called with ``args``/``kwargs`` on ``queue``,
    with RQ ``options`` (``job_timeout``, ``result_ttl``, ``failure_ttl`` in seconds; ``retry``: max
    retries, ``retry_intervals`` seconds; ``on_failure``/``on_success``: dotted callback paths;
    ``description``). ``rq_job_id`` is the RQ job's id, fixed when the row is written, so sending a
    row twice never makes two jobs."""

    queue = models.CharField(max_length=64)
    func = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    rq_job_id = models.CharField(max_length=128, unique=True)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts to reach Redis.")
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "job_outbox"
        ordering = ["id"]
        indexes = [models.Index(fields=["id"], condition=Q(status="pending"), name="job_outbox_pending")]
        constraints = [models.CheckConstraint(condition=Q(status__in=OutboxStatus.values), name="job_outbox_status_valid")]

    def __str__(self):
        return f"{self.func} on {self.queue} ({self.status}, {self.rq_job_id})"
