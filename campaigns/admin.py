from django.contrib import admin
from django.contrib import messages as _messages
from django.utils.html import format_html, format_html_join

from kolony.datacache import data_changed

from .models import Ad, AdSet, Campaign, InsightDaily, InsightSyncRun, PlatformConnection, Publication


def _organization_of(obj):
    """The organization owning ``obj``, following the model's ``organization_lookup`` path."""
    for name in getattr(type(obj), "organization_lookup", "organization").split("__"):
        obj = getattr(obj, name)
    return obj


class RetiresCachedPages(admin.ModelAdmin):
    """Edits made here bypass the services, so they bump the organization's data version
    themselves (cached campaign pages and numbers must not outlive an edit, see kolony.datacache)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        data_changed(_organization_of(obj), insights=True)

    def delete_model(self, request, obj):
        organization = _organization_of(obj)
        super().delete_model(request, obj)
        data_changed(organization, insights=True)

    def delete_queryset(self, request, queryset):
        organizations = {_organization_of(obj) for obj in queryset}
        super().delete_queryset(request, queryset)
        for organization in organizations:
            data_changed(organization, insights=True)


class AdSetInline(admin.TabularInline):
    model = AdSet
    extra = 0
    fields = ["name", "status", "budget_minor", "optimization_goal", "billing_event"]
    show_change_link = True


class AdInline(admin.TabularInline):
    model = Ad
    extra = 0
    fields = ["name", "status", "call_to_action", "destination_url"]
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(RetiresCachedPages):
    list_display = ["name", "organization", "objective", "status", "budget_level", "budget_minor", "currency", "starts_at", "created_at"]
    list_filter = ["status", "objective", "budget_level", "budget_type", "currency"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization", "created_by"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [AdSetInline]


@admin.register(AdSet)
class AdSetAdmin(RetiresCachedPages):
    list_display = ["name", "campaign", "status", "budget_minor", "currency", "optimization_goal", "bid_strategy", "created_at"]
    list_filter = ["status", "optimization_goal", "billing_event", "bid_strategy"]
    search_fields = ["name", "campaign__name", "campaign__organization__name"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AdInline]


@admin.register(Ad)
class AdAdmin(RetiresCachedPages):
    list_display = ["name", "ad_set", "status", "call_to_action", "creative", "created_at"]
    list_filter = ["status", "call_to_action"]
    search_fields = ["name", "headline", "ad_set__name", "ad_set__campaign__name"]
    list_select_related = ["ad_set"]
    raw_id_fields = ["ad_set", "creative_render", "creative_asset"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(PlatformConnection)
class PlatformConnectionAdmin(RetiresCachedPages):
    """The token never shows here: it is stored encrypted and only services read it."""

    list_display = ["organization", "platform", "ad_account_id", "token_expires_at", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["organization__name", "ad_account_id"]
    raw_id_fields = ["organization", "connected_by"]
    exclude = ["token_encrypted"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(InsightDaily)
class InsightDailyAdmin(RetiresCachedPages):
    list_display = ["date", "ad", "platform", "impressions", "clicks", "spend_minor", "conversions", "conversion_value_minor"]
    list_filter = ["platform", "date"]
    search_fields = ["ad__name", "campaign__name"]
    raw_id_fields = ["organization", "campaign", "ad_set", "ad"]
    date_hierarchy = "date"
    show_full_result_count = False


# --- publishing and insights syncs (campaigns.platforms) -------------------------------------


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Read-only: a publication is written by the orchestrator only; its steps show every external
    id created and where it stopped."""

    list_display = ["id", "organization", "platform", "render", "ad_set", "status", "current_step", "attempts",
                    "error_short", "created_at"]
    list_filter = ["status", "platform"]
    search_fields = ["organization__name", "ad_set__name", "error_message", "error_code"]
    list_select_related = ["organization", "ad_set", "render"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "organization", "platform", "render", "aspect_ratio", "ad_set", "ad", "connection", "status", "progress",
        "current_step", "attempts", "steps_table", "error_message", "error_code", "error_field", "rq_job_id",
        "created_by", "created_at", "started_at", "finished_at", "updated_at"]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="error")
    def error_short(self, obj):
        return (obj.error_message[:80] + "…") if len(obj.error_message) > 80 else obj.error_message

    @admin.display(description="steps")
    def steps_table(self, obj):
        steps = obj.steps or {}
        if not steps:
            return "—"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            ((name, (s or {}).get("status", ""), (s or {}).get("external_id", ""), (s or {}).get("at", ""))
             for name, s in steps.items()),
        )
        return format_html("<table><tr><th>step</th><th>status</th><th>external id</th><th>at</th></tr>{}</table>", rows)


@admin.register(InsightSyncRun)
class InsightSyncRunAdmin(admin.ModelAdmin):
    """Every insights sync with its outcome; "Retry" re-queues failed runs (same date range)."""

    list_display = ["id", "organization", "platform", "since", "until", "status", "trigger", "attempts",
                    "rows_upserted", "pages_fetched", "error_short", "started_at", "finished_at"]
    list_filter = ["status", "platform", "trigger"]
    search_fields = ["organization__name", "error"]
    list_select_related = ["organization"]
    date_hierarchy = "started_at"
    readonly_fields = ["organization", "connection", "platform", "since", "until", "status", "trigger", "attempts",
                       "rows_upserted", "pages_fetched", "error", "started_at", "finished_at"]
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="error")
    def error_short(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    @admin.action(description="Retry the selected failed syncs")
    def retry_failed(self, request, queryset):
        from .platforms.insights import insight_sync_run_retry

        queued = sum(insight_sync_run_retry(run=run) for run in queryset.select_related("connection"))
        skipped = queryset.count() - queued
        self.message_user(request, f"Queued {queued} sync(s) again." + (
            f" {skipped} skipped (not failed, or the connection is gone)." if skipped else ""),
            _messages.SUCCESS if queued else _messages.WARNING)
