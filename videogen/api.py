"""REST API of the Video Studio (``/api/v1/``): video jobs, assets, templates, voices."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from kolony.core.media import media_url
from kolony.core.request_validation import ID_MAX, FormParser, MultiPartParser
from kolony.tenancy import HasOrgCapability, OrgScopedViewSetMixin, not_tenant_data

from . import selectors, services
from .models import Asset, AssetKind, Render, Scene, VideoJob, Voice, WorkflowTemplate
from .uploads import asset_create_from_upload

EXAMPLE_BRIEF = {
    "product_name": "Aurora Cold Brew",
    "text_prompt": "Smooth cold brew for busy mornings, 20% off this week",
    "request_type": "marketing_video",
    "duration": 15,
    "style": "vibrant",
    "aspect_ratios": ["9:16", "1:1"],
    "call_to_action": "Order today",
    "landing_url": "https://example.com/cold-brew",
    "images": [12],
    "seed": 7,
}


def ws_url(request, job_id: int) -> str:
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/ws/video-jobs/{job_id}/"


class AssetSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = ["id", "kind", "original_name", "content_type", "size_bytes", "duration_seconds", "width", "height",
                  "checksum", "metadata", "url", "created_at"]

    def get_url(self, obj) -> str:
        """The file through the tenancy-checked media view (session or ``Authorization: Token``)."""
        request = self.context.get("request")
        path = media_url("asset", obj.pk)
        return request.build_absolute_uri(path) if request else path


class AssetUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    kind = serializers.ChoiceField(choices=[AssetKind.IMAGE, AssetKind.LOGO, AssetKind.VIDEO], required=False)


class AssetViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Uploads (photos, logos, clips) and generated files. Upload with multipart ``file``."""

    queryset = Asset.objects.all()
    serializer_class = AssetSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=AssetUploadSerializer, responses={201: AssetSerializer})
    def create(self, request, *args, **kwargs):
        upload = AssetUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            asset = asset_create_from_upload(organization=self.organization, user=request.user,
                                             upload=upload.validated_data["file"], kind=upload.validated_data.get("kind"))
        except ValidationError as exc:
            raise serializers.ValidationError({"file": exc.messages}) from None
        from .uploads import asset_warnings

        data = dict(AssetSerializer(asset, context={"request": request}).data)
        data["warnings"] = [w["message"] for w in asset_warnings(asset)]  # e.g. a photo too small: "will look soft"
        return Response(data, status=status.HTTP_201_CREATED)


class SceneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scene
        fields = ["number", "scene_key", "role", "description", "voiceover", "on_screen_text", "subtext",
                  "visual_source", "image", "entity_layout", "duration_seconds"]


class RenderSerializer(serializers.ModelSerializer):
    downloads = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()

    class Meta:
        model = Render
        fields = ["id", "number", "review_status", "downloads", "poster_url", "quality_metrics", "performance", "created_at"]

    def _url(self, asset_id):
        request = self.context.get("request")
        path = media_url("asset", asset_id)  # answers the session and Authorization: Token alike
        return request.build_absolute_uri(path) if request else path

    def get_downloads(self, obj) -> dict:
        return {ratio: self._url(asset_id) for ratio, asset_id in obj.outputs.items()}

    def get_poster_url(self, obj) -> str | None:
        return self._url(obj.poster_id) if obj.poster_id else None


class FallbackSerializer(serializers.Serializer):
    stage = serializers.CharField(help_text="plan or scenes")
    scene = serializers.IntegerField(allow_null=True, help_text="1-based scene number; null for the plan")
    # "from" is a Python keyword: declared below
    to = serializers.CharField()
    reason = serializers.CharField()
    message = serializers.CharField(help_text="e.g. Scene 3 used the photo instead of the uploaded clip: …")


FallbackSerializer._declared_fields["from"] = serializers.CharField(help_text="the planned source")


class VideoJobSerializer(serializers.ModelSerializer):
    scenes = SceneSerializer(many=True, read_only=True)
    renders = RenderSerializer(many=True, read_only=True)
    error = serializers.CharField(source="error_message", read_only=True)
    ws_url = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="in_progress", read_only=True)
    fallbacks = serializers.SerializerMethodField(
        help_text="What the latest render could not use as planned, scene by scene (from its trace).")

    class Meta:
        model = VideoJob
        fields = ["id", "title", "campaign", "status", "active", "progress", "phase", "error", "plan_version", "planner", "brief",
                  "created_at", "started_at", "completed_at", "ws_url", "fallbacks", "scenes", "renders"]

    @extend_schema_field(FallbackSerializer(many=True))
    def get_fallbacks(self, obj) -> list:
        return selectors.job_fallbacks(job=obj)

    def get_ws_url(self, obj) -> str:
        return ws_url(self.context["request"], obj.pk) if "request" in self.context else f"/ws/video-jobs/{obj.pk}/"


