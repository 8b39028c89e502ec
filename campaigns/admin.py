from django.contrib import admin

from kolony.datacache import data_changed

from .models import Ad, AdSet, Campaign, InsightDaily, PlatformConnection


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
