"""REST API for campaigns, ad sets, ads, insights and KPIs (``/api/v1/``).

List endpoints paginate (``?page=``, 50 per page) and filter through ``selectors``; DELETE
archives (archived objects stay readable; Meta and Google keep archived objects too). Every
object is looked up inside the caller's organization: another organization's id answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from kolony import pagecache
from kolony.core.request_validation import FormParser, JSONParser, MultiPartParser
from kolony.tenancy import OrgScopedViewSetMixin

from . import selectors, services
from .choices import Objective, Platform, Status
from .models import Ad, AdSet, Campaign, InsightDaily
from .selectors import DateRange
from .serializers import (
    AdListQuerySerializer,
    AdSerializer,
    AdSetListQuerySerializer,
    AdSetSerializer,
    CampaignListQuerySerializer,
    CampaignSerializer,
    InsightQuerySerializer,
    InsightSerializer,
    KpiQuerySerializer,
    KpiResponseSerializer,
)

CAMPAIGN_EXAMPLE = {
    "id": 42, "name": "Spring launch", "objective": "traffic", "meta_objective": "OUTCOME_TRAFFIC",
    "google_goal": "WEBSITE_TRAFFIC", "platforms": ["meta"], "status": "draft", "special_ad_categories": [],
    "budget_type": "daily", "budget_level": "ad_set", "budget_minor": None, "currency": "USD", "starts_at": None,
    "ends_at": None, "external": {}, "ad_set_count": 0, "ad_count": 0,
    "created_at": "2026-03-01T09:00:00Z", "updated_at": "2026-03-01T09:00:00Z",
}


def _query(request, serializer_class) -> dict:
    """The request's query parameters parsed by ``serializer_class``; raises ValidationError (400
    naming each parameter)."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class _Writable(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    archive: Callable[..., Any] | None = None  # service that archives one object

    def perform_destroy(self, instance):
        type(self).archive(instance, actor=self.request.user)

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.perform_destroy(instance)
        instance.refresh_from_db()
        return Response(self.get_serializer(instance).data, status=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        summary="List campaigns",
        parameters=[
            OpenApiParameter("search", str, description="Name contains (case-insensitive)."),
            OpenApiParameter("status", str, enum=Status.values, description="Archived campaigns are listed only when asked for."),
            OpenApiParameter("platform", str, enum=Platform.values),
            OpenApiParameter("objective", str, enum=Objective.values),
            OpenApiParameter("ordering", str, enum=list(selectors.CAMPAIGN_ORDERING), description="Default -created."),
        ],
    ),
    create=extend_schema(
        summary="Create a campaign",
        examples=[
            OpenApiExample("Smallest campaign", value={"name": "Spring launch", "objective": "traffic", "platforms": ["meta"]},
                           request_only=True),
            OpenApiExample("Campaign budget", request_only=True, value={
                "name": "Holiday bundles", "objective": "sales", "platforms": ["meta", "google"], "budget_level": "campaign",
                "budget_type": "lifetime", "budget_minor": 250000, "currency": "EUR",
                "starts_at": "2026-11-20T00:00:00Z", "ends_at": "2026-12-24T23:59:00Z"}),
            OpenApiExample("Created", value=CAMPAIGN_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample("Bad input", response_only=True, status_codes=["400"], value={
                "detail": "Invalid input: currency: 'XYZ' is not a currency code we know; use a three-letter code such as USD, EUR or GBP.",
                "errors": {"currency": ["'XYZ' is not a currency code we know; use a three-letter code such as USD, EUR or GBP."]}}),
        ],
    ),
    retrieve=extend_schema(summary="Get a campaign", examples=[OpenApiExample("Campaign", value=CAMPAIGN_EXAMPLE)]),
    partial_update=extend_schema(summary="Change a campaign",
                                 examples=[OpenApiExample("Pause", value={"status": "paused"}, request_only=True)]),
    destroy=extend_schema(summary="Archive a campaign (with its ad sets and ads); returns the archived campaign"),
)
class CampaignViewSet(_Writable):
    """Campaigns of your organization."""

    serializer_class = CampaignSerializer
    queryset = Campaign.objects.all()
    archive = staticmethod(lambda obj, actor: services.campaign_archive(campaign=obj, actor=actor))

    def list(self, request, *args, **kwargs):
        """The page of campaigns, from the page cache when it holds it (JSON only; keyed by the
        organization's data version, host and normalized query string, see
        :mod:`kolony.pagecache`)."""
        organization = self.organization
        if not (pagecache.usable(request, messages=False) and getattr(request.accepted_renderer, "format", "") == "json"):
            return super().list(request, *args, **kwargs)
        key = pagecache.entry_key("api:list", organization, request.scheme, request.get_host(), pagecache.query_key(request))
        entries = pagecache.lookup(organization, [key])
        stored = entries.get(key)
        if stored is not None:
            content_type, body = stored
            return HttpResponse(body, content_type=content_type, headers={pagecache.HEADER: "hit"})
        response = super().list(request, *args, **kwargs)
        response[pagecache.HEADER] = "miss"
        if response.status_code == 200:
            response.add_post_render_callback(lambda r: entries.store(key, (r["Content-Type"], r.content)))
        return response

    def scope_queryset(self, queryset):
        if self.action == "list":
            filters = {k: v for k, v in _query(self.request, CampaignListQuerySerializer).items() if v}
            return selectors.campaign_list(organization=self.organization, filters=filters)
        return selectors.campaign_list(organization=self.organization, filters={"status": Status.values})

    @extend_schema(
        summary="Hierarchy warnings of a campaign",
        description="What doesn't make sense in the campaign → ad set → ad hierarchy (warnings, never blocks): "
        "an active ad in a draft or paused ad set, an active ad set in a draft campaign, an active campaign without "
        "ads or with ads that have no video, a creative whose ratio fits none of its ad set's placements.",
        responses={200: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("Warnings", response_only=True, value={"campaign": 42, "results": [{
            "kind": "creative_ratio_mismatch", "message": "Ad “Pour” uses a 9:16 video, but its ad set's placements "
            "(YouTube in-stream) show 16:9: …", "campaign": 42, "ad_set": 7, "ad": 9,
            "fix_url": "/campaigns/ads/9/edit/", "fix_label": "Change the video"}]})],
    )
    @action(detail=True, methods=["get"])
    def warnings(self, request, pk=None):
        from .warnings import hierarchy_warnings

        campaign = self.get_object()
        return Response({"campaign": campaign.pk, "results": [w.as_dict() for w in hierarchy_warnings(campaign=campaign)]})


