"""A variant set: renders of one brief that differ in exactly one factor, tested against each other
as sibling ads in one ad set. Imported by :mod:`videogen.models` (app label videogen).

Each variant is its own :class:`videogen.models.VideoJob` (a copy of the base job's brief and plan
with one factor changed, same seed), linked by ``VideoJob.variant_set`` / ``variant_level``; its
render versions carry ``Render.variant_of`` (the control render) and the factor/level labels.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from kolony.tenancy import OrgOwned


class VariantFactor(models.TextChoices):
    """The one thing that differs between the variants of a set."""

    HOOK = "hook", "Hook line"
    VOICE = "voice", "Voice"
    CALL_TO_ACTION = "call_to_action", "Call to action"
    MUSIC_MOOD = "music_mood", "Music mood"
    LAYOUT_FAMILY = "layout_family", "Layout family"
    FIRST_SCENE_IMAGE = "first_scene_image", "First scene's picture"


class VariantSetStatus(models.TextChoices):
    """draft (variants being made and reviewed) → running (first published; the date range is fixed
    from ``first_published_at``) → concluded (a decision was taken: losers paused / budget moved)."""

    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    CONCLUDED = "concluded", "Concluded"


class VariantSet(OrgOwned):
    """2–5 variants of ``base_job``'s brief differing in ``factor``.

    ``ad_set``: where the variants run as sibling ads (same targeting and budget), set at publish.
    ``first_published_at``: start of the comparison window, fixed at the first publish so looking
    at results early never moves it. ``decision``: what was done at the end, e.g.
    ``{"winner_render": 12, "paused": [13, 14], "budget_moved_minor": 5000, "by": user id, "at": iso}``.
    """

    base_job = models.ForeignKey("videogen.VideoJob", on_delete=models.CASCADE, related_name="variant_sets")
    name = models.CharField(max_length=160)
    factor = models.CharField(max_length=24, choices=VariantFactor.choices)
    status = models.CharField(max_length=12, choices=VariantSetStatus.choices, default=VariantSetStatus.DRAFT)
    ad_set = models.ForeignKey("campaigns.AdSet", null=True, blank=True, on_delete=models.SET_NULL, related_name="variant_sets")
    first_published_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    decision = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(factor__in=VariantFactor.values), name="variant_set_factor_valid"),
            models.CheckConstraint(condition=Q(status__in=VariantSetStatus.values), name="variant_set_status_valid"),
        ]

    def __str__(self):
        return self.name
