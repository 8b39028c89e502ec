"""Publishing data: one Publication per push of a render to one platform's ad set, and the log of
insights syncs. Imported by :mod:`campaigns.models` (app label campaigns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from kolony.tenancy import OrgOwned


class PublicationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Publishing"
    SUCCEEDED = "succeeded", "Published"
    FAILED = "failed", "Failed"


ACTIVE_PUBLICATION = (PublicationStatus.QUEUED, PublicationStatus.RUNNING)


class Publication(OrgOwned):
    """A push of one approved render (``render``, in ``aspect_ratio``) to ``platform`` under the
    Kolony ad set ``ad_set``; ``ad`` is the Kolony ad it creates or fills.

    ``steps`` is the resumable record, written the moment each step finishes (its own
    transaction): ``{step name: {"status": "done"|"failed", "external_id": str, "at": iso8601,
    "detail": {...}}}``; a retried publish skips every step already ``done`` (platforms have no
    idempotency keys, so an external id is never created twice). ``error_*`` hold the platform's
    own message, code and the field it blames, for the page. ``attempts`` counts runs."""

    render = models.ForeignKey("videogen.Render", on_delete=models.PROTECT, related_name="publications")
    ad_set = models.ForeignKey("campaigns.AdSet", on_delete=models.CASCADE, related_name="publications")
    ad = models.ForeignKey("campaigns.Ad", null=True, blank=True, on_delete=models.SET_NULL, related_name="publications")
    connection = models.ForeignKey("campaigns.PlatformConnection", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="publications")
    platform = models.CharField(max_length=10)
    aspect_ratio = models.CharField(max_length=8)
    status = FSMField(max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.QUEUED, protected=False)
    steps = models.JSONField(default=dict, blank=True)
    current_step = models.CharField(max_length=40, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    rq_job_id = models.CharField(max_length=80, blank=True)
    error_message = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_field = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PublicationStatus.values), name="publication_status_valid"),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="publication_progress_0_100"),
            # one push of a render to an ad set at a time (a second click answers the running one)
            models.UniqueConstraint(fields=["render", "ad_set", "platform"], condition=Q(status__in=["queued", "running"]),
                                    name="publication_one_active_per_render_ad_set"),
        ]

    def __str__(self):
        return f"Publication {self.pk} of render {self.render_id} to {self.platform}"

    def step_done(self, step: str) -> bool:
        return (self.steps.get(step) or {}).get("status") == "done"

    def external_id(self, step: str) -> str:
        return (self.steps.get(step) or {}).get("external_id", "")

    @transition(field=status, source=[PublicationStatus.QUEUED, PublicationStatus.RUNNING, PublicationStatus.FAILED],
                target=PublicationStatus.RUNNING)
    def start(self):
        self.attempts += 1
        self.started_at = self.started_at or timezone.now()
        self.error_message = self.error_code = self.error_field = ""

    @transition(field=status, source=[PublicationStatus.RUNNING], target=PublicationStatus.SUCCEEDED)
    def succeed(self):
        self.progress = 100
        self.current_step = ""
        self.finished_at = timezone.now()

    @transition(field=status, source=[PublicationStatus.QUEUED, PublicationStatus.RUNNING], target=PublicationStatus.FAILED)
    def fail(self, message: str, *, code: str = "", field: str = ""):
        self.error_message = message[:4000]
        self.error_code = code[:64]
        self.error_field = field[:200]
        self.finished_at = timezone.now()

    @transition(field=status, source=[PublicationStatus.FAILED], target=PublicationStatus.QUEUED)
    def retry(self):
        self.finished_at = None


class InsightSyncRun(OrgOwned):
    """One insights sync of one connection (``since``..``until`` inclusive, platform time zone):
    its outcome, rows upserted and error, shown in the admin (retry from there)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    connection = models.ForeignKey("campaigns.PlatformConnection", null=True, on_delete=models.SET_NULL, related_name="sync_runs")
    platform = models.CharField(max_length=10)
    since = models.DateField()
    until = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=16, default="schedule", help_text="schedule | manual | retry")
    rows_upserted = models.PositiveIntegerField(default=0)
    pages_fetched = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(until__gte=models.F("since")), name="insight_sync_range_valid")]

    def __str__(self):
        return f"{self.platform} sync {self.since}..{self.until} ({self.status})"