@extend_schema_view(
    list=extend_schema(summary="List ad sets", parameters=[
        OpenApiParameter("campaign", int), OpenApiParameter("status", str, enum=Status.values)]),
    create=extend_schema(summary="Create an ad set", examples=[OpenApiExample("Ad set", request_only=True, value={
        "campaign": 42, "name": "US coffee lovers 25–44", "budget_minor": 5000, "optimization_goal": "LINK_CLICKS",
        "placements": ["instagram_reels", "facebook_feed"],
        "targeting": {"countries": ["US"], "age_min": 25, "age_max": 44, "genders": [], "languages": ["en"],
                      "interests": ["coffee", "espresso"]}})]),
    retrieve=extend_schema(summary="Get an ad set"),
    partial_update=extend_schema(summary="Change an ad set"),
    destroy=extend_schema(summary="Archive an ad set (with its ads)"),
)
class AdSetViewSet(_Writable):
    """Ad sets (audience, budget, schedule, bidding, placements) of your campaigns."""

    serializer_class = AdSetSerializer
    queryset = AdSet.objects.all()
    archive = staticmethod(lambda obj, actor: services.ad_set_archive(ad_set=obj, actor=actor))

    def scope_queryset(self, queryset):
        filters = {k: v for k, v in _query(self.request, AdSetListQuerySerializer).items() if v} if self.action == "list" else {}
        return selectors.ad_set_list(organization=self.organization, filters=filters)

    @extend_schema(
        summary="Studio renders this ad set's ads can use",
        description="Every format of your organization's finished Studio renders, the ratios that fit this ad set's "
        "placements first, then newest first. Link one to an ad with `creative_render` (+ `creative_ratio`) on "
        "POST/PATCH /api/v1/ads/.",
        responses={200: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("Options", response_only=True, value={
            "ad_set": 7, "placements": ["instagram_reels"], "fitting_ratios": ["9:16"], "results": [{
                "render": 12, "ratio": "9:16", "asset": 301, "job": 5, "job_title": "Cold brew", "version": 2,
                "width": 1080, "height": 1920, "fits_placements": True, "label": "Cold brew · v2 · 9:16",
                "created_at": "2026-03-01T09:00:00Z"}]})],
    )
    @action(detail=True, methods=["get"], url_path="creative-options")
    def creative_options(self, request, pk=None):
        from .creatives import placement_ratios, render_options

        ad_set = self.get_object()
        options = render_options(organization=self.organization, placements=list(ad_set.placements))
        return Response({"ad_set": ad_set.pk, "placements": list(ad_set.placements),
                         "fitting_ratios": list(placement_ratios(list(ad_set.placements))),
                         "results": [o.as_dict() for o in options]})


