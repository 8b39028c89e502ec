"""Tenant-scoped routes of accounts (see tests/integration/test_tenant_isolation.py)."""

from kolony.accounts.models import AuditEvent, Invitation, Membership
from kolony.accounts.services import api_token_create

PUBLIC = {
    "accounts:invitation_accept",  # a signed token, checked by the service
    "accounts:password_reset_confirm",  # Django's uid/token reset link
}
# Routes that only take POST: their owner check uses POST (and is harmless on these fixtures).
OWNER_METHOD = {
    "accounts:organization_switch": "post",
    "accounts:member_role": "post",
    "accounts:member_remove": "post",
    "accounts:invitation_revoke": "post",
    "accounts:api_token_revoke": "post",
}


def routes(ctx):
    bob_membership = Membership.objects.get(user=ctx.bob, organization=ctx.alice_org)
    invitation = Invitation.objects.create(organization=ctx.alice_org, email="pending@example.com", invited_by=ctx.alice)
    event = AuditEvent.objects.create(organization=ctx.alice_org, actor=ctx.alice, action="test.event")
    alice_token, _key = api_token_create(user=ctx.alice, name="walker")  # a user's own, not the org's: charlie gets 404
    return {
        "accounts:organization_switch": {"org_id": ctx.alice_org.pk},
        "accounts:member_role": {"membership_id": bob_membership.pk},
        "accounts:member_remove": {"membership_id": bob_membership.pk},
        "accounts:invitation_revoke": {"invitation_id": invitation.pk},
        "accounts:api_token_revoke": {"token_id": alice_token.pk},
        "api:organization-detail": {"pk": ctx.alice_org.pk},
        "api:member-detail": {"pk": bob_membership.pk},
        "api:invitation-detail": {"pk": invitation.pk},
        "api:audit-event-detail": {"pk": event.pk},
    }
