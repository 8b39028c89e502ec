from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Who was told what (read-only: notifications are made by kolony.notifications.services.notify)."""

    list_display = ["created_at", "organization", "recipient", "kind", "message", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__email", "message", "organization__name"]
    list_select_related = ["organization", "recipient"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