@extend_schema_view(
    list=extend_schema(summary="List ads", parameters=[
        OpenApiParameter("ad_set", int), OpenApiParameter("campaign", int), OpenApiParameter("status", str, enum=Status.values)]),
    create=extend_schema(summary="Create an ad (JSON, or multipart/form-data with a `creative` video)",
                         examples=[OpenApiExample("Ad", request_only=True, value={
                             "ad_set": 7, "name": "Cold brew 15s", "primary_text": "Summer tastes better cold.",
                             "headline": "Cold brew, delivered", "call_to_action": "SHOP_NOW",
                             "destination_url": "https://aurora.example/cold-brew", "utm_source": "meta",
                             "utm_medium": "paid_social", "utm_campaign": "summer"})]),
    retrieve=extend_schema(summary="Get an ad"),
    partial_update=extend_schema(summary="Change an ad"),
    destroy=extend_schema(summary="Archive an ad"),
)
class AdViewSet(_Writable):
    """Ads of your ad sets. A creative is a video file uploaded with multipart/form-data."""

    serializer_class = AdSerializer
    queryset = Ad.objects.all()
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    archive = staticmethod(lambda obj, actor: services.ad_archive(ad=obj, actor=actor))

    def scope_queryset(self, queryset):
        filters = {k: v for k, v in _query(self.request, AdListQuerySerializer).items() if v} if self.action == "list" else {}
        return selectors.ad_list(organization=self.organization, filters=filters)


@extend_schema_view(
    list=extend_schema(summary="Daily insights", parameters=[
        OpenApiParameter("ad", int), OpenApiParameter("ad_set", int), OpenApiParameter("campaign", int),
        OpenApiParameter("platform", str, enum=Platform.values),
        OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive)."),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive)."),
    ]),
    retrieve=extend_schema(summary="One daily insight row"),
)
class InsightViewSet(OrgScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """One row per ad × platform × day; money in minor units of the campaign's currency."""

    serializer_class = InsightSerializer
    queryset = InsightDaily.objects.all()

    def scope_queryset(self, queryset):
        if self.action != "list":
            return selectors.insight_list(organization=self.organization)
        query = InsightQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.insight_list(organization=self.organization, filters=query.validated_data)


class KpiView(OrgScopedViewSetMixin, APIView):
    """KPIs over a date range (default: the last 30 full days), totals plus one row per group."""

    @extend_schema(
        summary="KPIs for a date range",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive); default 30 days ago."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); default yesterday."),
            OpenApiParameter("group_by", str, enum=list(selectors.GROUP_BY), description="Omit for totals only."),
            OpenApiParameter("campaign", int), OpenApiParameter("ad_set", int), OpenApiParameter("ad", int),
            OpenApiParameter("platform", str, enum=Platform.values),
            OpenApiParameter("currency", str, description="Only campaigns in this ISO 4217 currency (e.g. EUR)."),
        ],
        responses=KpiResponseSerializer,
        examples=[OpenApiExample("By platform", response_only=True, value={
            "from": "2026-03-01", "to": "2026-03-30", "group_by": "platform", "currency": "USD", "currencies": ["USD"],
            "totals": {"impressions": 120000, "reach": 80000, "clicks": 2400, "spend_minor": 150000, "conversions": 60,
                       "conversion_value_minor": 420000, "video_plays": 50000, "thruplays": 18000, "ctr": 0.02,
                       "cpc_minor": 62.5, "cpm_minor": 1250.0, "cpa_minor": 2500.0, "roas": 2.8, "thruplay_rate": 0.15},
            "results": [{"platform": "meta", "impressions": 120000, "reach": 80000, "clicks": 2400, "spend_minor": 150000,
                         "conversions": 60, "conversion_value_minor": 420000, "video_plays": 50000, "thruplays": 18000,
                         "ctr": 0.02, "cpc_minor": 62.5, "cpm_minor": 1250.0, "cpa_minor": 2500.0, "roas": 2.8,
                         "thruplay_rate": 0.15}]})],
    )
    def get(self, request):
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        default = DateRange.last(30)
        end = data.get("to") or default.end
        start = data.get("from") or (default.start if not data.get("to") else data["to"] - (default.end - default.start))
        if end < start:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"from": ["`from` must be on or before `to`."]})
        date_range = DateRange(start, end)
        organization = self.organization
        filters = {k: data[k] for k in ("campaign", "ad_set", "ad", "platform", "currency") if data.get(k)}
        totals = selectors.kpis_for(organization=organization, date_range=date_range, filters=filters)
        group_by = data.get("group_by")
        results = (selectors.kpis_for(organization=organization, date_range=date_range, group_by=group_by, filters=filters)
                   if group_by else [])
        currencies = selectors.dashboard_currencies(organization=organization)
        currency = data.get("currency") or (currencies[0] if len(currencies) == 1 else None)
        return Response({"from": start, "to": end, "group_by": group_by, "currency": currency, "currencies": currencies,
                         "totals": totals, "results": results})

