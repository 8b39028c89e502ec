"""REST API of policy findings: ``POST /api/v1/policy-findings/{id}/accept/`` ``{"reason"}`` — a
reviewer accepts a warning (:func:`videogen.review.policy.finding_accept`).

Errors (:mod:`kolony.core.api_errors`): 400 naming ``reason`` (missing, blank, too long) or the
finding (a blocking finding cannot be accepted), 403 for a role without ``review``, 404 for another
organization's finding."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kolony.tenancy import OrgScopedViewSetMixin
from videogen.review.api import PolicyFindingSerializer
from videogen.review.models import PolicyFinding
from videogen.review.policy import finding_accept

ACCEPTED_EXAMPLE = {
    "id": 5, "rule": "claims.risk_free", "severity": "warning",
    "message": "Says the offer is risk-free. Platforms treat absolute no-risk promises as misleading unless the terms "
               "(e.g. a refund policy) are stated on the landing page; check and accept, or reword.",
    "source_url": "https://support.google.com/adspolicy/answer/6086777", "scene_key": "s3", "timecode_seconds": "6.5",
    "aspect_ratio": "", "placement": "", "field": "on_screen_text", "excerpt": "Risk-free", "accepted": True,
    "accepted_reason": "30-day refund policy is on the landing page",
}
BLOCKING_EXAMPLE = {"detail": "A blocking finding cannot be accepted: fix it and check the render again.",
                    "errors": {"non_field_errors": ["A blocking finding cannot be accepted: fix it and check the render again."]}}


class AcceptSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the warning is acceptable (kept in the audit trail).")


class PolicyFindingViewSet(OrgScopedViewSetMixin, viewsets.GenericViewSet):
    """Policy findings of render versions (read them on ``/api/v1/renders/{id}/``)."""

    queryset = PolicyFinding.objects.select_related("render__job__organization")
    serializer_class = PolicyFindingSerializer
    action_capabilities = {"accept": "review"}

    @extend_schema(
        request=AcceptSerializer,
        responses={200: PolicyFindingSerializer, 400: OpenApiResponse(description="Missing reason, or a blocking finding"),
                   403: OpenApiResponse(description="Your role cannot accept policy warnings"),
                   404: OpenApiResponse(description="No such finding in your organization")},
        examples=[OpenApiExample("Accept", value={"reason": "30-day refund policy is on the landing page"}, request_only=True),
                  OpenApiExample("Accepted", value=ACCEPTED_EXAMPLE, response_only=True, status_codes=["200"]),
                  OpenApiExample("Blocking", value=BLOCKING_EXAMPLE, response_only=True, status_codes=["400"])],
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a warning with a reason (reviewers, admins, owners). Accepting it again changes nothing."""
        finding = self.get_object()
        body = AcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        finding = finding_accept(finding=finding, user=request.user, reason=body.validated_data["reason"])
        return Response(PolicyFindingSerializer(finding, context=self.get_serializer_context()).data)
