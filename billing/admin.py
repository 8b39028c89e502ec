"""Staff views: billing accounts (subscriptions), the ledger (read-only, plus staff adjustments
with a reason), Stripe events with their processing status and a "reprocess" action, meter events."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import selectors
from .models import BillingAccount, CreditLedger, MeterEventRecord, Plan, StripeEvent
from .services import credit_adjust, stripe_event_reprocess


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "monthly_price_minor", "currency", "seats", "render_credits_per_month", "max_ad_seconds",
                    "gpu_scenes_allowed", "publishing_allowed", "overage_allowed", "stripe_price_setting", "is_public"]
    readonly_fields = ["code"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ["organization", "plan", "subscription_status", "stripe_customer_id", "current_period_end",
                    "payment_failed_at", "grace_until", "credits"]
    list_filter = ["plan", "subscription_status"]
    search_fields = ["organization__name", "stripe_customer_id", "subscription_id"]
    list_select_related = ["organization", "plan"]
    readonly_fields = ["organization", "subscription_id", "subscription_status", "current_period_start", "current_period_end",
                       "cancel_at_period_end", "status_updated_at", "payment_failed_at", "last_invoice_paid_at",
                       "created_at", "updated_at"]

    @admin.display(description="Credits")
    def credits(self, obj: BillingAccount) -> int:
        return selectors.credit_balance(organization=obj.organization)

    def has_add_permission(self, request):
        return False


class AdjustmentForm(forms.ModelForm):
    """A staff adjustment: the only row staff can add; applied by :func:`credit_adjust` (which
    refuses a balance below zero and requires a reason)."""

    class Meta:
        model = CreditLedger
        fields = ["organization", "credits", "reason"]
        help_texts = {"credits": "Positive to give credits, negative to take them away (never below a zero balance).",
                      "reason": "Required; shown in the organization's ledger and audit trail."}

    request = None
    entry: CreditLedger | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.entry = credit_adjust(organization=data["organization"], credits=data["credits"], reason=data.get("reason", ""),
                                       actor=getattr(self.request, "user", None))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


@admin.register(CreditLedger)
class CreditLedgerAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "kind", "credits", "reason", "job", "actor"]
    list_filter = ["kind", "created_at"]
    search_fields = ["organization__name", "reason", "idempotency_key", "stripe_event_id"]
    list_select_related = ["organization", "actor", "job"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs.update(form=AdjustmentForm, fields=AdjustmentForm.Meta.fields)
            form = super().get_form(request, obj, change=change, **kwargs)
            return type("BoundAdjustmentForm", (form,), {"request": request})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CreditLedger._meta.fields] if obj is not None else []

    def save_model(self, request, obj, form, change):
        obj.pk = form.entry.pk  # already written (append-only) by credit_adjust in the form's clean

    def save_related(self, request, form, formsets, change):
        return None

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "status", "attempts", "organization", "created", "received_at", "processed_at", "error"]
    list_filter = ["status", "type", "livemode"]
    search_fields = ["event_id", "type", "error"]
    actions = ["reprocess"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in StripeEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Reprocess selected events (failed, ignored or pending; processed ones are left alone)")
    def reprocess(self, request, queryset):
        outcome: dict[str, int] = {}
        for event in queryset.order_by("created", "id"):
            if event.status == "processed":
                status = "already processed"
            else:
                status = stripe_event_reprocess(event=event, actor=request.user)
            outcome[status] = outcome.get(status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(outcome.items()))
        self.message_user(request, f"Reprocessed: {summary}.", messages.SUCCESS if "failed" not in outcome else messages.WARNING)


@admin.register(MeterEventRecord)
class MeterEventRecordAdmin(admin.ModelAdmin):
    list_display = ["identifier", "organization", "value", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["identifier", "stripe_customer_id"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in MeterEventRecord._meta.fields]

    def has_add_permission(self, request):
        return False
