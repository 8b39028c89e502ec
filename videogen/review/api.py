"""REST API of render review (``/api/v1/renders/``): list and read render versions with their
review state, files, policy findings and comment count; submit, withdraw, approve, request changes.

Errors (the one format of :mod:`kolony.core.api_errors`): 403 for a role that may not (or the
second-pair-of-eyes rule), 404 for another organization's render, 409 naming the current state
when the transition is not allowed from it (or blocking policy findings stand), 400 for a missing
comment on request-changes.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kolony.core.media import media_url
from kolony.core.request_validation import ID_MAX, validate_query_form
from kolony.tenancy import OrgScopedViewSetMixin, role_can
from videogen.models import Render
from videogen.review import selectors, services
from videogen.review.models import PolicyFinding, ReviewStatus

RENDER_EXAMPLE = {
    "id": 9, "job": 4, "job_title": "Aurora Cold Brew", "campaign": 2, "number": 2, "review_status": "in_review",
    "review_status_display": "In review",
    "outputs": {"9:16": {"asset": 31, "url": "https://kolony.example/media/asset/31", "width": 1080, "height": 1920,
                         "size_bytes": 1843200, "duration_seconds": 15.0}},
    "poster": "https://kolony.example/media/asset/30", "policy_status": "warnings", "policy_checked_at": "2026-03-01T09:00:02Z",
    "policy_findings": [{"id": 5, "rule": "claims.guaranteed_results", "severity": "warning",
                         "message": "“Guaranteed results” is a claim Meta's advertising standards reject.",
                         "source_url": "https://transparency.meta.com/policies/ad-standards/",
                         "scene_key": "s2", "timecode_seconds": "3.2", "aspect_ratio": "9:16", "placement": "",
                         "field": "on_screen_text", "excerpt": "Guaranteed results", "accepted": False, "accepted_reason": ""}],
    "comments_count": 3,
    "submitted_by": {"id": 2, "name": "Bob Editor"}, "submitted_at": "2026-03-01T09:00:00Z",
    "decided_by": None, "decided_at": None, "created_at": "2026-03-01T08:55:00Z",
}
CONFLICT_EXAMPLE = {"detail": "Version 2 of ‘Aurora Cold Brew’ is approved (by Dana Reviewer); only a version in review can be approved.",
                    "errors": {"review_status": ["Version 2 of ‘Aurora Cold Brew’ is approved (by Dana Reviewer); only a version in "
                                                 "review can be approved."]}}


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return obj.full_name or obj.email


class OutputSerializer(serializers.Serializer):
    asset = serializers.IntegerField()
    url = serializers.CharField(help_text="The MP4 (session or Authorization: Token); add ?download=1 to save it.")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    size_bytes = serializers.IntegerField()
    duration_seconds = serializers.FloatField(allow_null=True)


class PolicyFindingSerializer(serializers.ModelSerializer):
    accepted = serializers.SerializerMethodField()

    class Meta:
        model = PolicyFinding
        fields = ["id", "rule", "severity", "message", "source_url", "scene_key", "timecode_seconds", "aspect_ratio",
                  "placement", "field", "excerpt", "accepted", "accepted_reason"]

    def get_accepted(self, obj) -> bool:
        return obj.accepted_at is not None


class RenderReviewSerializer(serializers.ModelSerializer):
    job_title = serializers.CharField(source="job.title", read_only=True)
    campaign = serializers.IntegerField(source="job.campaign_id", read_only=True, allow_null=True)
    review_status_display = serializers.CharField(source="get_review_status_display", read_only=True)
    outputs = serializers.SerializerMethodField()
    poster = serializers.SerializerMethodField()
    policy_findings = PolicyFindingSerializer(many=True, read_only=True)
    comments_count = serializers.SerializerMethodField()
    submitted_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Render
        fields = ["id", "job", "job_title", "campaign", "number", "review_status", "review_status_display", "outputs",
                  "poster", "policy_status", "policy_checked_at", "policy_findings", "comments_count",
                  "submitted_by", "submitted_at", "decided_by", "decided_at", "created_at"]

    def _url(self, asset_id: int) -> str:
        request = self.context.get("request")
        path = media_url("asset", asset_id)
        return request.build_absolute_uri(path) if request else path

    @staticmethod
    def _assets(obj) -> dict:
        from videogen.selectors import render_assets

        if not hasattr(obj, "_review_assets"):
            obj._review_assets = render_assets(render=obj)
        return obj._review_assets

    @extend_schema_field(serializers.DictField(child=OutputSerializer(), help_text="{aspect ratio: file}"))
    def get_outputs(self, obj) -> dict:
        return {ratio: {"asset": a.pk, "url": self._url(a.pk), "width": a.width, "height": a.height,
                        "size_bytes": a.size_bytes, "duration_seconds": a.duration_seconds}
                for ratio, a in self._assets(obj).items()}

    def get_poster(self, obj) -> str | None:
        return self._url(obj.poster_id) if obj.poster_id else None

    def get_comments_count(self, obj) -> int:
        count = getattr(obj, "comments_count", None)
        return count if count is not None else obj.comments.count()


class CommentBodySerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000,
                                    help_text="Optional note, left as a comment on the render.")


class RequiredCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=4000, help_text="What should change (required), left as a comment.")


class _ListQuery(forms.Form):
    review_status = forms.ChoiceField(required=False, choices=[("", "")] + list(ReviewStatus.choices))
    campaign = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX)
    job = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX)


CONFLICT = OpenApiResponse(
    response=inline_serializer("ReviewConflict", {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()))}),
    description="Not allowed from the render's current state (named in the message), or "
                                       "blocking policy findings stand in the way.",
                           examples=[OpenApiExample("Already approved", value=CONFLICT_EXAMPLE, status_codes=["409"])])


def _transition_schema(body, summary: str):
    return extend_schema(
        request=body, summary=summary,
        responses={200: RenderReviewSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Comment", value={"comment": "Logo cut off in 9:16 at 0:03"}, request_only=True),
                  OpenApiExample("The render", value=RENDER_EXAMPLE, response_only=True, status_codes=["200"])],
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("review_status", str, enum=ReviewStatus.values),
                    OpenApiParameter("campaign", int, description="Renders of this campaign's video jobs."),
                    OpenApiParameter("job", int, description="Versions of one video job.")],
        examples=[OpenApiExample("In review", value=[RENDER_EXAMPLE], response_only=True)],
    ),
    retrieve=extend_schema(examples=[OpenApiExample("In review", value=RENDER_EXAMPLE, response_only=True)]),
)
class RenderReviewViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Render versions and their review: newest first; filter with ``?review_status=``,
    ``?campaign=``, ``?job=``. Editors submit; reviewers, admins and owners approve or request changes."""

    queryset = Render.objects.all()
    serializer_class = RenderReviewSerializer
    write_capability = "view"  # each transition checks its own capability in videogen.review.services

    def scope_queryset(self, queryset):
        filters: dict = {}
        if self.action == "list":
            query = validate_query_form(_ListQuery(self.request.query_params)).cleaned_data
            filters = {"review_status": query.get("review_status") or "", "campaign_id": query.get("campaign"),
                       "job_id": query.get("job")}
        return selectors.render_list(organization=self.organization, **filters).prefetch_related("policy_findings")

    def _run(self, transition: str, body_class=None):
        """Finds the render first (another organization's: 404 whatever the body), checks the role
        (403), then the body (400), then runs the transition (409 from the wrong state)."""
        render = self.get_object()
        capability, verb, _ = services.TRANSITIONS[transition]
        if not role_can(self.membership.role, capability):  # a role that may not: 403 before any body check
            raise PermissionDenied(f"Your role ({self.membership.get_role_display()}) cannot {verb}.")
        kwargs = {}
        if body_class is not None:
            body = body_class(data=self.request.data)
            body.is_valid(raise_exception=True)
            kwargs["comment"] = body.validated_data.get("comment", "")
        render = services.TRANSITION_SERVICES[transition](render=render, user=self.request.user, **kwargs)
        fresh = self.get_queryset().get(pk=render.pk)
        return Response(self.get_serializer(fresh).data)

    @_transition_schema(CommentBodySerializer, "Submit a render version for review")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._run("submit", CommentBodySerializer)

    @_transition_schema(None, "Withdraw a render version from review")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._run("withdraw")

    @_transition_schema(CommentBodySerializer, "Approve a render version")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._run("approve", CommentBodySerializer)

    @_transition_schema(RequiredCommentSerializer, "Request changes to a render version")
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        return self._run("request_changes", RequiredCommentSerializer)

