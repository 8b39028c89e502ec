"""API shapes. Thin: validation of business rules happens in ``services``; these only parse types
and render objects. Related ids are looked up inside the caller's organization only."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from kolony.core.request_validation import ID_MAX, SafeDateFieldDRF
from kolony.core.service_errors import api_error_detail
from kolony.tenancy import org_queryset

from . import services
from .choices import GOOGLE_GOAL, META_OBJECTIVE, Objective, Platform, Status
from .models import Ad, AdSet, Campaign, InsightDaily
from .selectors import CAMPAIGN_ORDERING, GROUP_BY, KPIS, METRICS
from .validators import validate_currency


class OrgPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key resolved only among the request organization's objects (others: "not found")."""

    default_error_messages = {
        "does_not_exist": "No object with id {pk_value} in your organization.",
        "incorrect_type": "Expected an id (integer), got {data_type}.",
    }

    def get_queryset(self):
        return org_queryset(super().get_queryset(), self.context.get("organization"))


def _service(fn, **kwargs):
    """Calls a service, turning its Django ValidationError (``__all__`` for the object) into DRF's
    (``non_field_errors``)."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(api_error_detail(exc)) from exc


def _actor(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class CampaignSerializer(serializers.ModelSerializer):
    meta_objective = serializers.SerializerMethodField(help_text="Meta campaign objective (OUTCOME_*).")
    google_goal = serializers.SerializerMethodField(help_text="Google Ads campaign goal.")
    ad_set_count = serializers.IntegerField(read_only=True, default=0)
    ad_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "objective", "meta_objective", "google_goal", "platforms", "status", "special_ad_categories",
            "budget_type", "budget_level", "budget_minor", "currency", "starts_at", "ends_at", "external",
            "ad_set_count", "ad_count", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "external", "created_at", "updated_at"]
        validators: list = []  # the service checks uniqueness and every constraint, reporting per field
        extra_kwargs = {
            "name": {"validators": []},
            "platforms": {"required": True},  # the service needs at least one (JSON and multipart alike)
            "budget_minor": {"help_text": "Campaign budget in minor units of `currency` (cents for USD); only with budget_level=campaign."},
            "currency": {"help_text": "ISO 4217 code, e.g. USD."},
        }

    def get_meta_objective(self, obj) -> str:
        return META_OBJECTIVE.get(obj.objective, "")

    def get_google_goal(self, obj) -> str:
        return GOOGLE_GOAL.get(obj.objective, "")

    def create(self, validated_data):
        organization = validated_data.pop("organization", None) or self.context["organization"]
        return _service(services.campaign_create, organization=organization, actor=_actor(self), **validated_data)

    def update(self, instance, validated_data):
        return _service(services.campaign_update, campaign=instance, actor=_actor(self), **validated_data)


class AdSetSerializer(serializers.ModelSerializer):
    campaign = OrgPrimaryKeyRelatedField(queryset=Campaign.objects.all())
    targeting = serializers.JSONField(
        required=False,
        help_text='{"countries": ["US"], "age_min": 18, "age_max": 65, "genders": ["female"], "languages": ["en"], '
        '"interests": ["coffee"]} — ISO 3166-1 alpha-2 countries, ISO 639-1 languages, ages 13–65 (65 = 65+).',
    )

    class Meta:
        model = AdSet
        fields = [
            "id", "campaign", "name", "status", "budget_minor", "currency", "starts_at", "ends_at", "bid_strategy",
            "bid_amount_minor", "billing_event", "optimization_goal", "placements", "targeting", "external",
            "created_at", "updated_at",
        ]
        read_only_fields = ["id", "currency", "external", "created_at", "updated_at"]
        validators: list = []
        extra_kwargs = {
            "name": {"validators": []},
            "optimization_goal": {"required": False, "allow_blank": True},
            "budget_minor": {"help_text": "Ad set budget in minor units of the campaign's currency."},
        }

    def validate_campaign(self, value):
        if self.instance is not None and value.pk != self.instance.campaign_id:
            raise serializers.ValidationError("An ad set cannot move to another campaign.")
        return value

    def create(self, validated_data):
        validated_data.pop("organization", None)
        return _service(services.ad_set_create, actor=_actor(self), **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("campaign", None)
        return _service(services.ad_set_update, ad_set=instance, actor=_actor(self), **validated_data)


class CreativeField(serializers.FileField):
    """An ad's video file: written as an upload, read as its URL through the tenancy-checked media
    view (``/media/creative/<ad id>/<file name>``; session or ``Authorization: Token``)."""

    def to_representation(self, value):
        instance = getattr(value, "instance", None)
        if not value and not getattr(instance, "creative_asset_id", None):
            return None
        from kolony.core.media import creative_url

        request = self.context.get("request")
        path = creative_url(instance)
        return request.build_absolute_uri(path) if request is not None else path


class AdSerializer(serializers.ModelSerializer):
    ad_set = OrgPrimaryKeyRelatedField(queryset=AdSet.objects.all())
    campaign = serializers.IntegerField(source="ad_set.campaign_id", read_only=True)
    creative = CreativeField(required=False, allow_null=True,
                                     help_text="Video file (MP4, MOV or WebM); send as multipart/form-data.")
    tracked_url = serializers.CharField(read_only=True, help_text="destination_url with the UTM parameters.")
    creative_render = serializers.IntegerField(
        source="creative_render_id", required=False, allow_null=True,
        help_text="A finished Studio render of your organization used as the creative (see "
        "GET /api/v1/ad-sets/{id}/creative-options/); null unlinks it.")
    creative_ratio = serializers.CharField(
        required=False, allow_blank=True, max_length=8,
        help_text="The render's format to use (9:16, 1:1, 4:5, 16:9); empty: the first that fits the ad set's placements. "
        "Read: the creative's aspect ratio.")

    class Meta:
        model = Ad
        fields = [
            "id", "ad_set", "campaign", "name", "status", "creative", "creative_render", "creative_ratio", "creative_asset",
            "creative_width", "creative_height", "primary_text", "headline", "description",
            "call_to_action", "destination_url", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
            "tracked_url", "external", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "external", "created_at", "updated_at", "creative_asset", "creative_width", "creative_height"]
        validators: list = []
        extra_kwargs: dict[str, dict] = {"name": {"validators": []}}

    def validate_ad_set(self, value):
        if self.instance is not None and value.pk != self.instance.ad_set_id:
            raise serializers.ValidationError("An ad cannot move to another ad set.")
        return value

    def create(self, validated_data):
        validated_data.pop("organization", None)
        if "creative_render_id" in validated_data:
            validated_data["creative_render"] = validated_data.pop("creative_render_id")
        return _service(services.ad_create, actor=_actor(self), **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("ad_set", None)
        if validated_data.get("creative", 0) is None:
            validated_data.pop("creative")
        if "creative_render_id" in validated_data:
            validated_data["creative_render"] = validated_data.pop("creative_render_id")
        return _service(services.ad_update, ad=instance, actor=_actor(self), **validated_data)


class InsightSerializer(serializers.ModelSerializer):
    class Meta:
        model = InsightDaily
        fields = ["id", "ad", "ad_set", "campaign", "platform", "date", *InsightDaily.METRICS, "updated_at"]
        read_only_fields = fields


class IdFilterField(serializers.IntegerField):
    """An object id in a query string (1 … 2⁶³−1)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=1, max_value=ID_MAX, **kwargs)


