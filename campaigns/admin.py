from django.contrib import admin

from .models import Ad, AdSet, Campaign, InsightDaily, PlatformConnection


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
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "objective", "status", "budget_level", "budget_minor", "currency", "starts_at", "created_at"]
    list_filter = ["status", "objective", "budget_level", "budget_type", "currency"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization", "created_by"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [AdSetInline]


@admin.register(AdSet)
class AdSetAdmin(admin.ModelAdmin):
    list_display = ["name", "campaign", "status", "budget_minor", "currency", "optimization_goal", "bid_strategy", "created_at"]
    list_filter = ["status", "optimization_goal", "billing_event", "bid_strategy"]
    search_fields = ["name", "campaign__name", "campaign__organization__name"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AdInline]


@admin.register(Ad)
class AdAdmin(admin.ModelAdmin):
    list_display = ["name", "ad_set", "status", "call_to_action", "creative", "created_at"]
    list_filter = ["status", "call_to_action"]
    search_fields = ["name", "headline", "ad_set__name", "ad_set__campaign__name"]
    list_select_related = ["ad_set"]
    raw_id_fields = ["ad_set"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(PlatformConnection)
class PlatformConnectionAdmin(admin.ModelAdmin):
    """The token never shows here: it is stored encrypted and only services read it."""

    list_display = ["organization", "platform", "ad_account_id", "token_expires_at", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["organization__name", "ad_account_id"]
    raw_id_fields = ["organization", "connected_by"]
    exclude = ["token_encrypted"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(InsightDaily)
class InsightDailyAdmin(admin.ModelAdmin):
    list_display = ["date", "ad", "platform", "impressions", "clicks", "spend_minor", "conversions", "conversion_value_minor"]
    list_filter = ["platform", "date"]
    search_fields = ["ad__name", "campaign__name"]
    raw_id_fields = ["organization", "campaign", "ad_set", "ad"]
    date_hierarchy = "date"
    show_full_result_count = False
