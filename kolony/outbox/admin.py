from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "queue", "func", "status", "attempts", "rq_job_id", "created_at", "sent_at"]
    list_filter = ["status", "queue"]
    search_fields = ["rq_job_id", "func", "last_error"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
