"""REST API of render comments: ``GET|POST /api/v1/renders/{id}/comments/`` and
``POST /api/v1/comments/{id}/resolve/`` / ``unresolve/``. The rules (who may comment, time codes,
formats, replies, @mentions, notifications) are :mod:`videogen.review.comments`'.

Errors (:mod:`kolony.core.api_errors`): 400 naming the field (``body``, ``timecode_seconds``,
``aspect_ratio``, ``parent``), 403 for resolving someone else's comment without ``edit``/``review``,
404 for another organization's render or comment."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from kolony.core.request_validation import ID_MAX
from kolony.tenancy import OrgScopedViewSetMixin, get_for_org_or_404
from videogen.models import Render

from . import comments
from .models import RenderComment

COMMENT_EXAMPLE = {
    "id": 31, "render": 9, "parent": None, "body": "@dana the logo is cut off here", "timecode_seconds": 3.2,
    "timecode": "0:03.2", "aspect_ratio": "9:16", "author": {"id": 2, "email": "bob@example.com", "name": "Bob Editor"},
    "mentions": [{"id": 4, "email": "dana@example.com", "name": "Dana Reviewer"}], "resolved": False,
    "resolved_at": None, "resolved_by": None, "created_at": "2026-03-01T09:00:00Z",
}
BAD_COMMENT_EXAMPLE = {
    "detail": "Invalid input: timecode_seconds: 0:07.5 is past the end of this version (0:06.0 long).",
    "errors": {"timecode_seconds": ["0:07.5 is past the end of this version (0:06.0 long)."],
               "body": ["@zed is not a member of Alice Co: only teammates can be mentioned."]},
}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="get_full_name")


class CommentSerializer(serializers.ModelSerializer):
    timecode_seconds = serializers.DecimalField(max_digits=6, decimal_places=1, coerce_to_string=False, allow_null=True,
                                                read_only=True, help_text="Seconds from the start, 0.1 s steps.")
    timecode = serializers.SerializerMethodField(help_text="The time code as shown: minutes:seconds.tenths.")
    author = PersonSerializer(allow_null=True, read_only=True)
    mentions = PersonSerializer(many=True, read_only=True)
    resolved = serializers.BooleanField(source="is_resolved", read_only=True)
    resolved_by = PersonSerializer(allow_null=True, read_only=True)

    class Meta:
        model = RenderComment
        fields = ["id", "render", "parent", "body", "timecode_seconds", "timecode", "aspect_ratio", "author", "mentions",
                  "resolved", "resolved_at", "resolved_by", "created_at"]

    def get_timecode(self, obj) -> str | None:
        return comments.format_timecode(obj.timecode_seconds) if obj.timecode_seconds is not None else None


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                 help_text=f"Plain text, up to {comments.MAX_BODY} characters; @handle mentions a teammate.")
    timecode_seconds = serializers.DecimalField(max_digits=None, decimal_places=None, required=False, allow_null=True,
                                                help_text="Seconds from the start (rounded to 0.1 s); not past the end.")
    aspect_ratio = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                         help_text="One of the version's formats, e.g. 9:16.")
    parent = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=ID_MAX,
                                      help_text="A top-level comment of this version to reply to.")  # type: ignore[assignment]


def _queryset():
    return RenderComment.objects.select_related("author", "resolved_by").prefetch_related("mentions")


class RenderCommentViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Comments on one render version, oldest first (replies carry ``parent``). Everyone who may
    view the render may comment, viewers included."""

    queryset = RenderComment.objects.all()
    serializer_class = CommentSerializer
    write_capability = "view"

    def _render(self) -> Render:
        return get_for_org_or_404(Render.objects.select_related("job__organization"), self.organization,
                                  pk=self.kwargs["render_id"])

    def scope_queryset(self, queryset):
        return _queryset().filter(render_id=self._render().pk).order_by("created_at", "id")

    @extend_schema(summary="Comments on a render version",
                   examples=[OpenApiExample("A time-coded comment", value=[COMMENT_EXAMPLE], response_only=True)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Comment on a render version", request=CommentCreateSerializer,
        responses={201: CommentSerializer, 400: OpenApiResponse(description="A field is wrong; see errors.")},
        examples=[
            OpenApiExample("Pinned to 0:03.2 in 9:16", request_only=True,
                           value={"body": "@dana the logo is cut off here", "timecode_seconds": 3.2, "aspect_ratio": "9:16"}),
            OpenApiExample("A reply", request_only=True, value={"body": "Fixed in v3.", "parent": 31}),
            OpenApiExample("Created", value=COMMENT_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample("Bad input", value=BAD_COMMENT_EXAMPLE, response_only=True, status_codes=["400"]),
        ])
    def create(self, request, *args, **kwargs):
        render = self._render()
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        comment = comments.comment_create(render=render, author=request.user, body=values["body"],
                                          timecode_seconds=values.get("timecode_seconds"),
                                          aspect_ratio=values.get("aspect_ratio") or "", parent=values.get("parent"))
        return Response(CommentSerializer(_queryset().get(pk=comment.pk)).data, status=status.HTTP_201_CREATED)


class CommentViewSet(OrgScopedViewSetMixin, viewsets.GenericViewSet):
    """Resolve or reopen one comment thread: its author, editors, reviewers, admins and owners."""

    queryset = RenderComment.objects.all()
    serializer_class = CommentSerializer
    write_capability = "view"  # finer rule in videogen.review.comments.comment_may_resolve (403)

    def scope_queryset(self, queryset):
        return _queryset()

    def _run(self, service):
        comment = service(comment=self.get_object(), user=self.request.user)
        return Response(CommentSerializer(_queryset().get(pk=comment.pk)).data)

    @extend_schema(summary="Resolve a comment", request=None, responses={200: CommentSerializer},
                   examples=[OpenApiExample("Resolved", response_only=True, value={
                       **COMMENT_EXAMPLE, "resolved": True, "resolved_at": "2026-03-01T10:00:00Z",
                       "resolved_by": {"id": 2, "email": "bob@example.com", "name": "Bob Editor"}})])
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._run(comments.comment_resolve)

    @extend_schema(summary="Reopen a resolved comment", request=None, responses={200: CommentSerializer},
                   examples=[OpenApiExample("Open again", value=COMMENT_EXAMPLE, response_only=True)])
    @action(detail=True, methods=["post"])
    def unresolve(self, request, pk=None):
        return self._run(comments.comment_unresolve)


router = SimpleRouter()
router.register("comments", CommentViewSet, basename="comment")

urlpatterns = [
    path("renders/<int:render_id>/comments/", RenderCommentViewSet.as_view({"get": "list", "post": "create"}),
         name="render-comments"),
    *router.urls,
]
