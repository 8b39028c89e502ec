"""Billing: plans, each organization's billing account (its Stripe customer and subscription), the
append-only credit ledger, received Stripe events and usage-meter records.

Units: prices in minor currency units (cents), durations in seconds, credits as whole numbers
(1 credit = 1 second of delivered video in one format; see :mod:`billing.services.ledger`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Plan(models.Model):
    """A plan's limits and price. ``None`` in a limit means unlimited (the internal plan used when
    billing is disabled). ``stripe_price_setting`` names the Django setting holding the Stripe
    Price id (``STRIPE_PRICE_PRO``…); empty for plans not sold through Stripe."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=40)
    monthly_price_minor = models.PositiveIntegerField(default=0, help_text="Monthly price in minor units (cents).")
    currency = models.CharField(max_length=3, default="usd", help_text="ISO 4217, lower case as Stripe writes it.")
    seats = models.PositiveIntegerField(null=True, blank=True, help_text="Members + pending invitations; empty = unlimited.")
    render_credits_per_month = models.PositiveIntegerField(null=True, blank=True,
                                                           help_text="1 credit = 1 delivered second per format; empty = unlimited.")
    max_ad_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Longest ad in seconds; empty = unlimited.")
    formats_allowed = models.JSONField(default=list, help_text='Aspect ratios, e.g. ["9:16", "1:1"]; [] = all.')
    gpu_scenes_allowed = models.BooleanField(default=False, help_text="Generated (GPU) scenes.")
    publishing_allowed = models.BooleanField(default=False, help_text="Publishing to Meta / Google Ads.")
    overage_allowed = models.BooleanField(default=False,
                                          help_text="Renders beyond the included credits are billed through the usage meter.")
    stripe_price_setting = models.CharField(max_length=40, blank=True)
    is_public = models.BooleanField(default=True, help_text="Shown on the pricing page.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self):
        return self.name

    @property
    def stripe_price_id(self) -> str:
        """The Stripe Price id from settings (``""`` when unset or not sold through Stripe)."""
        return str(getattr(settings, self.stripe_price_setting, "") or "") if self.stripe_price_setting else ""


class SubscriptionStatus(models.TextChoices):
    NONE = "", "No subscription"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete (expired)"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    UNPAID = "unpaid", "Unpaid"
    PAUSED = "paused", "Paused"


class BillingAccount(models.Model):
    """One per organization: its plan, Stripe customer and subscription state.

    ``status_updated_at`` is the Stripe ``event.created`` of the last subscription change applied:
    an older event for the same subscription is ignored (Stripe does not guarantee order).
    ``grace_until``: set by ``invoice.payment_failed``; past it the organization drops to Free.
    """

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="billing_account")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    subscription_id = models.CharField(max_length=255, blank=True)
    subscription_status = models.CharField(max_length=20, choices=SubscriptionStatus.choices, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    status_updated_at = models.DateTimeField(null=True, blank=True,
                                             help_text="Stripe event time of the last subscription change applied.")
    payment_failed_at = models.DateTimeField(null=True, blank=True, help_text="Stripe event time of the failed payment.")
    last_invoice_paid_at = models.DateTimeField(null=True, blank=True, help_text="Stripe event time of the last paid invoice.")
    grace_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization_id"]

    def __str__(self):
        return f"{self.organization} · {self.plan}"


class LedgerKind(models.TextChoices):
    GRANT = "grant", "Grant"
    RESERVATION = "reservation", "Reservation"
    RELEASE = "release", "Reservation released"
    DEBIT = "debit", "Debit"
    REFUND = "refund", "Refund"
    OVERAGE = "overage", "Overage (billed by usage)"
    ADJUSTMENT = "adjustment", "Staff adjustment"


class CreditLedger(models.Model):
    """Append-only: one row per credit movement; the balance is ``SUM(credits)``. Rows are never
    updated or deleted (no code path does, and a database trigger refuses it).

    ``credits`` is signed: grants, releases, refunds, overage positive; reservations, debits
    negative; adjustments either. ``closes`` links a release/refund to the reservation it ends
    (at most one per reservation, by constraint). ``idempotency_key`` is unique where set."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    credits = models.IntegerField()
    job = models.ForeignKey("videogen.VideoJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    render = models.ForeignKey("videogen.Render", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="closed_by")
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stripe_event_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"]), models.Index(fields=["job", "kind"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LedgerKind.values), name="ledger_kind_valid"),
            models.CheckConstraint(condition=~Q(credits=0), name="ledger_credits_nonzero"),
            models.CheckConstraint(
                condition=Q(kind__in=["reservation", "debit"], credits__lt=0)
                | Q(kind__in=["grant", "release", "refund", "overage"], credits__gt=0) | Q(kind="adjustment"),
                name="ledger_sign_matches_kind"),
            models.UniqueConstraint(fields=["closes"], condition=Q(kind__in=["release", "refund"]),
                                    name="ledger_one_close_per_reservation"),
            models.CheckConstraint(condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_has_reason"),
        ]

    def __str__(self):
        return f"{self.kind} {self.credits:+d} · org {self.organization_id}"


class EventStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"


class StripeEvent(models.Model):
    """A verified Stripe webhook event, stored once by its id before anything is processed."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(help_text="Stripe's event.created.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"]), models.Index(fields=["type"])]
        constraints = [models.CheckConstraint(condition=Q(status__in=EventStatus.values), name="stripe_event_status_valid")]

    def __str__(self):
        return f"{self.type} {self.event_id} ({self.status})"


class MeterStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class MeterEventRecord(models.Model):
    """One Stripe Billing Meter event to send (overage seconds of one render). ``identifier`` is
    unique (``render-<render id>``) so a retried send never bills twice; ``value`` in credits."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    identifier = models.CharField(max_length=100, unique=True)
    render = models.ForeignKey("videogen.Render", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stripe_customer_id = models.CharField(max_length=255)
    event_name = models.CharField(max_length=100)
    value = models.PositiveIntegerField()
    timestamp = models.DateTimeField(help_text="The usage time sent to Stripe.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=MeterStatus.choices, default=MeterStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(status__in=MeterStatus.values), name="meter_status_valid"),
                       models.CheckConstraint(condition=Q(value__gt=0), name="meter_value_positive")]

    def __str__(self):
        return f"{self.identifier} ({self.status})"
