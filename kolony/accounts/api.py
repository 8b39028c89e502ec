"""REST API for accounts and teams (``/api/v1/``)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from kolony.tenancy import OrgScopedViewSetMixin, api_membership, not_tenant_data

from . import services
from .models import AuditEvent, Invitation, Membership, Organization, Role
from .security import lockout_message
from .throttling import SignInThrottle


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


TOKEN_OBTAIN_NAME = "Signed in with e-mail and password"  # noqa: S105 - a label, not a secret


class SignInLocked(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


@extend_schema(
    request=TokenRequestSerializer,
    responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    examples=[OpenApiExample("Sign in", value={"email": "demo@kolony.test", "password": "…"}, request_only=True)],
    auth=[],
)
@not_tenant_data("sign-in: exchanges an email and password for a token, before any organization")
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([SignInThrottle])
def token_obtain(request):
    """Exchange an email and password for a new API token (send it as ``Authorization: Token <token>``).

    Each call makes a new token named "Signed in with e-mail and password" (only its hash is
    stored, so an earlier key cannot be shown again); list and revoke them on the API tokens page
    (``/accounts/tokens/``), where named tokens can also be made without this call.

    400 for a wrong email or password; 429 while django-axes locks the account + client address
    out (even with the right password) or the per-address rate ``sign_in`` is exceeded."""
    data = TokenRequestSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    # Django's request, so django-axes' lockout flag lands where its middleware looks for it.
    user = authenticate(request._request, username=data.validated_data["email"].lower(),
                        password=data.validated_data["password"])
    if getattr(request._request, "axes_locked_out", False):
        raise SignInLocked(lockout_message())
    if user is None:
        raise serializers.ValidationError({"non_field_errors": ["Email or password is incorrect."]})
    _token, key = services.api_token_create(user=user, name=TOKEN_OBTAIN_NAME)
    return Response({"token": key})


class OrganizationSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "name", "created_at", "role"]

    def get_role(self, obj) -> str:
        return getattr(obj, "my_role", "")


@not_tenant_data("lists the signed-in user's own memberships, across organizations")
class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organizations you belong to, with your role in each. Send ``X-Kolony-Organization: <id>`` on
    other requests to act in one of them (default: the first you joined)."""

    serializer_class = OrganizationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Organization.objects.none()

    def get_queryset(self):
        from django.db.models import F

        return Organization.objects.filter(memberships__user=self.request.user).annotate(my_role=F("memberships__role"))


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "created_at"]
        read_only_fields = ["id", "email", "full_name", "created_at"]


class MemberViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Members of the current organization. Owners and admins change roles (PATCH) and remove (DELETE)."""

    serializer_class = MemberSerializer
    queryset = Membership.objects.select_related("user").order_by("created_at", "id")
    write_capability = "manage_team"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        services.membership_change_role(
            actor_membership=api_membership(self.request),
            membership=serializer.instance,
            role=serializer.validated_data.get("role", serializer.instance.role),
        )

    def perform_destroy(self, instance):
        services.membership_remove(actor_membership=api_membership(self.request), membership=instance)


class InvitationSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.EDITOR)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "created_at", "accepted_at", "revoked_at"]
        read_only_fields = ["id", "created_at", "accepted_at", "revoked_at"]


class InvitationViewSet(OrgScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Invitations of the current organization. POST invites (emails a link); DELETE revokes."""

    serializer_class = InvitationSerializer
    queryset = Invitation.objects.all()
    write_capability = "manage_team"
    action_capabilities = {"list": "manage_team", "retrieve": "manage_team"}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, _url = services.invitation_create(
            actor_membership=api_membership(request), request=request, **serializer.validated_data
        )
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.invitation_revoke(actor_membership=api_membership(self.request), invitation=instance)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.EmailField(source="actor.email", default=None, read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor", "action", "target_type", "target_id", "target_repr", "metadata"]


class AuditEventViewSet(OrgScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The current organization's audit trail, newest first."""

    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.select_related("actor")
