"""REST API of variant tests (``/api/v1/variant-sets/``, issue 17): list and read variant sets
with their variants, propose levels, make a set from a job, submit it for review, approve it,
publish it as sibling ads.

Errors (the one format of :mod:`kolony.core.api_errors`): 400 naming the field (``factor``,
``levels``, ``levels[1]``, ``job``, ``ad_set``, ``platform``), 403 for a role that may not, 404
for another organization's set or job, 409 when a variant's state refuses (nothing in review; not
every variant approved)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kolony.core.request_validation import ID_MAX
from kolony.tenancy import OrgScopedViewSetMixin, org_queryset
from videogen.engine.planner.variants import MAX_LEVELS, MIN_LEVELS
from videogen.models import VariantFactor, VariantSet, VideoJob

from . import selectors, services

SET_EXAMPLE = {
    "id": 3, "name": "Aurora: hook line test", "factor": "hook", "status": "running", "base_job": 12, "ad_set": 4,
    "first_published_at": "2026-03-02T09:00:00Z", "results_url": "/experiments/3/", "created_at": "2026-03-01T08:00:00Z",
    "variants": [{"index": 1, "is_control": True, "job": 13, "level": "Meet Aurora.", "level_label": "Meet Aurora.",
                  "render": 21, "review_status": "published", "approved": True},
                 {"index": 2, "is_control": False, "job": 14, "level": "Tired of bitter coffee?",
                  "level_label": "Tired of bitter coffee?", "render": 22, "review_status": "published", "approved": True}],
}


class VariantSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="1 = the control")
    is_control = serializers.BooleanField()
    job = serializers.IntegerField(source="job.pk")
    level = serializers.CharField()
    level_label = serializers.CharField(source="label", help_text="How the level reads (a photo's file name for first_scene_image)")
    render = serializers.SerializerMethodField()
    review_status = serializers.SerializerMethodField()
    approved = serializers.BooleanField()

    def get_render(self, obj) -> int | None:
        return obj["render"].pk if obj["render"] else None

    def get_review_status(self, obj) -> str | None:
        return obj["render"].review_status if obj["render"] else None


class VariantSetSerializer(serializers.ModelSerializer):
    variants = serializers.SerializerMethodField()
    results_url = serializers.SerializerMethodField()

    class Meta:
        model = VariantSet
        fields = ["id", "name", "factor", "status", "base_job", "ad_set", "first_published_at", "concluded_at", "decision",
                  "results_url", "created_at", "variants"]
        read_only_fields = fields

    @extend_schema_field(VariantSerializer(many=True))
    def get_variants(self, obj) -> list[dict]:
        return list(VariantSerializer(selectors.variant_set_members(obj), many=True).data)

    def get_results_url(self, obj) -> str:
        """The results page of the set (``/experiments/<id>/``, campaigns/experiments/)."""
        from django.urls import reverse

        return reverse("experiments:detail", args=[obj.pk])


class CreateSerializer(serializers.Serializer):
    job = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The video job to make variants of.")
    factor = serializers.ChoiceField(choices=VariantFactor.choices)
    levels = serializers.ListField(child=serializers.CharField(allow_blank=True, max_length=200), min_length=1,
                                   help_text=f"{MIN_LEVELS}–{MAX_LEVELS} values of the factor; the first is the control.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=160)


class ProposeSerializer(serializers.Serializer):
    job = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    factor = serializers.ChoiceField(choices=VariantFactor.choices)
    n = serializers.IntegerField(min_value=MIN_LEVELS, max_value=MAX_LEVELS, default=3)


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class PublishSerializer(serializers.Serializer):
    ad_set = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    platform = serializers.ChoiceField(choices=[("meta", "Meta"), ("google", "Google")])


LEVEL = inline_serializer("VariantLevel", {"value": serializers.CharField(), "label": serializers.CharField(),
                                           "kind": serializers.CharField(), "source": serializers.CharField()}, many=True)


class VariantSetViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Variant tests: 2–5 video jobs from one brief differing in one factor. ``POST`` makes one from
    a job (``job``, ``factor``, ``levels``); ``propose/`` asks the planner for levels; ``submit/``,
    ``approve/`` and ``publish/`` act on every variant at once."""

    queryset = VariantSet.objects.select_related("base_job", "ad_set")
    serializer_class = VariantSetSerializer
    write_capability = "view"  # each action checks its own capability in videogen.variants.services

    def _job(self, job_id: int) -> VideoJob:
        job = org_queryset(VideoJob, self.organization).filter(pk=job_id).first()
        if job is None:
            raise serializers.ValidationError({"job": [f"No video job with id {job_id} in your organization."]})
        return job

    @extend_schema(request=CreateSerializer, responses={201: VariantSetSerializer},
                   examples=[OpenApiExample("Three hooks", request_only=True, value={
                       "job": 12, "factor": "hook", "levels": ["Meet Aurora.", "Tired of bitter coffee?", "20% off this week."]})])
    def create(self, request, *args, **kwargs):
        body = CreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        variant_set = services.variant_set_create(user=request.user, job=self._job(d["job"]), factor=d["factor"],
                                                  levels=d["levels"], name=d.get("name", ""))
        return Response(self.get_serializer(variant_set).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProposeSerializer, responses={200: LEVEL}, summary="Propose levels of a factor for a job")
    @action(detail=False, methods=["post"])
    def propose(self, request):
        body = ProposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        return Response(services.variant_levels_propose(job=self._job(d["job"]), factor=d["factor"], n=d["n"]))

    @extend_schema(request=None, responses={200: VariantSetSerializer}, summary="Submit every variant for review")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        variant_set = self.get_object()
        services.variant_set_submit(user=request.user, variant_set=variant_set)
        return Response(self.get_serializer(variant_set).data)

    @extend_schema(request=ApproveSerializer, responses={200: VariantSetSerializer}, summary="Approve every variant in review")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        variant_set = self.get_object()
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.variant_set_approve(user=request.user, variant_set=variant_set, comment=body.validated_data.get("comment", ""))
        return Response(self.get_serializer(variant_set).data)

    @extend_schema(request=PublishSerializer, responses={202: inline_serializer("VariantSetPublished", {
        "variant_set": VariantSetSerializer(), "publications": serializers.ListField(child=serializers.IntegerField())})},
        summary="Publish every variant as sibling ads in one ad set")
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        from campaigns.models import AdSet

        variant_set = self.get_object()
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ad_set = org_queryset(AdSet, self.organization).filter(pk=body.validated_data["ad_set"]).first()
        if ad_set is None:
            raise serializers.ValidationError({"ad_set": ["No ad set with this id in your organization."]})
        pubs = services.variant_set_publish(user=request.user, variant_set=variant_set, ad_set=ad_set,
                                            platform=body.validated_data["platform"])
        variant_set.refresh_from_db()
        return Response({"variant_set": self.get_serializer(variant_set).data, "publications": [p.pk for p in pubs]},
                        status=status.HTTP_202_ACCEPTED)
