"""Reads for accounts and teams, always scoped to one organization (or, for a user's own API
tokens, to that user)."""

from django.db.models import QuerySet

from kolony.tenancy import org_queryset

from .models import ApiToken, AuditEvent, Invitation, Membership


def member_list(*, organization) -> QuerySet[Membership]:
    return org_queryset(Membership, organization).select_related("user").order_by("created_at", "id")


def invitation_pending_list(*, organization) -> QuerySet[Invitation]:
    return org_queryset(Invitation, organization).filter(accepted_at=None, revoked_at=None).select_related("invited_by")


def audit_event_list(*, organization, action: str = "") -> QuerySet[AuditEvent]:
    qs = org_queryset(AuditEvent, organization).select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    return qs


def api_token_list(*, user) -> QuerySet[ApiToken]:
    """``user``'s own API tokens, newest first (never another user's)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
