"""An invitation is only as good as its inviter's right to grant it, checked when it is accepted."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kolony.accounts import services
from kolony.accounts.models import Membership, Role, User
from tests.conftest import login_client, make_member

pytestmark = pytest.mark.django_db


def _invite(org, inviter, role):
    actor = Membership.objects.get(user=inviter, organization=org)
    invitation, url = services.invitation_create(actor_membership=actor, email="newbie@example.com", role=role)
    return invitation, url.rsplit("/invitations/", 1)[1].strip("/")


def _owner_actor(alice, org):
    return Membership.objects.get(user=alice, organization=org)


def _remove(alice, org, inviter):
    services.membership_remove(actor_membership=_owner_actor(alice, org), membership=Membership.objects.get(user=inviter, organization=org))


def _demote_to(role):
    def demote(alice, org, inviter):
        services.membership_change_role(actor_membership=_owner_actor(alice, org),
                                        membership=Membership.objects.get(user=inviter, organization=org), role=role)
    demote.__name__ = f"demoted-to-{role}"
    return demote


def _deactivate(alice, org, inviter):
    inviter.is_active = False
    inviter.save()


def _delete(alice, org, inviter):
    inviter.delete()


CHANGES = [_remove, _demote_to(Role.EDITOR), _demote_to(Role.REVIEWER), _demote_to(Role.VIEWER), _deactivate, _delete]
# (inviter's role, invitation's role, what happens to the inviter)
CASES = [(Role.ADMIN, role, change) for role in (Role.ADMIN, Role.EDITOR, Role.VIEWER) for change in CHANGES]
CASES += [(Role.OWNER, Role.OWNER, _demote_to(Role.ADMIN)), (Role.OWNER, Role.ADMIN, _remove)]


@pytest.mark.parametrize(("inviter_role", "role", "change"), CASES,
                         ids=[f"{a}-invites-{r}-then-{c.__name__.strip('_')}" for a, r, c in CASES])
def test_accepting_rechecks_that_the_inviter_may_still_grant_the_role(alice, alice_org, inviter_role, role, change, client):
    inviter = make_member(alice_org, "inviter@example.com", inviter_role)
    invitation, token = _invite(alice_org, inviter, role)
    change(alice, alice_org, inviter)
    newbie = User.objects.create_user(email="newbie@example.com", password="newbie-long-secret-1")

    with pytest.raises(ValidationError, match="no longer valid"):
        services.invitation_accept(token=token, user=newbie)
    page = login_client(newbie).post(reverse("accounts:invitation_accept", args=[token]))
    assert page.status_code == 400 and "no longer valid" in page.content.decode()
    assert not Membership.objects.filter(user=newbie).exists()
    anonymous = client.get(reverse("accounts:invitation_accept", args=[token]))
    assert anonymous.status_code == 400 and "no longer valid" in anonymous.content.decode()


@pytest.mark.parametrize(("inviter_role", "role"), [(Role.ADMIN, Role.ADMIN), (Role.OWNER, Role.OWNER), (Role.OWNER, Role.EDITOR)])
def test_invitation_of_an_inviter_who_still_may_grant_it_works(alice, alice_org, inviter_role, role):
    inviter = make_member(alice_org, "inviter@example.com", inviter_role)
    _, token = _invite(alice_org, inviter, role)
    if inviter_role == Role.ADMIN:
        services.membership_change_role(actor_membership=_owner_actor(alice, alice_org),
                                        membership=Membership.objects.get(user=inviter), role=Role.OWNER)  # promoted: still fine
    newbie = User.objects.create_user(email="newbie@example.com", password="newbie-long-secret-1")
    membership = services.invitation_accept(token=token, user=newbie)
    assert membership.role == role and membership.organization == alice_org
