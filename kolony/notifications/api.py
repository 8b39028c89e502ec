"""REST API of the notifications (``/api/v1/notifications/``): the caller's own, in the request's
organization (``X-Kolony-Organization`` header, else the session's or the first one)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kolony.core.request_validation import validate_query_form
from kolony.tenancy import OrgScopedViewSetMixin

from . import services
from .forms import ListQuery
from .models import Notification
from .selectors import safe_url

NOTIFICATION_EXAMPLE = {
    "id": 17, "kind": "comment.mention", "kind_display": "Mentioned in a comment",
    "message": "Bob Editor mentioned you on ‘Cold brew’ v2 at 0:03.2: “@dana logo cut off in 9:16”",
    "url": "/studio/renders/9/#comment-31", "actor": "bob@example.com", "target_type": "videogen.RenderComment",
    "target_id": "31", "read": False, "read_at": None, "created_at": "2026-03-01T09:00:00Z",
}


class NotificationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.EmailField(source="actor.email", default=None, read_only=True)
    read = serializers.BooleanField(source="is_read", read_only=True)
    url = serializers.SerializerMethodField(help_text="A path inside Kolony (\"\" when none).")

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_display", "message", "url", "actor", "target_type", "target_id", "read", "read_at",
                  "created_at"]

    def get_url(self, obj) -> str:
        return safe_url(obj.url)


READ_ALL = inline_serializer("NotificationsReadAll", {"marked_read": serializers.IntegerField(), "unread": serializers.IntegerField()})


class NotificationViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your notifications in the organization, newest first: mentions, replies to your comments,
    review requests and decisions. ``?unread=true`` lists the unread ones only."""

    queryset = Notification.objects.select_related("actor")
    serializer_class = NotificationSerializer
    write_capability = "view"  # everyone reads their own notifications

    def scope_queryset(self, queryset):
        queryset = queryset.filter(recipient_id=self.request.user.pk)
        if self.action == "list":
            query = validate_query_form(ListQuery(self.request.query_params))
            if query.cleaned_data["unread"]:
                queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(parameters=[OpenApiParameter("unread", bool, description="true: only the unread ones.")],
                   examples=[OpenApiExample("A mention", value=NOTIFICATION_EXAMPLE, response_only=True)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: NotificationSerializer},
                   examples=[OpenApiExample("Read", value={**NOTIFICATION_EXAMPLE, "read": True,
                                                           "read_at": "2026-03-01T09:05:00Z"}, response_only=True)])
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Marks one of your notifications read (again: no change). Another person's → 404."""
        notification = services.notification_mark_read(notification=self.get_object(), user=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses={200: READ_ALL},
                   examples=[OpenApiExample("Marked", value={"marked_read": 3, "unread": 0}, response_only=True)])
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Marks all your unread notifications in this organization read."""
        count = services.notification_mark_all_read(organization=self.organization, user=request.user)
        return Response({"marked_read": count, "unread": 0})
