"""Writes for accounts and teams. Keyword-only, atomic, and each one leaves an AuditEvent.

Errors: ``django.core.exceptions.ValidationError`` for bad input (with a message naming the
problem), ``PermissionDenied`` when the acting member's role does not allow the change.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from kolony.tenancy import role_can

from .models import ApiToken, AuditEvent, Invitation, Membership, Organization, Role, User

INVITATION_SALT = "kolony.invitation"


def audit_log(*, organization: Organization, actor: User | None, action: str, target=None, metadata=None) -> AuditEvent:
    """Appends one event to ``organization``'s audit trail. ``target`` is any model instance."""
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        metadata=metadata or {},
    )


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


@transaction.atomic
def organization_create(*, name: str, owner: User) -> Organization:
    """Creates an organization with ``owner`` as its owner."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"organization_name": "Give the organization a name."})
    org = Organization.objects.create(name=name[:120])
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    audit_log(organization=org, actor=owner, action="organization.created", target=org)
    return org


@transaction.atomic
def user_signup(*, email: str, password: str, full_name: str = "", organization_name: str = "") -> User:
    """Creates a user and their personal organization (they own it).

    Raises ValidationError naming ``email`` (already registered / invalid) or ``password`` (too weak,
    per ``AUTH_PASSWORD_VALIDATORS``). Nothing is saved on error.
    """
    email = _normalise_email(email)
    if not email or "@" not in email:
        raise ValidationError({"email": "Enter a valid email address."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email already exists. Sign in instead."})
    candidate = User(email=email, full_name=full_name.strip())
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    try:
        user = User.objects.create_user(email=email, password=password, full_name=full_name.strip())
    except IntegrityError as exc:
        raise ValidationError({"email": "An account with this email already exists. Sign in instead."}) from exc
    org_name = organization_name.strip() or f"{user.get_short_name()}'s team"
    organization_create(name=org_name, owner=user)
    return user


def invitation_token(invitation: Invitation) -> str:
    """The signed token of the invitation's link (expires ``KOLONY_INVITATION_MAX_AGE`` seconds
    after the invitation was made). The same invitation always gives the same token, so the link
    copied from the team page is the one in the e-mail, and copying it again extends nothing."""
    signer = _SignedAt(salt=INVITATION_SALT, at=int(invitation.created_at.timestamp()))
    return signer.sign_object({"i": invitation.pk, "e": invitation.email}, compress=True)


class _SignedAt(signing.TimestampSigner):
    """A ``TimestampSigner`` (what ``signing.dumps`` uses) stamping a given time instead of now."""

    def __init__(self, *args, at: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._at = at

    def timestamp(self):
        return signing.b62_encode(self._at)


def invitation_accept_url(invitation: Invitation, request=None) -> str:
    """The accept link of ``invitation``: absolute when ``request`` is given, else a path."""
    path = reverse("accounts:invitation_accept", args=[invitation_token(invitation)])
    return request.build_absolute_uri(path) if request is not None else path


def invitation_from_token(token: str) -> Invitation:
    """The pending invitation a token names.

    Raises ValidationError: "expired" after ``KOLONY_INVITATION_MAX_AGE`` seconds, "already used"
    once accepted, "revoked", "invalid" for a forged or damaged token, or "no longer valid" when
    its inviter left the organization or may no longer grant its role.
    """
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=settings.KOLONY_INVITATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError("This invitation has expired. Ask your teammate to send a new one.") from exc
    except signing.BadSignature as exc:
        raise ValidationError("This invitation link is invalid.") from exc
    invitation = Invitation.objects.select_related("organization").filter(pk=data.get("i"), email=data.get("e")).first()
    if invitation is None:
        raise ValidationError("This invitation link is invalid.")
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used.")
    if invitation.revoked_at is not None:
        raise ValidationError("This invitation was revoked.")
    _require_inviter_may_still_grant(invitation)
    return invitation


INVITER_GONE = ("This invitation is no longer valid: the teammate who sent it can no longer add members "
                "as {role} to {org}. Ask an owner or admin of {org} to invite you again.")


def _require_inviter_may_still_grant(invitation: Invitation, *, lock: bool = False) -> None:
    """Raises ValidationError unless the inviter is still an active member of the invitation's
    organization whose role may grant the invitation's role today (roles change, people leave)."""
    inviter = None
    if invitation.invited_by_id is not None:
        memberships = Membership.objects.filter(user_id=invitation.invited_by_id, organization_id=invitation.organization_id,
                                                user__is_active=True)
        if lock:
            memberships = memberships.select_for_update(of=("self",))
        inviter = memberships.first()
    allowed = inviter is not None and role_can(inviter.role, "manage_team") and (
        invitation.role != Role.OWNER or inviter.role == Role.OWNER)
    if not allowed:
        raise ValidationError(INVITER_GONE.format(role=invitation.get_role_display(), org=invitation.organization.name))


def _require_team_manager(actor_membership: Membership):
    if actor_membership is None or not role_can(actor_membership.role, "manage_team"):
        raise PermissionDenied("Only owners and admins can manage the team.")


