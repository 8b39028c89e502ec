import pytest
from django.core import mail
from django.urls import reverse

from kolony.accounts.models import AuditEvent, Invitation, Membership, Organization, Role, User

pytestmark = pytest.mark.django_db


def test_signup_page_creates_account_and_signs_in(client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "zoe@example.com", "password": "zoe-long-secret-5", "full_name": "Zoe", "organization_name": "Zoe Media"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("core:dashboard")
    page = client.get(reverse("core:dashboard"))
    assert page.status_code == 200 and "Zoe Media" in page.content.decode()


def test_signup_errors_are_shown_and_nothing_saved(client, alice):
    response = client.post(reverse("accounts:signup"), {"email": "alice@example.com", "password": "zoe-long-secret-5"})
    assert "already exists" in response.content.decode()
    response = client.post(reverse("accounts:signup"), {"email": "weak@example.com", "password": "abc"})
    assert "too short" in response.content.decode()
    assert User.objects.count() == 1


def test_login_and_logout(client, alice):
    bad = client.post(reverse("accounts:login"), {"username": "alice@example.com", "password": "wrong"})
    assert "incorrect" in bad.content.decode()
    ok = client.post(reverse("accounts:login"), {"username": "alice@example.com", "password": "correct-horse-battery-9"})
    assert ok.status_code == 302
    assert client.get(reverse("core:dashboard")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("accounts:team"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_password_reset_sends_email_with_working_link(client, alice):
    client.post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link[link.index("/accounts/reset/"):]
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "brand-new-secret-42", "new_password2": "brand-new-secret-42"})
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("brand-new-secret-42")


def test_owner_invites_and_invitee_accepts_through_pages(alice_client, alice_org, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("accounts:team"), {"email": "ivy@example.com", "role": "reviewer"})
    assert response.status_code == 302
    body = mail.outbox[-1].body
    path = body[body.index("/accounts/invitations/"):].split()[0]
    landing = client.get(path)
    assert "Join Alice Co" in landing.content.decode()
    client.post(reverse("accounts:signup") + f"?next={path}", {"email": "ivy@example.com", "password": "ivy-long-secret-3", "next": path})
    accepted = client.post(path)
    assert accepted.status_code == 302
    assert Membership.objects.get(user__email="ivy@example.com", organization=alice_org).role == Role.REVIEWER
    reused = client.post(path)
    assert reused.status_code == 400 and "already been used" in reused.content.decode()


@pytest.mark.parametrize("role", ["editor", "reviewer", "viewer"])
def test_only_managers_manage_the_team(member_of, client_for, alice, role):
    actor = member_of(role)
    owner_m = Membership.objects.get(user=alice)
    client = client_for(actor)
    page = client.get(reverse("accounts:team"))
    assert page.status_code == 200 and "Send invitation" not in page.content.decode()
    assert client.post(reverse("accounts:team"), {"email": "x@example.com", "role": "viewer"}).status_code == 403
    assert client.post(reverse("accounts:member_role", args=[owner_m.pk]), {"role": "viewer"}).status_code == 403
    assert client.post(reverse("accounts:member_remove", args=[owner_m.pk])).status_code == 403
    owner_m.refresh_from_db()
    assert owner_m.role == Role.OWNER and not Invitation.objects.exists()


def test_admin_changes_roles_and_removes_members(member_of, client_for):
    admin = member_of("admin")
    editor = member_of("editor")
    client = client_for(admin)
    target = Membership.objects.get(user=editor)
    client.post(reverse("accounts:member_role", args=[target.pk]), {"role": "viewer"})
    target.refresh_from_db()
    assert target.role == "viewer"
    response = client.post(reverse("accounts:member_remove", args=[target.pk]), follow=True)
    assert "Removed" in response.content.decode()
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_last_owner_message_on_team_page(alice_client, alice):
    own = Membership.objects.get(user=alice)
    response = alice_client.post(reverse("accounts:member_role", args=[own.pk]), {"role": "viewer"}, follow=True)
    assert "last owner cannot be demoted" in response.content.decode()
    own.refresh_from_db()
    assert own.role == Role.OWNER


def test_organization_switch_and_forged_org_id(alice_client, alice, charlie_org):
    second = Organization.objects.create(name="Alice Side Project")
    Membership.objects.create(user=alice, organization=second, role=Role.OWNER)
    response = alice_client.post(reverse("accounts:organization_switch", args=[second.pk]), follow=True)
    assert "Switched to Alice Side Project" in response.content.decode()
    assert alice_client.post(reverse("accounts:organization_switch", args=[charlie_org.pk])).status_code == 404
    assert "Alice Side Project" in alice_client.get(reverse("accounts:team")).content.decode()


def test_viewer_sees_audit_log_with_events(alice, alice_org, member_of, client_for, bob):
    viewer = member_of("viewer")
    AuditEvent.objects.create(organization=alice_org, actor=alice, action="member.role_changed", target_repr="bob")
    page = client_for(viewer).get(reverse("accounts:audit_log"))
    assert page.status_code == 200 and "Alice Owner changed bob&#x27;s role" in page.content.decode()


def test_member_removed_from_every_org_sees_no_organization_page(alice_client, alice, bob, client_for):
    client = client_for(bob)
    Membership.objects.filter(user=bob).delete()
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:no_organization")
