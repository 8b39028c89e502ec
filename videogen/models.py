"""Video Studio data: jobs, their scene plans, edits, assets, renders, templates, voices, brand kits.

Every customer row is :class:`kolony.tenancy.OrgOwned` (or reaches its organization through
``organization_lookup``); built-in templates and the voice library are shared.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Deferrable, Q
from django.utils import timezone
from django_fsm import FSMField, transition

from kolony.tenancy import OrgOwned
from videogen.review.models import APPROVED_STATES, PolicyFinding, RenderComment, ReviewStatus, Severity
from videogen.variants.models import VariantFactor, VariantSet, VariantSetStatus

# the review models live in videogen/review/, the variant sets in videogen/variants/
__all__ = ["PolicyFinding", "RenderComment", "ReviewStatus", "Severity", "VariantFactor", "VariantSet", "VariantSetStatus"]


class AssetKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    LOGO = "logo", "Logo"
    RENDER = "render", "Render"
    INTERMEDIATE = "intermediate", "Intermediate"


def storage_safe_name(filename: str, *, max_stem: int = 60) -> str:
    """``filename`` without folders, its stem cut to ``max_stem`` characters and its extension
    (lower-cased, up to 10 characters) kept: what a stored file is named after its random token."""
    from pathlib import PurePath

    name = PurePath(str(filename).replace("\\", "/")).name or "file"
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = name, ""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:max_stem].strip("._") or "file"
    return f"{stem}.{ext.lower()}" if ext else stem


def asset_upload_to(instance: "Asset", filename: str) -> str:
    """``org-<id>/<kind>/<yyyy>/<mm>/<random token>/<name>``: the token (128 bits) makes stored
    names unguessable even where the storage is reachable without the app."""
    import secrets

    day = timezone.now()
    return f"org-{instance.organization_id}/{instance.kind}/{day:%Y/%m}/{secrets.token_hex(16)}/{storage_safe_name(filename)}"


class Asset(OrgOwned):
    """An uploaded or generated file (asset_library). ``size_bytes`` in bytes, ``duration_seconds``
    in seconds, ``width``/``height`` in pixels, ``checksum`` = SHA-256 hex of the bytes."""

    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    file = models.FileField(upload_to=asset_upload_to, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, db_index=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "asset_library"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "kind", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(size_bytes__gte=0), name="asset_size_non_negative"),
            models.CheckConstraint(condition=Q(kind__in=AssetKind.values), name="asset_kind_valid"),
        ]

    def __str__(self):
        return self.original_name or self.file.name


class Voice(models.Model):
    """A voice the TTS engines on this server can speak (voice_library). Shared by all organizations."""

    name = models.CharField(max_length=80)
    language = models.CharField(max_length=20)
    engine = models.CharField(max_length=32, default="espeak-ng")
    engine_voice_id = models.CharField(max_length=80)
    sample_audio = models.FileField(upload_to="voices/", blank=True)
    emotion_profile = models.JSONField(default=dict, blank=True, help_text="e.g. {\"pitch\": 50, \"energy\": \"neutral\"}")
    is_active = models.BooleanField(default=True)

    class Meta:
        db_table = "voice_library"
        ordering = ["language", "name"]
        constraints = [models.UniqueConstraint(fields=["engine", "engine_voice_id"], name="voice_engine_id_unique")]

    def __str__(self):
        return f"{self.name} ({self.language}, {self.engine})"


class WorkflowTemplate(models.Model):
    """A reusable scene-plan recipe. ``organization`` is null for built-ins.

    ``parameters`` pre-fills the brief (duration, request_type, style, aspect_ratios,
    call_to_action); ``scene_recipe`` is a list of {role, share, on_screen_text?, voiceover?}
    (``share`` = fraction of the duration) or, for templates saved from a job, a full scene plan.
    """

    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    scene_recipe = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="template_name_unique_per_org",
                                    nulls_distinct=False),
        ]

    def __str__(self):
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.organization_id is None


class BrandKit(OrgOwned):
    """One per organization: colours (hex), logo, font family, default voice and call to action."""

    colors = models.JSONField(default=list, blank=True)
    logo = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    logo_position = models.CharField(max_length=16, default="top_right")
    font = models.CharField(max_length=120, blank=True)
    default_voice = models.ForeignKey(Voice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    default_call_to_action = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="brand_kit_one_per_org")]

    def __str__(self):
        return f"Brand kit of {self.organization}"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PLANNING = "planning", "Planning"
    RENDERING = "rendering", "Rendering"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.PLANNING, JobStatus.RENDERING)


class VideoJob(OrgOwned):
    """A video ad being made (video_generation_jobs): the brief, its scene plan (:class:`Scene`
    rows), render attempts on RQ and their versions (:class:`Render`).

    ``progress`` is 0–100 and never decreases within an attempt; ``plan_version`` increases with
    every plan edit (optimistic concurrency between two editors).
    """

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="video_jobs",
                                 help_text="Optional: the campaign this ad is made for (same organization).")
    title = models.CharField(max_length=120)
    brief = models.JSONField(help_text="The validated brief; images as asset ids.")
    status = FSMField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, protected=False)
    progress = models.PositiveSmallIntegerField(default=0)
    phase = models.CharField(max_length=32, blank=True)
    plan_version = models.PositiveIntegerField(default=1)
    planner = models.CharField(max_length=16, blank=True)
    rq_job_ids = models.JSONField(default=list, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error_message = models.TextField(blank=True)
    trace = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    variant_set = models.ForeignKey(VariantSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs",
                                    help_text="The variant set this job is one variant of (issue 17)")
    variant_level = models.CharField(max_length=200, blank=True, help_text="This variant's value of the set's factor, e.g. the hook line")

    class Meta:
        db_table = "video_generation_jobs"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"]), models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="video_job_progress_0_100"),
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="video_job_status_valid"),
        ]

    def __str__(self):
        return f"{self.title} (#{self.pk})"

    @property
    def is_active(self) -> bool:
        """Not finished (pending, planning or rendering) — a planned job never queued counts."""
        return self.status in ACTIVE_STATUSES

    @property
    def in_progress(self) -> bool:
        """Queued or being made right now (what the progress bar and the Cancel button follow)."""
        return self.status in (JobStatus.PLANNING, JobStatus.RENDERING) or (
            self.status == JobStatus.PENDING and self.phase in ("queued", "retrying"))

    # --- state machine (django-fsm-2) ---
    @transition(field=status, source=[JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED],
                target=JobStatus.PENDING)
    def queue(self):
        self.progress = 0
        self.phase = "queued"
        self.error_message = ""
        self.cancel_requested = False
        self.completed_at = None

    @transition(field=status, source=[JobStatus.PENDING, JobStatus.PLANNING, JobStatus.RENDERING], target=JobStatus.RENDERING)
    def start(self):
        self.started_at = timezone.now()

    @transition(field=status, source=[JobStatus.RENDERING], target=JobStatus.COMPLETED)
    def complete(self):
        self.progress = 100
        self.phase = "done"
        self.completed_at = timezone.now()

    @transition(field=status, source=ACTIVE_STATUSES, target=JobStatus.FAILED)
    def fail(self, message: str):
        self.error_message = message[:2000]
        self.completed_at = timezone.now()

    @transition(field=status, source=ACTIVE_STATUSES, target=JobStatus.CANCELLED)
    def cancel(self):
        self.cancel_requested = True
        self.phase = "cancelled"
        self.completed_at = timezone.now()


class Scene(models.Model):
    """One scene of a job's plan (scene_plans). ``duration_seconds`` in seconds; ``scene_key`` is
    the plan's stable scene id (kept across reorders, so the render cache can reuse it)."""

    #: messages set by :func:`videogen.selectors.with_photo_warnings` for the storyboard (not stored)
    photo_warnings: list[str]

    organization_lookup = "job__organization"

    job = models.ForeignKey(VideoJob, on_delete=models.CASCADE, related_name="scenes")
    number = models.PositiveSmallIntegerField()
    scene_key = models.CharField(max_length=40)
    role = models.CharField(max_length=16)
    description = models.CharField(max_length=200, blank=True)
    voiceover = models.CharField(max_length=400, blank=True)
    on_screen_text = models.CharField(max_length=120, blank=True)
    subtext = models.CharField(max_length=160, blank=True)
    visual_source = models.CharField(max_length=20, default="product_image")
    image = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    entity_layout = models.JSONField(default=dict, blank=True, help_text="motion, text animation, transition, clip trim")
    duration_seconds = models.FloatField()

    class Meta:
        db_table = "scene_plans"
        ordering = ["job_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="scene_number_unique", deferrable=Deferrable.DEFERRED),
            models.UniqueConstraint(fields=["job", "scene_key"], name="scene_key_unique"),
            models.CheckConstraint(condition=Q(duration_seconds__gte=1, duration_seconds__lte=20), name="scene_duration_1_20"),
        ]

    def __str__(self):
        return f"Scene {self.number} of job {self.job_id}"


