"""REST API of publishing: ``POST /api/v1/renders/{id}/publish/`` (202 with the publication),
``GET /api/v1/publications/{id}/`` (state, steps with external ids, error, ``ws_url``),
``POST /api/v1/publications/{id}/retry/``.

Errors in the one format of :mod:`kolony.core.api_errors`: 404 for another organization's render,
ad set or publication; 403 for a role without ``publish``; 409 naming the render's state (not
approved) or the publication's; 400 naming ``platform`` / ``ad_set`` / ``aspect_ratio``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from campaigns.models import AdSet, Publication
from kolony.core.request_validation import parse_id
from kolony.tenancy import OrgScopedViewSetMixin, org_queryset, role_can
from videogen.models import Render

from . import publishing
from .progress import state_message
from .registry import adapter_for

PUBLICATION_EXAMPLE = {
    "id": 12, "render": 9, "ad_set": 4, "ad": 31, "platform": "meta", "aspect_ratio": "9:16", "status": "running",
    "progress": 43, "current_step": "video_ready", "attempts": 1,
    "steps": [{"name": "campaign", "label": "Campaign", "status": "done", "external_id": "120210000000001", "at": "2026-03-01T09:00:01Z"},
              {"name": "ad_set", "label": "Ad set", "status": "done", "external_id": "120210000000002", "at": "2026-03-01T09:00:02Z"},
              {"name": "video", "label": "Upload video", "status": "done", "external_id": "900000001", "at": "2026-03-01T09:00:09Z"},
              {"name": "video_ready", "label": "Video processed", "status": "running", "external_id": "", "at": ""}],
    "error": {"message": "", "code": "", "field": ""}, "external": {},
    "ws_url": "wss://kolony.example/ws/publications/12/", "url": "https://kolony.example/campaigns/publications/12/",
    "created_at": "2026-03-01T09:00:00Z", "finished_at": None,
}
FAILED_EXAMPLE = {**PUBLICATION_EXAMPLE, "status": "failed", "current_step": "creative", "error": {
    "message": "The link in your ad isn't valid.", "code": "100/1487", "field": "object_story_spec.link"}}


class PublishRequestSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=["meta", "google"])
    ad_set = serializers.CharField(max_length=40, help_text="Id of an ad set of your organization.")
    aspect_ratio = serializers.ChoiceField(choices=["9:16", "1:1", "4:5", "16:9"], required=False, allow_blank=True,
                                           help_text="Default: the first format fitting the ad set's placements.")


class StepSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField(help_text="What the page calls the step.")  # type: ignore[assignment]  # a field named label
    status = serializers.ChoiceField(choices=["pending", "running", "done", "failed"])
    external_id = serializers.CharField()
    at = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="The platform's own words.")
    code = serializers.CharField()
    field = serializers.CharField(help_text="The field the platform blames, or empty.")


class PublicationSerializer(serializers.ModelSerializer):
    steps = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    external = serializers.SerializerMethodField()
    ws_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = ["id", "render", "ad_set", "ad", "platform", "aspect_ratio", "status", "progress", "current_step",
                  "attempts", "steps", "error", "external", "ws_url", "url", "created_at", "finished_at"]

    @staticmethod
    def _steps(obj) -> tuple[str, ...] | None:
        try:
            return tuple(adapter_for(obj.platform).steps)
        except Exception:  # noqa: BLE001 - without the adapter, the recorded steps in their order
            return None

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, obj) -> list[dict]:
        return state_message(obj, self._steps(obj))["steps"]

    @extend_schema_field(ErrorSerializer)
    def get_error(self, obj) -> dict:
        return {"message": obj.error_message, "code": obj.error_code, "field": obj.error_field}

    @extend_schema_field(serializers.DictField())
    def get_external(self, obj) -> dict:
        """The ad's platform twin once published: ``{"id", "status", "url", "synced_at"}`` (else {})."""
        return ((obj.ad.external or {}).get(obj.platform) or {}) if obj.ad_id and obj.ad else {}

    def get_ws_url(self, obj) -> str:
        request = self.context.get("request")
        path = f"/ws/publications/{obj.pk}/"
        if request is None:
            return path
        scheme = "wss" if request.is_secure() else "ws"
        return f"{scheme}://{request.get_host()}{path}"

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        path = reverse("campaigns:publication", args=[obj.pk])
        return request.build_absolute_uri(path) if request else path


