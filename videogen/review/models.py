"""Review data of a render version: comments (optionally pinned to a time code and a format) and
the policy findings of its latest check. Imported by :mod:`videogen.models` (app label videogen)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReviewStatus(models.TextChoices):
    """A render version's review state: draft → in_review → changes_requested | approved, then
    (campaigns.platforms.publishing) approved → publishing → published | publish_failed. A render
    that is approved or later is frozen."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    PUBLISH_FAILED = "publish_failed", "Publish failed"


#: States of a render a team signed off: its files and snapshots never change (freezing), and it
#: counts as "approved" wherever an approved version is looked for (approvals page, comparisons).
APPROVED_STATES = ("approved", "publishing", "published", "publish_failed")


class RenderComment(models.Model):
    """A comment on one render version. ``timecode_seconds`` (0.1 s steps, 0 ≤ t ≤ the render's
    duration) and ``aspect_ratio`` (one of the render's formats) pin it to a frame; ``parent``
    makes it a reply (one level: a reply's parent is a top-level comment of the same render).
    ``mentions`` are the teammates @mentioned in ``body`` (members of the render's organization)."""

    organization_lookup = "render__job__organization"

    render = models.ForeignKey("videogen.Render", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=4000)
    timecode_seconds = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    aspect_ratio = models.CharField(max_length=8, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "render_comments"
        ordering = ["render_id", "created_at", "id"]
        indexes = [models.Index(fields=["render", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(timecode_seconds__isnull=True) | Q(timecode_seconds__gte=0),
                                   name="render_comment_timecode_non_negative"),
            models.CheckConstraint(condition=~Q(body=""), name="render_comment_body_not_empty"),
        ]

    def __str__(self):
        return f"Comment {self.pk} on render {self.render_id}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class Severity(models.TextChoices):
    BLOCKING = "blocking", "Blocking"
    WARNING = "warning", "Warning"


class PolicyFinding(models.Model):
    """One finding of a render's latest policy check (:mod:`videogen.review.policy`).

    ``rule`` is the rule's id (e.g. ``claims.guaranteed_results``), ``source_url`` the platform
    policy or spec page it comes from. Where: ``scene_key`` (the plan's scene id), ``timecode_seconds``,
    ``aspect_ratio``, ``field`` (``on_screen_text``, ``voiceover``, ``captions``, ``landing_url``, …).
    ``fingerprint`` identifies the same finding across re-checks of one render, so a warning a
    reviewer accepted (``accepted_*``, with a reason) stays accepted. ``stage`` says which check
    found it (``submit`` or ``publish``)."""

    organization_lookup = "render__job__organization"

    render = models.ForeignKey("videogen.Render", on_delete=models.CASCADE, related_name="policy_findings")
    rule = models.CharField(max_length=64)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message = models.CharField(max_length=500)
    source_url = models.URLField(max_length=300, blank=True)
    scene_key = models.CharField(max_length=40, blank=True)
    timecode_seconds = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    aspect_ratio = models.CharField(max_length=8, blank=True)
    placement = models.CharField(max_length=40, blank=True)
    field = models.CharField(max_length=40, blank=True)
    excerpt = models.CharField(max_length=200, blank=True, help_text="The text that matched, as the user wrote it")
    fingerprint = models.CharField(max_length=64)
    stage = models.CharField(max_length=10, default="submit")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "render_policy_findings"
        ordering = ["render_id", "severity", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="policy_finding_severity_valid"),
            models.UniqueConstraint(fields=["render", "fingerprint"], name="policy_finding_unique_per_render"),
            models.CheckConstraint(condition=Q(accepted_at__isnull=True) | Q(severity=Severity.WARNING),
                                   name="policy_finding_only_warnings_accepted"),
        ]

    def __str__(self):
        return f"{self.rule} ({self.severity}) on render {self.render_id}"

    @property
    def is_open(self) -> bool:
        """Still stands in the way: blocking, or a warning nobody accepted."""
        return self.accepted_at is None