class EditOperation(models.Model):
    """One change a user made to a job's plan (editing_operations). ``before``/``after`` hold the
    whole plan snapshot (list of scene dicts), so any edit can be shown and undone."""

    organization_lookup = "job__organization"

    class Op(models.TextChoices):
        EDIT_SCENE = "edit_scene", "Edit scene"
        REORDER = "reorder", "Reorder scenes"
        CHANGE_DURATION = "change_duration", "Change duration"
        SWAP_IMAGE = "swap_image", "Swap image"
        ADD_SCENE = "add_scene", "Add scene"
        REMOVE_SCENE = "remove_scene", "Remove scene"
        TRIM_CLIP = "trim_clip", "Trim clip"
        UNDO = "undo", "Undo"

    job = models.ForeignKey(VideoJob, on_delete=models.CASCADE, related_name="edits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    op = models.CharField(max_length=20, choices=Op.choices)
    scene_key = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=200, blank=True)
    before = models.JSONField()
    after = models.JSONField()
    plan_version = models.PositiveIntegerField(help_text="The job's plan_version after this edit.")
    undone = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "editing_operations"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_op_display()} on job {self.job_id}"


class Render(models.Model):
    """A version of a job's output: one MP4 asset per aspect ratio, a poster frame, quality metrics
    and performance {generation_time_seconds, model_used, cost_usd, cpu_seconds, gpu_seconds} (USD and
    seconds; videogen/rendering.render_performance).

    ``review_status`` moves only through the transitions below (django-fsm-2), called by
    :mod:`videogen.review.services`, which checks roles and writes the audit trail. An approved
    render is frozen: its files and snapshots never change; editing the plan and rendering again
    makes a new version that starts in draft. ``policy_status`` sums up the latest policy check:
    ``""`` (not checked), ``passed``, ``warnings`` (only warnings, some unaccepted) or ``blocked``.
    """

    organization_lookup = "job__organization"

    job = models.ForeignKey(VideoJob, on_delete=models.CASCADE, related_name="renders")
    number = models.PositiveIntegerField()
    outputs = models.JSONField(default=dict, help_text="{aspect ratio: asset id}")
    poster = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    quality_metrics = models.JSONField(default=dict, blank=True)
    performance = models.JSONField(default=dict, blank=True)
    plan_snapshot = models.JSONField(default=list, blank=True)
    brief_snapshot = models.JSONField(default=dict, blank=True, help_text="The job's brief as this version was rendered from")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    review_status = FSMField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT, protected=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   help_text="Who approved or requested changes last")
    decided_at = models.DateTimeField(null=True, blank=True)
    policy_status = models.CharField(max_length=10, blank=True)
    policy_checked_at = models.DateTimeField(null=True, blank=True)
    variant_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="variants",
                                   help_text="The control render this version is a variant of")
    variant_factor = models.CharField(max_length=24, blank=True)
    variant_level = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["job_id", "-number"]
        indexes = [models.Index(fields=["review_status", "-submitted_at"])]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="render_number_unique"),
            models.CheckConstraint(condition=Q(review_status__in=ReviewStatus.values), name="render_review_status_valid"),
        ]

    def __str__(self):
        return f"v{self.number} of job {self.job_id}"

    @property
    def is_frozen(self) -> bool:
        """Approved (or published since): files, snapshots and the record stay as they are."""
        return self.review_status in APPROVED_STATES

    # --- review state machine (django-fsm-2); roles, audit and notifications: videogen.review.services ---
    @transition(field=review_status, source=[ReviewStatus.DRAFT, ReviewStatus.CHANGES_REQUESTED], target=ReviewStatus.IN_REVIEW)
    def submit(self, user):
        self.submitted_by = user
        self.submitted_at = timezone.now()
        self.decided_by = None
        self.decided_at = None

    @transition(field=review_status, source=[ReviewStatus.IN_REVIEW], target=ReviewStatus.DRAFT)
    def withdraw(self, user):
        self.submitted_at = None

    @transition(field=review_status, source=[ReviewStatus.IN_REVIEW], target=ReviewStatus.APPROVED)
    def approve(self, user):
        self.decided_by = user
        self.decided_at = timezone.now()

    @transition(field=review_status, source=[ReviewStatus.IN_REVIEW], target=ReviewStatus.CHANGES_REQUESTED)
    def request_changes(self, user):
        self.decided_by = user
        self.decided_at = timezone.now()

    # --- publishing (campaigns.platforms.publishing); a published render may be pushed to more ad sets ---
    @transition(field=review_status, source=[ReviewStatus.APPROVED, ReviewStatus.PUBLISH_FAILED, ReviewStatus.PUBLISHED,
                                             ReviewStatus.PUBLISHING], target=ReviewStatus.PUBLISHING)
    def publishing_started(self):
        pass

    @transition(field=review_status, source=[ReviewStatus.PUBLISHING, ReviewStatus.PUBLISHED], target=ReviewStatus.PUBLISHED)
    def publishing_succeeded(self):
        pass

    @transition(field=review_status, source=[ReviewStatus.PUBLISHING], target=ReviewStatus.PUBLISH_FAILED)
    def publishing_failed(self):
        pass