class VideoJobListSerializer(VideoJobSerializer):
    class Meta(VideoJobSerializer.Meta):
        fields = ["id", "title", "status", "active", "progress", "phase", "error", "created_at", "completed_at", "ws_url"]


class VideoJobCreateSerializer(serializers.Serializer):
    """The brief itself (see ``examples/coffee_brief.json``), images as uploaded asset ids, plus
    optional ``template`` (a workflow template id) and ``title``."""

    template = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX)
    title = serializers.CharField(required=False, allow_blank=True, max_length=120)
    campaign = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX)


QUEUED = inline_serializer("VideoJobQueued", {
    "id": serializers.IntegerField(), "status": serializers.CharField(), "progress": serializers.IntegerField(),
    "ws_url": serializers.CharField(),
})


class VideoJobViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Video ad jobs: create from a brief (plans the scenes and queues the render), follow progress
    (or the WebSocket at ``ws_url``), cancel, re-render."""

    queryset = VideoJob.objects.select_related("created_by")

    def scope_queryset(self, queryset):
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("scenes", "renders")
        return queryset

    def get_serializer_class(self):
        return VideoJobListSerializer if self.action == "list" else VideoJobSerializer

    @extend_schema(
        request=VideoJobCreateSerializer, responses={202: QUEUED},
        examples=[OpenApiExample("Coffee brief", value=EXAMPLE_BRIEF, request_only=True)],
    )
    def create(self, request, *args, **kwargs):
        data = dict(request.data) if isinstance(request.data, dict) else {}
        extra = VideoJobCreateSerializer(data={k: data.pop(k) for k in ("template", "title", "campaign") if k in data})
        extra.is_valid(raise_exception=True)
        template = None
        if extra.validated_data.get("template"):
            template = selectors.template_list(organization=self.organization).filter(pk=extra.validated_data["template"]).first()
            if template is None:
                raise serializers.ValidationError({"template": ["No such template."]})
        job = services.video_job_create(organization=self.organization, user=request.user, brief_data=data,
                                        template=template, title=extra.validated_data.get("title", ""),
                                        campaign_id=extra.validated_data.get("campaign"), enqueue=True)
        job.refresh_from_db()
        return Response({"id": job.pk, "status": job.status, "progress": job.progress, "ws_url": ws_url(request, job.pk)},
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: VideoJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = services.video_job_cancel(job=self.get_object(), user=request.user)
        return Response(VideoJobSerializer(job, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={202: QUEUED})
    @action(detail=True, methods=["post"])
    def rerender(self, request, pk=None):
        job = services.video_job_enqueue_render(job=self.get_object(), user=request.user)
        return Response({"id": job.pk, "status": job.status, "progress": job.progress, "ws_url": ws_url(request, job.pk)},
                        status=status.HTTP_202_ACCEPTED)


class WorkflowTemplateSerializer(serializers.ModelSerializer):
    builtin = serializers.BooleanField(source="is_builtin", read_only=True)

    class Meta:
        model = WorkflowTemplate
        fields = ["id", "name", "description", "parameters", "scene_recipe", "builtin", "created_at"]


class WorkflowTemplateViewSet(OrgScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Built-in workflow templates and your organization's own."""

    serializer_class = WorkflowTemplateSerializer
    queryset = WorkflowTemplate.objects.all()
    include_shared = True  # built-ins (no organization) are everyone's

    def scope_queryset(self, queryset):
        return selectors.template_list(organization=self.organization)


class VoiceSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a declared field, not Field.label
    gender = serializers.SerializerMethodField()
    quality = serializers.SerializerMethodField()
    curated = serializers.SerializerMethodField()

    class Meta:
        model = Voice
        fields = ["id", "name", "label", "language", "gender", "quality", "curated", "engine", "engine_voice_id",
                  "emotion_profile"]

    def get_label(self, obj) -> str:
        from .library import voice_label

        return voice_label(obj)

    def get_gender(self, obj) -> str | None:
        return (obj.emotion_profile or {}).get("gender")

    def get_quality(self, obj) -> str | None:
        return (obj.emotion_profile or {}).get("quality")

    def get_curated(self, obj) -> bool:
        return bool((obj.emotion_profile or {}).get("curated"))


@not_tenant_data("voices are installed on the server and shared by every organization")
class VoiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Voices the TTS engines on this server can speak."""

    serializer_class = VoiceSerializer
    permission_classes = [IsAuthenticated, HasOrgCapability]
    queryset = Voice.objects.filter(is_active=True)
    pagination_class = None

    def get_queryset(self):
        """The curated voices (``?set=curated``, the default) or every installed one (``?set=all``);
        another ``set`` is a 400 naming the field."""
        if self.action != "list":
            return super().get_queryset()
        which = self.request.query_params.get("set", "curated")
        if which not in ("curated", "all"):
            raise serializers.ValidationError({"set": [f"expected 'curated' or 'all', got {which[:40]!r}"]})
        return selectors.voice_list(all_voices=which == "all")
