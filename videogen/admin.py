from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from .models import (
    Asset,
    BrandKit,
    EditOperation,
    PolicyFinding,
    Render,
    RenderComment,
    Scene,
    VariantSet,
    VideoJob,
    Voice,
    WorkflowTemplate,
)


class SceneInline(admin.TabularInline):
    model = Scene
    extra = 0
    fields = ["number", "scene_key", "role", "on_screen_text", "voiceover", "duration_seconds", "visual_source"]


class RenderInline(admin.TabularInline):
    model = Render
    extra = 0
    readonly_fields = ("number", "outputs", "quality_metrics", "performance", "created_at")
    fields = readonly_fields


@admin.register(VideoJob)
class VideoJobAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "organization", "status", "progress", "phase", "created_by", "created_at", "completed_at"]
    list_filter = ["status", "planner", "created_at"]
    search_fields = ["title", "organization__name", "created_by__email", "error_message"]
    list_select_related = ["organization", "created_by"]
    readonly_fields = ["trace", "rq_job_ids", "created_at", "started_at", "completed_at", "updated_at"]
    inlines = [SceneInline, RenderInline]
    actions = ["retry_render", "mark_failed"]

    @admin.action(description="Re-render selected jobs (failed/cancelled/completed)")
    def retry_render(self, request, queryset):
        from .services import video_job_enqueue_render

        done = 0
        for job in queryset:
            try:
                video_job_enqueue_render(job=job, user=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:  # show each refusal, keep going
                self.message_user(request, f"{job}: {exc}", messages.WARNING)
        self.message_user(request, f"Queued {done} render(s).")

    @admin.action(description="Mark selected active jobs as failed")
    def mark_failed(self, request, queryset):
        n = 0
        for job in queryset:
            if job.is_active:
                job.fail("Marked failed by ops.")
                job.save()
                n += 1
        self.message_user(request, f"Marked {n} job(s) failed.")


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = ["job", "number", "role", "on_screen_text", "duration_seconds", "visual_source"]
    list_filter = ["role", "visual_source"]
    search_fields = ["on_screen_text", "voiceover", "job__title"]
    list_select_related = ["job"]


@admin.register(EditOperation)
class EditOperationAdmin(admin.ModelAdmin):
    list_display = ["job", "op", "summary", "user", "plan_version", "undone", "created_at"]
    list_filter = ["op", "undone"]
    search_fields = ["summary", "job__title", "user__email"]
    list_select_related = ["job", "user"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["id", "original_name", "kind", "organization", "size_bytes", "width", "height", "duration_seconds", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["original_name", "checksum", "organization__name"]
    list_select_related = ["organization"]

    def has_delete_permission(self, request, obj=None):
        """Never an asset of an approved render (frozen: it stays downloadable, byte for byte)."""
        if obj is not None and _in_approved_render(obj):
            return False
        return super().has_delete_permission(request, obj)


def _in_approved_render(asset: Asset) -> bool:
    from .review.models import APPROVED_STATES

    approved = Render.objects.filter(job__organization_id=asset.organization_id, review_status__in=APPROVED_STATES)
    ids: set = set()
    for render in approved.only("poster_id", "outputs"):
        ids |= set((render.outputs or {}).values()) | {render.poster_id}
    posters = {(m or {}).get("poster") for m in Asset.objects.filter(pk__in=ids).values_list("metadata", flat=True)}
    return asset.pk in ids | posters  # its MP4s, its poster and each format's poster frame


@admin.register(Render)
class RenderAdmin(admin.ModelAdmin):
    list_display = ["job", "number", "review_status", "cost", "created_by", "created_at"]

    @admin.display(description="Cost (USD)")
    def cost(self, obj):
        """``performance["cost_usd"]`` with its CPU- and GPU-seconds (videogen/engine/cost.py)."""
        perf = obj.performance or {}
        if perf.get("cost_usd") is None:
            return "—"
        return (f"${perf['cost_usd']:.4f} ({float(perf.get('cpu_seconds', perf.get('generation_time_seconds')) or 0):.1f} CPU-s, "
                f"{float(perf.get('gpu_seconds') or 0):.1f} GPU-s)")
    search_fields = ["job__title"]
    list_select_related = ["job", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        """An approved render is frozen: nothing of it can be edited here (review: videogen/review/)."""
        if obj is not None and obj.is_frozen:
            return [f.name for f in obj._meta.concrete_fields]
        return ["review_status", *super().get_readonly_fields(request, obj)]


@admin.register(WorkflowTemplate)
class WorkflowTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "created_at"]
    list_filter = [("organization", admin.EmptyFieldListFilter)]
    search_fields = ["name", "description"]


@admin.register(Voice)
class VoiceAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "engine", "engine_voice_id", "is_active"]
    list_filter = ["engine", "is_active", "language"]
    search_fields = ["name", "language", "engine_voice_id"]


@admin.register(BrandKit)
class BrandKitAdmin(admin.ModelAdmin):
    list_display = ["organization", "font", "default_call_to_action", "updated_at"]
    search_fields = ["organization__name"]


@admin.register(RenderComment)
class RenderCommentAdmin(admin.ModelAdmin):
    """Ops sees comments to answer support questions; authors edit them in the app, not here."""

    list_display = ["render", "author", "timecode_seconds", "aspect_ratio", "resolved_at", "created_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["body", "render__job__title", "author__email"]
    list_select_related = ["render__job", "author"]
    readonly_fields = ["render", "author", "parent", "mentions", "created_at", "edited_at", "resolved_by", "resolved_at"]


@admin.register(PolicyFinding)
class PolicyFindingAdmin(admin.ModelAdmin):
    """Findings are written by the policy check only (videogen/review/policy.py): read-only here."""

    list_display = ["render", "rule", "severity", "aspect_ratio", "placement", "accepted_at", "created_at"]
    list_filter = ["severity", "rule", "stage"]
    search_fields = ["rule", "message", "excerpt", "render__job__title"]
    list_select_related = ["render__job"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VariantSet)
class VariantSetAdmin(admin.ModelAdmin):
    """Variant tests (issue 17): read the set, its base job, ad set and the decision taken."""

    list_display = ["id", "name", "organization", "factor", "status", "ad_set", "first_published_at", "created_at"]
    list_filter = ["factor", "status", "created_at"]
    search_fields = ["name", "organization__name", "base_job__title"]
    list_select_related = ["organization", "ad_set"]
    raw_id_fields = ["base_job", "ad_set", "created_by"]
    readonly_fields = ["first_published_at", "concluded_at", "decision", "created_at"]