class CampaignListQuerySerializer(serializers.Serializer):
    """``GET /api/v1/campaigns/`` filters."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.ChoiceField(choices=Status.values, required=False, allow_blank=True)
    platform = serializers.ChoiceField(choices=Platform.values, required=False, allow_blank=True)
    objective = serializers.ChoiceField(choices=Objective.values, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(choices=list(CAMPAIGN_ORDERING), required=False, allow_blank=True)


class AdSetListQuerySerializer(serializers.Serializer):
    """``GET /api/v1/ad-sets/`` filters."""

    campaign = IdFilterField()
    status = serializers.ChoiceField(choices=Status.values, required=False, allow_blank=True)


class AdListQuerySerializer(AdSetListQuerySerializer):
    """``GET /api/v1/ads/`` filters."""

    ad_set = IdFilterField()


class InsightQuerySerializer(serializers.Serializer):
    ad = IdFilterField()
    ad_set = IdFilterField()
    campaign = IdFilterField()
    platform = serializers.ChoiceField(choices=["meta", "google"], required=False)
    from_ = SafeDateFieldDRF(required=False)
    to = SafeDateFieldDRF(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": "`to` must be on or after `from`."})
        return attrs


class KpiQuerySerializer(InsightQuerySerializer):
    group_by = serializers.ChoiceField(choices=list(GROUP_BY), required=False,
                                       help_text="campaign, ad_set, ad, day or platform; omit for totals.")
    currency = serializers.CharField(required=False, min_length=3, max_length=3, validators=[validate_currency],
                                     help_text="Only campaigns in this ISO 4217 currency (amounts are never converted).")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("from") and attrs.get("to") and (attrs["to"] - attrs["from"]).days > 730:
            raise serializers.ValidationError({"to": "The range can span at most two years."})
        return attrs


class KpiRowSerializer(serializers.Serializer):
    """One row of KPIs (money in minor units; ratios as fractions; null when undefined)."""

    id = serializers.IntegerField(required=False)
    name = serializers.CharField(required=False)
    date = serializers.DateField(required=False)
    platform = serializers.CharField(required=False)
    impressions = serializers.IntegerField()
    reach = serializers.IntegerField()
    clicks = serializers.IntegerField()
    spend_minor = serializers.IntegerField()
    conversions = serializers.IntegerField()
    conversion_value_minor = serializers.IntegerField()
    video_plays = serializers.IntegerField()
    thruplays = serializers.IntegerField()
    ctr = serializers.FloatField(allow_null=True)
    cpc_minor = serializers.FloatField(allow_null=True)
    cpm_minor = serializers.FloatField(allow_null=True)
    cpa_minor = serializers.FloatField(allow_null=True)
    roas = serializers.FloatField(allow_null=True)
    thruplay_rate = serializers.FloatField(allow_null=True)


class KpiResponseSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField()
    group_by = serializers.CharField(allow_null=True)
    currency = serializers.CharField(allow_null=True, help_text=(
        "The ISO 4217 currency of every amount; null when the selection adds up campaigns in several "
        "currencies (see `currencies`; pass `currency` to keep one)."))
    currencies = serializers.ListField(child=serializers.CharField(), help_text="The organization's campaign currencies, most used first.")
    totals = KpiRowSerializer()
    results = KpiRowSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


if not set(METRICS) | set(KPIS) <= set(KpiRowSerializer().fields):  # the schema must name every metric and KPI
    raise ImproperlyConfigured("KpiRowSerializer lacks a metric or KPI of campaigns.selectors.")
