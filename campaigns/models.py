"""Campaign → ad set → ad (the Meta / Google Ads hierarchy), platform connections and daily insights.

Money is stored as integer minor units (cents for USD, yen for JPY) with an ISO 4217 currency.
Invariants live in database constraints; ``services`` turn their violations into per-field errors
through :data:`CONSTRAINT_FIELDS`.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from kolony.tenancy import OrgOwned

from .choices import (
    BID_AMOUNT_STRATEGIES,
    BidStrategy,
    BillingEvent,
    BudgetLevel,
    BudgetType,
    CallToAction,
    Objective,
    OptimizationGoal,
    Placement,
    Platform,
    SpecialAdCategory,
    Status,
)

#: Constraint name → the field its violation is reported on (``__all__`` for the whole object).
CONSTRAINT_FIELDS: dict[str, str] = {}


def _c(constraint, field: str):
    CONSTRAINT_FIELDS[constraint.name] = field
    return constraint


class Campaign(OrgOwned):
    """A campaign: objective, platforms, special ad categories, budget and schedule.

    ``budget_minor`` is set when ``budget_level`` is ``campaign`` (Meta's Advantage campaign
    budget); with ``ad_set`` each ad set carries its own budget. ``external`` mirrors each
    platform's view: ``{"meta": {"id": "120…", "status": "PAUSED", "synced_at": iso8601}}``.
    """

    name = models.CharField(max_length=200)
    objective = models.CharField(max_length=20, choices=Objective.choices)
    platforms = ArrayField(models.CharField(max_length=10, choices=Platform.choices), default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    special_ad_categories = ArrayField(
        models.CharField(max_length=32, choices=SpecialAdCategory.choices), default=list, blank=True,
        help_text="Meta special ad categories; empty means none.",
    )
    budget_type = models.CharField(max_length=10, choices=BudgetType.choices, default=BudgetType.DAILY)
    budget_level = models.CharField(max_length=10, choices=BudgetLevel.choices, default=BudgetLevel.AD_SET)
    budget_minor = models.BigIntegerField(null=True, blank=True, help_text="Campaign budget in minor units.")
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code.")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    external = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            _c(models.UniqueConstraint(
                "organization", Lower("name"), condition=~Q(status=Status.ARCHIVED), name="campaign_name_unique_in_org",
                violation_error_message="A campaign with this name already exists in your organization.",
            ), "name"),
            _c(models.CheckConstraint(condition=~Q(name=""), name="campaign_name_not_blank",
                                      violation_error_message="Give the campaign a name."), "name"),
            _c(models.CheckConstraint(condition=Q(objective__in=Objective.values), name="campaign_objective_valid",
                                      violation_error_message="Unknown objective."), "objective"),
            _c(models.CheckConstraint(
                condition=Q(platforms__len__gte=1) & Q(platforms__contained_by=Platform.values), name="campaign_platforms_valid",
                violation_error_message="Choose at least one platform: meta, google."), "platforms"),
            _c(models.CheckConstraint(condition=Q(special_ad_categories__contained_by=SpecialAdCategory.values),
                                      name="campaign_special_categories_valid",
                                      violation_error_message="Unknown special ad category."), "special_ad_categories"),
            _c(models.CheckConstraint(condition=Q(status__in=Status.values), name="campaign_status_valid",
                                      violation_error_message="Unknown status."), "status"),
            _c(models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="campaign_currency_iso",
                                      violation_error_message="Use a three-letter ISO 4217 code such as USD."), "currency"),
            _c(models.CheckConstraint(condition=Q(budget_minor__isnull=True) | Q(budget_minor__gt=0), name="campaign_budget_positive",
                                      violation_error_message="The budget must be greater than zero."), "budget_minor"),
            _c(models.CheckConstraint(
                condition=Q(budget_level=BudgetLevel.AD_SET, budget_minor__isnull=True)
                | Q(budget_level=BudgetLevel.CAMPAIGN, budget_minor__isnull=False),
                name="campaign_budget_matches_level",
                violation_error_message="A campaign budget is required when the budget is set on the campaign, "
                "and must be empty when each ad set has its own."), "budget_minor"),
            _c(models.CheckConstraint(
                condition=~Q(budget_level=BudgetLevel.CAMPAIGN, budget_type=BudgetType.LIFETIME, ends_at__isnull=True),
                name="campaign_lifetime_budget_needs_end",
                violation_error_message="A lifetime budget needs an end date."), "ends_at"),
            _c(models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="campaign_end_after_start", violation_error_message="The end must be after the start."), "ends_at"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="campaign_org_created"),
            models.Index(fields=["organization", "status"], name="campaign_org_status"),
            models.Index("organization", Lower("name"), name="campaign_org_name"),
            models.Index(fields=["organization", "-updated_at"], name="campaign_org_updated"),
        ]

    def __str__(self):
        return self.name

    def platform_labels(self) -> list[str]:
        labels = dict(Platform.choices)
        return [labels.get(p, p) for p in self.platforms]


class AdSet(models.Model):
    """Audience, budget, schedule, bidding and placements under one campaign.

    ``targeting`` follows :data:`campaigns.validators.TARGETING_SCHEMA`. ``budget_minor`` (minor
    units of ``currency``, which equals the campaign's) is set when the campaign's budget level is
    ``ad_set``; ``bid_amount_minor`` is required by the bid-cap and cost-cap strategies.
    """

    organization_lookup = "campaign__organization"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="ad_sets")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    budget_minor = models.BigIntegerField(null=True, blank=True, help_text="Ad set budget in minor units.")
    currency = models.CharField(max_length=3, default="USD")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    bid_strategy = models.CharField(max_length=32, choices=BidStrategy.choices, default=BidStrategy.LOWEST_COST_WITHOUT_CAP)
    bid_amount_minor = models.BigIntegerField(null=True, blank=True)
    billing_event = models.CharField(max_length=20, choices=BillingEvent.choices, default=BillingEvent.IMPRESSIONS)
    optimization_goal = models.CharField(max_length=24, choices=OptimizationGoal.choices)
    placements = ArrayField(models.CharField(max_length=24, choices=Placement.choices), default=list, blank=True,
                            help_text="Empty means automatic placements.")
    targeting = models.JSONField(default=dict)
    external = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign_id", "created_at", "id"]
        constraints = [
            _c(models.UniqueConstraint("campaign", Lower("name"), name="ad_set_name_unique_in_campaign",
                                       violation_error_message="This campaign already has an ad set with this name."), "name"),
            _c(models.CheckConstraint(condition=~Q(name=""), name="ad_set_name_not_blank",
                                      violation_error_message="Give the ad set a name."), "name"),
            _c(models.CheckConstraint(condition=Q(status__in=Status.values), name="ad_set_status_valid",
                                      violation_error_message="Unknown status."), "status"),
            _c(models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="ad_set_currency_iso",
                                      violation_error_message="Use a three-letter ISO 4217 code such as USD."), "currency"),
            _c(models.CheckConstraint(condition=Q(budget_minor__isnull=True) | Q(budget_minor__gt=0), name="ad_set_budget_positive",
                                      violation_error_message="The budget must be greater than zero."), "budget_minor"),
            _c(models.CheckConstraint(condition=Q(bid_amount_minor__isnull=True) | Q(bid_amount_minor__gt=0),
                                      name="ad_set_bid_positive", violation_error_message="The bid must be greater than zero."),
               "bid_amount_minor"),
            _c(models.CheckConstraint(
                condition=~Q(bid_strategy__in=list(BID_AMOUNT_STRATEGIES), bid_amount_minor__isnull=True),
                name="ad_set_cap_needs_bid", violation_error_message="Bid cap and cost cap strategies need a bid amount."),
               "bid_amount_minor"),
            _c(models.CheckConstraint(condition=Q(placements__contained_by=Placement.values), name="ad_set_placements_valid",
                                      violation_error_message="Unknown placement."), "placements"),
            _c(models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="ad_set_end_after_start", violation_error_message="The end must be after the start."), "ends_at"),
        ]

    def __str__(self):
        return self.name


def creative_upload_to(instance, filename):
    """``campaigns/creatives/<org id>/<random token>/<name>`` (unguessable; name cut to fit)."""
    import secrets

    from videogen.models import storage_safe_name

    return f"campaigns/creatives/{instance.ad_set.campaign.organization_id}/{secrets.token_hex(16)}/{storage_safe_name(filename)}"


class Ad(models.Model):
    """One ad: a video creative (an uploaded file for now) with its copy, call to action and
    destination. ``destination_url`` is the landing page; :meth:`tracked_url` adds the UTM
    parameters."""

    organization_lookup = "ad_set__campaign__organization"

    ad_set = models.ForeignKey(AdSet, on_delete=models.CASCADE, related_name="ads")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    creative = models.FileField(upload_to=creative_upload_to, blank=True, max_length=300)
    # A Studio render used as the creative (instead of an uploaded file): the render and the MP4
    # asset of its chosen format. Same organization (checked by the services).
    creative_render = models.ForeignKey("videogen.Render", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="ads", help_text="The Studio render this ad uses.")
    creative_asset = models.ForeignKey("videogen.Asset", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", help_text="The MP4 of the render's chosen format.")
    creative_ratio = models.CharField(max_length=8, blank=True,
                                      help_text="Aspect ratio of the creative (9:16, 1:1, 4:5, 16:9, or e.g. 4:3).")
    creative_width = models.PositiveIntegerField(null=True, blank=True, help_text="Creative width in pixels.")
    creative_height = models.PositiveIntegerField(null=True, blank=True, help_text="Creative height in pixels.")
    primary_text = models.TextField(blank=True, max_length=2200, help_text="Meta recommends up to 125 characters.")
    headline = models.CharField(max_length=255, blank=True, help_text="Meta recommends up to 40 characters.")
    description = models.CharField(max_length=255, blank=True)
    call_to_action = models.CharField(max_length=20, choices=CallToAction.choices, default=CallToAction.LEARN_MORE)
    destination_url = models.URLField(max_length=1000, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    external = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ad_set_id", "created_at", "id"]
        constraints = [
            _c(models.UniqueConstraint("ad_set", Lower("name"), name="ad_name_unique_in_ad_set",
                                       violation_error_message="This ad set already has an ad with this name."), "name"),
            _c(models.CheckConstraint(condition=~Q(name=""), name="ad_name_not_blank",
                                      violation_error_message="Give the ad a name."), "name"),
            _c(models.CheckConstraint(condition=Q(status__in=Status.values), name="ad_status_valid",
                                      violation_error_message="Unknown status."), "status"),
            _c(models.CheckConstraint(condition=Q(call_to_action__in=CallToAction.values), name="ad_call_to_action_valid",
                                      violation_error_message="Unknown call to action."), "call_to_action"),
            _c(models.CheckConstraint(condition=Q(destination_url="") | Q(destination_url__regex=r"^https?://"),
                                      name="ad_destination_http", violation_error_message="Use an http(s) URL."),
               "destination_url"),
        ]

    def __str__(self):
        return self.name

    @property
    def has_creative(self) -> bool:
        """An uploaded video or a linked Studio render."""
        return bool(self.creative) or self.creative_asset_id is not None

    UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

    def tracked_url(self) -> str:
        """``destination_url`` with the ad's non-empty UTM parameters merged into its query
        string (the ad's values win over ones already in the URL). Empty when no URL is set."""
        if not self.destination_url:
            return ""
        parts = urlsplit(self.destination_url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update({f: getattr(self, f) for f in self.UTM_FIELDS if getattr(self, f)})
        return urlunsplit(parts._replace(query=urlencode(query)))


def _fernet() -> MultiFernet:
    """Fernet keys from ``KOLONY_FIELD_ENCRYPTION_KEY`` (comma-separated; the first encrypts, all
    decrypt, so keys can be rotated), else one derived from SECRET_KEY (SHA-256)."""
    raw = (getattr(settings, "KOLONY_FIELD_ENCRYPTION_KEY", "") or "").strip()
    if raw:
        keys = [k.strip() for k in raw.split(",") if k.strip()]
    else:
        keys = [base64.urlsafe_b64encode(hashlib.sha256(f"kolony-fields:{settings.SECRET_KEY}".encode()).digest()).decode()]
    return MultiFernet([Fernet(k) for k in keys])


class PlatformConnection(OrgOwned):
    """An organization's link to one ad platform: the ad account and an OAuth token encrypted at
    rest (Fernet). Read and write the token through :attr:`token`."""

    platform = models.CharField(max_length=10, choices=Platform.choices)
    ad_account_id = models.CharField(max_length=64, help_text="Meta: act_<digits>; Google: 10-digit customer id.")
    token_encrypted = models.TextField(blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_encrypted = models.TextField(blank=True, editable=False)
    scopes = models.CharField(max_length=500, blank=True)
    account_name = models.CharField(max_length=200, blank=True, help_text="The ad account's / customer's name on the platform.")
    status = models.CharField(max_length=16, default="active", help_text="active | needs_reconnect")
    status_message = models.CharField(max_length=500, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            _c(models.UniqueConstraint(fields=["organization", "platform"], name="platform_connection_one_per_platform",
                                       violation_error_message="This platform is already connected."), "platform"),
            _c(models.CheckConstraint(condition=Q(platform__in=Platform.values), name="platform_connection_platform_valid",
                                      violation_error_message="Unknown platform."), "platform"),
            _c(models.CheckConstraint(
                condition=Q(platform=Platform.META, ad_account_id__regex=r"^act_[0-9]+$")
                | Q(platform=Platform.GOOGLE, ad_account_id__regex=r"^[0-9]{10}$"),
                name="platform_connection_account_format",
                violation_error_message="Meta ad accounts look like act_1234567890; Google customer ids are 10 digits."),
               "ad_account_id"),
        ]

    def __str__(self):
        return f"{self.get_platform_display()} {self.ad_account_id}"

    @property
    def token(self) -> str:
        """The decrypted OAuth token ("" when none or when the key no longer matches)."""
        if not self.token_encrypted:
            return ""
        try:
            return _fernet().decrypt(self.token_encrypted.encode()).decode()
        except InvalidToken:
            return ""

    @token.setter
    def token(self, value: str) -> None:
        self.token_encrypted = _fernet().encrypt(value.encode()).decode() if value else ""

    @property
    def refresh_token(self) -> str:
        """The decrypted OAuth refresh token ("" when none or when the key no longer matches)."""
        if not self.refresh_token_encrypted:
            return ""
        try:
            return _fernet().decrypt(self.refresh_token_encrypted.encode()).decode()
        except InvalidToken:
            return ""

    @refresh_token.setter
    def refresh_token(self, value: str) -> None:
        self.refresh_token_encrypted = _fernet().encrypt(value.encode()).decode() if value else ""


class InsightDaily(OrgOwned):
    """Delivery of one ad on one platform on one day (the platform's reporting time zone).

    Money in minor units of the campaign's currency. ``organization``, ``campaign`` and ``ad_set``
    are copies of the ad's parents (set by ``services.insights_upsert``) so that reports
    aggregate without joins. Video quartiles follow Meta's ``video_p25_watched_actions`` …
    ``video_p100_watched_actions``; ``thruplays`` is Meta's ThruPlay (15 s or complete) and
    Google's TrueView view.
    """

    # (campaign, date) and the unique (ad, platform, date) already index these two.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    ad_set = models.ForeignKey(AdSet, on_delete=models.CASCADE, related_name="+")
    ad = models.ForeignKey(Ad, on_delete=models.CASCADE, related_name="insights", db_index=False)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    date = models.DateField()
    impressions = models.BigIntegerField(default=0)
    reach = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    spend_minor = models.BigIntegerField(default=0)
    conversions = models.BigIntegerField(default=0)
    conversion_value_minor = models.BigIntegerField(default=0)
    video_plays = models.BigIntegerField(default=0)
    thruplays = models.BigIntegerField(default=0)
    video_p25 = models.BigIntegerField(default=0)
    video_p50 = models.BigIntegerField(default=0)
    video_p75 = models.BigIntegerField(default=0)
    video_p100 = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    METRICS = (
        "impressions", "reach", "clicks", "spend_minor", "conversions", "conversion_value_minor",
        "video_plays", "thruplays", "video_p25", "video_p50", "video_p75", "video_p100",
    )

    class Meta:
        verbose_name = "daily insight"
        ordering = ["-date", "ad_id", "platform"]
        constraints = [
            _c(models.UniqueConstraint(fields=["ad", "platform", "date"], name="insight_unique_ad_platform_date"), "date"),
            _c(models.CheckConstraint(condition=Q(platform__in=Platform.values), name="insight_platform_valid"), "platform"),
            _c(models.CheckConstraint(
                condition=Q(impressions__gte=0, reach__gte=0, clicks__gte=0, spend_minor__gte=0, conversions__gte=0,
                            conversion_value_minor__gte=0, video_plays__gte=0, thruplays__gte=0, video_p25__gte=0,
                            video_p50__gte=0, video_p75__gte=0, video_p100__gte=0),
                name="insight_metrics_non_negative", violation_error_message="Metrics cannot be negative."), "__all__"),
            _c(models.CheckConstraint(condition=Q(reach__lte=F("impressions")), name="insight_reach_le_impressions",
                                      violation_error_message="Reach cannot exceed impressions."), "reach"),
            _c(models.CheckConstraint(
                condition=Q(video_p50__lte=F("video_p25"), video_p75__lte=F("video_p50"), video_p100__lte=F("video_p75")),
                name="insight_quartiles_monotonic",
                violation_error_message="Video quartiles must not increase (p25 ≥ p50 ≥ p75 ≥ p100)."), "video_p25"),
        ]
        indexes = [
            # The dashboard cache's fingerprint: the newest row of an organization.
            models.Index(fields=["organization", "-updated_at"], name="insight_org_updated"),
            # Dashboard: one organization over a date range, answered from the index alone.
            models.Index(
                fields=["organization", "date"], name="insight_org_date",
                include=["campaign", "ad", "platform", "impressions", "clicks", "spend_minor", "conversions",
                         "conversion_value_minor", "video_plays", "thruplays", "reach"],
            ),
            # Per-campaign KPIs of a list page and a campaign's detail page.
            models.Index(
                fields=["campaign", "date"], name="insight_campaign_date",
                include=["impressions", "clicks", "spend_minor", "conversions", "conversion_value_minor", "video_plays", "thruplays"],
            ),
        ]

    def __str__(self):
        return f"{self.ad_id} {self.platform} {self.date}"


from campaigns.platforms.models import InsightSyncRun, Publication, PublicationStatus  # noqa: E402  (publishing data)

__all__ = ["InsightSyncRun", "Publication", "PublicationStatus"]
