from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from kolony.accounts import services
from kolony.accounts.models import AuditEvent, Invitation, Membership, Organization, Role, User

pytestmark = pytest.mark.django_db


def test_signup_creates_user_with_personal_org_as_owner():
    user = services.user_signup(email="New@Example.com", password="a-long-secret-77", full_name="Nia New")
    assert user.email == "new@example.com"
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "Nia's team"
    assert AuditEvent.objects.filter(organization=membership.organization, action="organization.created").exists()


def test_signup_duplicate_email_is_rejected_case_insensitively(alice):
    with pytest.raises(ValidationError) as exc:
        services.user_signup(email="ALICE@example.com", password="a-long-secret-77")
    assert "already exists" in str(exc.value.message_dict["email"])
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["short", "password123", "12345678901234"])
def test_signup_weak_password_saves_nothing(password):
    with pytest.raises(ValidationError) as exc:
        services.user_signup(email="weak@example.com", password=password, organization_name="Weak Co")
    assert "password" in exc.value.message_dict
    assert not User.objects.exists() and not Organization.objects.exists()


def test_invitation_accept_once(alice, alice_org):
    owner = Membership.objects.get(user=alice)
    invitation, url = services.invitation_create(actor_membership=owner, email="Dee@Example.com", role=Role.REVIEWER)
    assert invitation.email == "dee@example.com"
    token = url.rstrip("/").split("/")[-1]
    dee = User.objects.create_user(email="dee@example.com", password="x-long-secret-11")
    membership = services.invitation_accept(token=token, user=dee)
    assert membership.organization == alice_org and membership.role == Role.REVIEWER
    with pytest.raises(ValidationError, match="already been used"):
        services.invitation_accept(token=token, user=dee)
    actions = set(AuditEvent.objects.filter(organization=alice_org).values_list("action", flat=True))
    assert {"invitation.created", "invitation.accepted"} <= actions


def test_invitation_email_is_sent_with_link(alice, django_capture_on_commit_callbacks):
    owner = Membership.objects.get(user=alice)
    with django_capture_on_commit_callbacks(execute=True):
        _, url = services.invitation_create(actor_membership=owner, email="eve@example.com", role=Role.EDITOR)
    assert len(mail.outbox) == 1
    assert url in mail.outbox[0].body and mail.outbox[0].to == ["eve@example.com"]


def test_invitation_expires(alice, settings):
    owner = Membership.objects.get(user=alice)
    _, url = services.invitation_create(actor_membership=owner, email="late@example.com", role=Role.EDITOR)
    token = url.rstrip("/").split("/")[-1]
    late = User.objects.create_user(email="late@example.com", password="x-long-secret-11")
    import time as _time

    real = _time.time
    with mock.patch("time.time", lambda: real() + settings.KOLONY_INVITATION_MAX_AGE + 5):
        with pytest.raises(ValidationError, match="expired"):
            services.invitation_accept(token=token, user=late)
    assert not Membership.objects.filter(user=late).exists()


def test_invitation_for_other_email_and_forged_token(alice):
    owner = Membership.objects.get(user=alice)
    _, url = services.invitation_create(actor_membership=owner, email="fay@example.com", role=Role.EDITOR)
    token = url.rstrip("/").split("/")[-1]
    mallory = User.objects.create_user(email="mallory@example.com", password="x-long-secret-11")
    with pytest.raises(ValidationError, match="sent to fay@example.com"):
        services.invitation_accept(token=token, user=mallory)
    with pytest.raises(ValidationError, match="invalid"):
        services.invitation_accept(token=token[:-2] + "xx", user=mallory)
    assert not Membership.objects.filter(user=mallory).exists()


def test_revoked_invitation_cannot_be_used(alice):
    owner = Membership.objects.get(user=alice)
    invitation, url = services.invitation_create(actor_membership=owner, email="gil@example.com", role=Role.EDITOR)
    services.invitation_revoke(actor_membership=owner, invitation=invitation)
    gil = User.objects.create_user(email="gil@example.com", password="x-long-secret-11")
    with pytest.raises(ValidationError, match="revoked"):
        services.invitation_accept(token=url.rstrip("/").split("/")[-1], user=gil)


def test_duplicate_pending_invitation_and_existing_member(alice, bob):
    owner = Membership.objects.get(user=alice)
    services.invitation_create(actor_membership=owner, email="hal@example.com", role=Role.EDITOR)
    with pytest.raises(ValidationError, match="pending invitation"):
        services.invitation_create(actor_membership=owner, email="HAL@example.com", role=Role.VIEWER)
    with pytest.raises(ValidationError, match="already a member"):
        services.invitation_create(actor_membership=owner, email="bob@example.com", role=Role.VIEWER)
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.VIEWER])
def test_non_managers_cannot_invite(member_of, role):
    actor = Membership.objects.get(user=member_of(role))
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor_membership=actor, email="x@example.com", role=Role.VIEWER)
    assert not Invitation.objects.exists()


def test_admin_cannot_grant_or_touch_owner(alice, member_of):
    admin = Membership.objects.get(user=member_of(Role.ADMIN))
    editor = Membership.objects.get(user=member_of(Role.EDITOR))
    with pytest.raises(PermissionDenied):
        services.membership_change_role(actor_membership=admin, membership=editor, role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor_membership=admin, membership=Membership.objects.get(user=alice))
    services.membership_change_role(actor_membership=admin, membership=editor, role=Role.VIEWER)
    editor.refresh_from_db()
    assert editor.role == Role.VIEWER


def test_last_owner_cannot_be_demoted_or_removed(alice, bob):
    owner = Membership.objects.get(user=alice)
    with pytest.raises(ValidationError, match="last owner"):
        services.membership_change_role(actor_membership=owner, membership=owner, role=Role.ADMIN)
    with pytest.raises(ValidationError, match="last owner"):
        services.membership_remove(actor_membership=owner, membership=owner)
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
    # With a second owner, the first may step down.
    bob_m = Membership.objects.get(user=bob)
    services.membership_change_role(actor_membership=owner, membership=bob_m, role=Role.OWNER)
    services.membership_change_role(actor_membership=owner, membership=owner, role=Role.ADMIN)
    assert set(Membership.objects.values_list("role", flat=True)) == {Role.OWNER, Role.ADMIN}
    assert AuditEvent.objects.filter(action="member.role_changed").count() == 2


def test_create_org_user_command(capsys):
    call_command("create_org_user", "--email", "ops@example.com", "--password", "ops-long-secret-1", "--org", "Ops Org")
    org_id = int(capsys.readouterr().out.strip())
    assert Organization.objects.get(pk=org_id).name == "Ops Org"
    call_command("create_org_user", "--email", "two@example.com", "--password", "ops-long-secret-2", "--org", "Ops Org", "--role", "viewer")
    assert int(capsys.readouterr().out.strip()) == org_id
    assert Membership.objects.get(user__email="two@example.com").role == Role.VIEWER
    with pytest.raises(CommandError, match="password"):
        call_command("create_org_user", "--email", "weak@example.com", "--password", "123", "--org", "Ops Org")


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo", "--skip-apps", "--password", "demo-pass-long-1")
    call_command("seed_demo", "--skip-apps", "--password", "demo-pass-long-1")
    out = capsys.readouterr().out
    assert "demo@kolony.test" in out and "demo-pass-long-1" in out
    user = User.objects.get(email="demo@kolony.test")
    assert user.check_password("demo-pass-long-1")
    assert Membership.objects.filter(user=user, role=Role.OWNER).count() == 1
