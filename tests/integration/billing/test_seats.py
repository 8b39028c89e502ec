"""Seat limits: members + pending invitations may not exceed the plan's seats, on the team page,
the API and when accepting; a downgrade below the seats in use is refused."""

import pytest
from django.core.exceptions import ValidationError

from billing import selectors
from billing.models import Plan
from kolony.accounts import services as account_services
from kolony.accounts.models import Invitation, Membership, Role, User
from tests.integration.billing.b1_fixtures import set_plan

pytestmark = pytest.mark.django_db
FREE_FULL = "All 2 seats of the Free plan are taken"


def _owner_membership(user, org):
    return Membership.objects.get(user=user, organization=org)


def test_team_page_refuses_an_invitation_beyond_the_seats_naming_plan_and_seats(billing_on, alice_org, alice, alice_client):
    set_plan(alice_org, "free")  # alice alone: 1 of 2 seats
    ok = alice_client.post("/accounts/team/", {"email": "first@example.com", "role": Role.EDITOR})
    assert ok.status_code == 302
    full = alice_client.post("/accounts/team/", {"email": "second@example.com", "role": Role.EDITOR})
    assert full.status_code == 200
    assert FREE_FULL in full.content.decode()
    assert list(Invitation.objects.filter(organization=alice_org).values_list("email", flat=True)) == ["first@example.com"]


def test_api_invitation_beyond_the_seats_is_400_naming_the_field(billing_on, alice_org, alice, bob, alice_api):
    set_plan(alice_org, "free")  # alice + bob = 2 of 2
    response = alice_api.post("/api/v1/invitations/", {"email": "x@example.com", "role": Role.VIEWER}, format="json")
    assert response.status_code == 400
    assert FREE_FULL in response.json()["errors"]["email"][0]


@pytest.mark.parametrize(("plan", "allowed"), [("free", 2), ("pro", 5)])
def test_each_plan_allows_its_seats(billing_on, alice_org, alice, plan, allowed):
    set_plan(alice_org, plan)
    me = _owner_membership(alice, alice_org)
    sent = 0
    for i in range(allowed + 1):
        try:
            account_services.invitation_create(actor_membership=me, email=f"p{i}@example.com", role=Role.EDITOR)
            sent += 1
        except ValidationError as exc:
            assert f"All {allowed} seats of the {Plan.objects.get(code=plan).name} plan are taken" in str(exc)
    assert sent == allowed - 1  # alice holds one seat
    assert selectors.seats_available(organization=alice_org) == 0


def test_accepting_takes_the_invitations_own_seat_but_not_another(billing_on, alice_org, alice):
    set_plan(alice_org, "free")
    me = _owner_membership(alice, alice_org)
    invitation, _ = account_services.invitation_create(actor_membership=me, email="new@example.com", role=Role.EDITOR)
    newcomer = User.objects.create_user(email="new@example.com", password="a-long-password-1")
    account_services.invitation_accept(token=account_services.invitation_token(invitation), user=newcomer)
    assert Membership.objects.filter(organization=alice_org).count() == 2

    # an invitation sent while there was room, accepted after the plan lost seats
    set_plan(alice_org, "pro")
    late, _ = account_services.invitation_create(actor_membership=me, email="late@example.com", role=Role.EDITOR)
    extra = User.objects.create_user(email="extra@example.com", password="a-long-password-1")
    Membership.objects.create(user=extra, organization=alice_org, role=Role.VIEWER)
    set_plan(alice_org, "free")
    late_user = User.objects.create_user(email="late@example.com", password="a-long-password-1")
    with pytest.raises(ValidationError, match=FREE_FULL):
        account_services.invitation_accept(token=account_services.invitation_token(late), user=late_user)
    assert not Membership.objects.filter(user=late_user).exists()


def test_billing_disabled_has_no_seat_limit(settings, alice_org, alice, bob, dana):
    settings.BILLING_ENABLED = False
    me = _owner_membership(alice, alice_org)
    for i in range(4):
        account_services.invitation_create(actor_membership=me, email=f"d{i}@example.com", role=Role.EDITOR)
    assert Invitation.objects.filter(organization=alice_org).count() == 4


def test_downgrade_below_the_seats_in_use_is_refused(billing_on, alice_org, alice, bob, dana):
    set_plan(alice_org, "pro")  # 3 members
    ok, reason = selectors.plan_change_allowed(organization=alice_org, plan=Plan.objects.get(code="free"))
    assert not ok and "The Free plan has 2 seats but your organization uses 3" in reason
    assert selectors.plan_change_allowed(organization=alice_org, plan=Plan.objects.get(code="agency")) == (True, "")
    assert not selectors.plan_change_allowed(organization=alice_org, plan=Plan.objects.get(code="internal"))[0]