@extend_schema_view(
    publish=extend_schema(
        summary="Publish an approved render to a platform's ad set",
        request=PublishRequestSerializer, responses={202: PublicationSerializer},
        examples=[OpenApiExample("Meta Reels", value={"platform": "meta", "ad_set": "4"}, request_only=True),
                  OpenApiExample("Queued", value={**PUBLICATION_EXAMPLE, "publication": 12, "status": "queued", "progress": 0},
                                 response_only=True, status_codes=["202"]),
                  OpenApiExample("Not approved", status_codes=["409"], response_only=True, value={
                      "detail": "Render v2 of ‘Cold brew’ is in review; only an approved version can be published.",
                      "errors": {"render": ["Render v2 of ‘Cold brew’ is in review; only an approved version can be published."]}}),
                  OpenApiExample("Missing format", status_codes=["400"], response_only=True, value={
                      "detail": "Invalid input.", "errors": {"aspect_ratio": [
                          "This ad set's placements (Instagram Reels) need 9:16; render v1 of ‘Cold brew’ has 16:9. "
                          "Add 9:16 to the video's formats and render it again."]}})]),
)
class RenderPublishViewSet(OrgScopedViewSetMixin, viewsets.GenericViewSet):
    """``POST /api/v1/renders/{id}/publish/``: queues the push (RQ queue ``publish``); answers 202
    with the publication (``publication`` is its id). A second call while it runs answers it again."""

    queryset = Render.objects.select_related("job")
    serializer_class = PublicationSerializer
    action_capabilities = {"publish": "publish"}

    def get_object(self):
        pk = parse_id(self.kwargs.get("pk"))
        if pk is None:
            raise NotFound("Not found.")
        obj = self.get_queryset().filter(pk=pk).first()
        if obj is None:
            raise NotFound("Not found.")
        return obj

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        render = self.get_object()
        body = PublishRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ad_set_id = parse_id(body.validated_data["ad_set"])
        ad_set = org_queryset(AdSet, self.organization).select_related("campaign").filter(pk=ad_set_id).first() if ad_set_id else None
        if ad_set is None:
            raise NotFound("No ad set with this id in your organization.")
        pub = publishing.publication_create(render=render, ad_set=ad_set, platform=body.validated_data["platform"],
                                            user=request.user, aspect_ratio=body.validated_data.get("aspect_ratio") or None)
        data = PublicationSerializer(pub, context=self.get_serializer_context()).data
        return Response({"publication": pub.pk, **data}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    retrieve=extend_schema(summary="A publication: state, steps with external ids, error, ws_url",
                           examples=[OpenApiExample("Running", value=PUBLICATION_EXAMPLE, response_only=True),
                                     OpenApiExample("Failed", value=FAILED_EXAMPLE, response_only=True)]),
    retry=extend_schema(summary="Retry a failed publication (resumes after its last finished step)", request=None,
                        responses={202: PublicationSerializer},
                        examples=[OpenApiExample("Queued again", value={**FAILED_EXAMPLE, "status": "queued"},
                                                 response_only=True, status_codes=["202"])]),
)
class PublicationViewSet(OrgScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Publications of your organization (another organization's id answers 404)."""

    queryset = Publication.objects.select_related("ad")
    serializer_class = PublicationSerializer
    action_capabilities = {"retry": "publish"}

    def get_object(self):
        pk = parse_id(self.kwargs.get("pk"))
        obj = self.get_queryset().filter(pk=pk).first() if pk else None
        if obj is None:
            raise NotFound("Not found.")
        return obj

    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        pub = self.get_object()
        if not role_can(self.membership.role, "publish"):
            raise PermissionDenied("Your role cannot publish ads.")
        pub = publishing.publication_retry(publication=pub, user=request.user)
        return Response(PublicationSerializer(pub, context=self.get_serializer_context()).data, status=status.HTTP_202_ACCEPTED)