def _require_can_grant(actor_membership: Membership, role: str):
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'. Choose one of: {', '.join(Role.values)}."})
    if role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise PermissionDenied("Only an owner can make someone an owner.")


def _send_quietly(*, subject: str, message: str, recipient_list: list[str]) -> bool:
    """Sends an e-mail; a mail server that is down or missing is logged, not raised (the
    invitation stands, and its link can be copied from the team page)."""
    try:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=recipient_list)
    except Exception as exc:  # noqa: BLE001 - smtplib/socket errors of any kind
        logging.getLogger(__name__).warning("invitation e-mail to %s not sent: %s", recipient_list, exc)
        return False
    return True


@transaction.atomic
def invitation_create(*, actor_membership: Membership, email: str, role: str, request=None) -> tuple[Invitation, str]:
    """Invites ``email`` to the actor's organization with ``role`` and emails the link.

    Returns (invitation, accept_url). Raises PermissionDenied for roles that cannot manage the team,
    ValidationError for an invalid email, an existing member, a pending invitation, or no seat left
    on the organization's plan (:func:`billing.services.seats.seat_require_available`).
    """
    _require_team_manager(actor_membership)
    _require_can_grant(actor_membership, role)
    email = _normalise_email(email)
    if not email or "@" not in email:
        raise ValidationError({"email": "Enter a valid email address."})
    org = actor_membership.organization
    if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {org.name}."})
    if Invitation.objects.filter(organization=org, email__iexact=email, accepted_at=None, revoked_at=None).exists():
        raise ValidationError({"email": f"{email} already has a pending invitation."})
    from billing.services.seats import seat_require_available

    seat_require_available(organization=org)  # the plan's seats (members + pending invitations)
    invitation = Invitation.objects.create(organization=org, email=email, role=role, invited_by=actor_membership.user)
    url = invitation_accept_url(invitation, request)
    inviter = actor_membership.user.get_full_name()
    transaction.on_commit(
        lambda: _send_quietly(
            subject=f"{inviter} invited you to {org.name} on Kolony",
            message=f"{inviter} invited you to join {org.name} on Kolony as {invitation.get_role_display()}.\n\n"
            f"Accept the invitation: {url}\n\nThe link expires in "
            f"{settings.KOLONY_INVITATION_MAX_AGE // 86400 or 1} day(s).",
            recipient_list=[email],
        )
    )
    audit_log(organization=org, actor=actor_membership.user, action="invitation.created", target=invitation, metadata={"role": role})
    return invitation, url


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Accepts an invitation for ``user`` (whose email must match it). Usable once.

    Raises ValidationError for an expired, used, revoked, invalid token, another email address, or
    an inviter who since left the organization or lost the right to grant the invitation's role, or
    an organization whose plan has no seat left (the invitation's own pending seat counts as its).
    """
    invitation = invitation_from_token(token)
    invitation = Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been used.")
    _require_inviter_may_still_grant(invitation, lock=True)  # the inviter's role, as of now
    if _normalise_email(user.email) != _normalise_email(invitation.email):
        raise ValidationError(f"This invitation was sent to {invitation.email}; you are signed in as {user.email}.")
    from billing.services.seats import seat_require_available

    if not Membership.objects.filter(user=user, organization=invitation.organization).exists():
        seat_require_available(organization=invitation.organization, field="", accepting_invitation_id=invitation.pk)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_log(organization=invitation.organization, actor=user, action="invitation.accepted", target=invitation,
              metadata={"role": membership.role})
    return membership


@transaction.atomic
def invitation_revoke(*, actor_membership: Membership, invitation: Invitation) -> None:
    """Revokes a pending invitation of the actor's organization."""
    _require_team_manager(actor_membership)
    if invitation.organization_id != actor_membership.organization_id:
        raise PermissionDenied("Not your organization's invitation.")
    if not invitation.is_pending:
        raise ValidationError("Only pending invitations can be revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_log(organization=invitation.organization, actor=actor_membership.user, action="invitation.revoked", target=invitation)


def _lock_owners(organization_id: int) -> list[int]:
    return list(
        Membership.objects.select_for_update().filter(organization_id=organization_id, role=Role.OWNER).values_list("pk", flat=True)
    )


def _guard_owner_change(actor_membership: Membership, membership: Membership):
    if membership.role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise PermissionDenied("Only an owner can change or remove another owner.")


@transaction.atomic
def membership_change_role(*, actor_membership: Membership, membership: Membership, role: str) -> Membership:
    """Changes a member's role. The last owner cannot be demoted.

    Raises PermissionDenied (actor lacks ``manage_team``, or an admin touching an owner),
    ValidationError (unknown role, last owner).
    """
    _require_team_manager(actor_membership)
    _require_can_grant(actor_membership, role)
    if membership.organization_id != actor_membership.organization_id:
        raise PermissionDenied("Not your organization's member.")
    _guard_owner_change(actor_membership, membership)
    owners = _lock_owners(membership.organization_id)
    membership.refresh_from_db()
    if membership.role == role:
        return membership
    if membership.role == Role.OWNER and owners == [membership.pk]:
        raise ValidationError({"role": "The last owner cannot be demoted. Make someone else an owner first."})
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_log(
        organization=membership.organization,
        actor=actor_membership.user,
        action="member.role_changed",
        target=membership,
        metadata={"email": membership.user.email, "from": before, "to": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor_membership: Membership, membership: Membership) -> None:
    """Removes a member from the organization. The last owner cannot be removed."""
    _require_team_manager(actor_membership)
    if membership.organization_id != actor_membership.organization_id:
        raise PermissionDenied("Not your organization's member.")
    _guard_owner_change(actor_membership, membership)
    owners = _lock_owners(membership.organization_id)
    if membership.role == Role.OWNER and owners == [membership.pk]:
        raise ValidationError("The last owner cannot be removed. Make someone else an owner first.")
    email = membership.user.email
    audit_log(
        organization=membership.organization,
        actor=actor_membership.user,
        action="member.removed",
        target=membership,
        metadata={"email": email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def org_user_create(*, email: str, password: str, org_name: str, role: str = Role.OWNER) -> tuple[User, Organization, bool]:
    """Ops helper behind ``manage.py create_org_user``: creates (or reuses) the organization named
    ``org_name`` and the user, and gives the user ``role`` in it. Returns (user, org, created_user)."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role '{role}'. Choose one of: {', '.join(Role.values)}.")
    email = _normalise_email(email)
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        try:
            password_validation.validate_password(password, User(email=email))
        except ValidationError as exc:
            raise ValidationError(f"password: {' '.join(exc.messages)}") from exc
        user = User.objects.create_user(email=email, password=password)
    org = Organization.objects.filter(name=org_name).order_by("id").first()
    if org is None:
        org = Organization.objects.create(name=org_name)
        audit_log(organization=org, actor=None, action="organization.created", target=org, metadata={"via": "create_org_user"})
    membership, made = Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
    if not made and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    audit_log(organization=org, actor=None, action="member.added", target=membership, metadata={"via": "create_org_user", "role": role})
    return user, org, created


API_TOKEN_PREFIX = "kol_"  # noqa: S105 - the public prefix of every key
API_TOKEN_TOUCH_EVERY = 60  # seconds: ``last_used_at`` is written at most this often per token
API_TOKEN_NAME_MAX = 100


def api_token_hash(key: str) -> str:
    """The stored form of an API token key: its SHA-256, 64 hex digits."""
    return hashlib.sha256((key or "").encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Makes a named API token for ``user``. Returns ``(token, key)``; ``key`` (``kol_`` + 43
    URL-safe characters) exists nowhere else — only its hash is stored — so show it now.

    Raises ValidationError naming ``name`` when it is empty or over 100 characters."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the script that will use it."})
    if len(name) > API_TOKEN_NAME_MAX:
        raise ValidationError({"name": f"Keep the name to {API_TOKEN_NAME_MAX} characters or fewer."})
    key = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=api_token_hash(key),
                                    prefix=key[: len(API_TOKEN_PREFIX) + 6])
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_id) -> ApiToken:
    """Deletes ``user``'s token ``token_id``: it answers 401 on the very next request in every
    process, and its open WebSockets close. Raises ``Http404`` for another user's (or no) token."""
    token = get_object_or_404(ApiToken.objects.select_for_update(), pk=token_id, user=user)
    token.delete()
    return token


def api_token_touch(*, token_id: int, key: str) -> None:
    """Records that token ``token_id`` (whose key is ``key``) was just used (``last_used_at``), at
    most once every :data:`API_TOKEN_TOUCH_EVERY` seconds per token (a Redis ``add`` on the key's
    hash gates the write). The write is a plain ``UPDATE``: it does not retire the identity cache.
    Never raises."""
    from django.core.cache import caches

    try:
        gate = caches["identity"] if "identity" in settings.CACHES else None
        if gate is not None and not gate.add(f"tokused:{api_token_hash(key)}", 1, API_TOKEN_TOUCH_EVERY):
            return
    except Exception as exc:  # noqa: BLE001 - Redis down: write anyway
        logging.getLogger(__name__).debug("token use gate unavailable: %s", exc)
    try:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=timezone.now())
    except Exception:  # noqa: BLE001 - a read-only replica or a lock must not fail the request
        logging.getLogger(__name__).warning("could not record use of API token %s", token_id)


@transaction.atomic
def user_api_tokens_revoke(*, user: User) -> int:
    """Deletes every API token of ``user`` (called on every password change or reset) and retires
    the user's cached identity, so the old tokens answer 401 on the very next request in every
    process and open token WebSockets close. Returns how many tokens were deleted."""
    from .identity import forget_users

    tokens = list(ApiToken.objects.filter(user=user))
    for token in tokens:
        token.delete()  # per object: the identity cache and open sockets hear of each
    forget_users([user.pk])
    return len(tokens)


@transaction.atomic
def user_profile_update(*, user: User, full_name: str) -> User:
    """Sets ``user``'s display name (trimmed; may be empty). Raises ValidationError naming
    ``full_name`` when it is over 150 characters."""
    full_name = (full_name or "").strip()
    if len(full_name) > 150:
        raise ValidationError({"full_name": "Keep your name to 150 characters or fewer."})
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user
