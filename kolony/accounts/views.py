"""Sign-up, sign-in, organization switching, the team and roles pages, the audit log, and each
user's own profile (name, password) and API tokens. Thin: the work is
in ``services`` and ``selectors``."""

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from kolony.core.service_errors import apply_service_errors, errors_as_text
from kolony.tenancy import current_membership, get_for_org_or_404, org_required, role_can, switch_organization

from . import roles, selectors, services
from .forms import ApiTokenForm, InviteForm, LoginForm, ProfileForm, RoleForm, SignupForm
from .models import Invitation, Membership
from .security import safe_next_url

SIGN_IN_BACKEND = "kolony.accounts.backends.CachedModelBackend"


def _flash_validation_error(request, exc: ValidationError):
    for message in errors_as_text(exc):
        messages.error(request, message)


def signup(request):
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    next_url = safe_next_url(request, "")
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(**form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            login(request, user, backend=SIGN_IN_BACKEND)
            messages.success(request, "Welcome to Kolony! Your organization is ready.")
            return redirect(next_url or "core:dashboard")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        return safe_next_url(self.request, "")


class LogoutView(auth_views.LogoutView):
    def get_redirect_url(self):
        return safe_next_url(self.request, "")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def no_organization(request):
    if current_membership(request) is not None:
        return redirect("core:dashboard")
    return render(request, "accounts/no_organization.html")


@login_required
@require_POST
def organization_switch(request, org_id: int):
    switch_organization(request, org_id)
    messages.success(request, f"Switched to {request.organization.name}.")
    return redirect("core:dashboard")


@login_required
@require_POST
def organization_create(request):
    try:
        org = services.organization_create(name=request.POST.get("name", ""), owner=request.user)
    except ValidationError as exc:
        _flash_validation_error(request, exc)
        return redirect("accounts:team")
    switch_organization(request, org.pk)
    messages.success(request, f"Created {org.name}.")
    return redirect("core:dashboard")


@org_required("view")
def team(request):
    membership = current_membership(request)
    org = membership.organization
    can_manage = role_can(membership.role, "manage_team")
    invite_form = InviteForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only owners and admins can invite teammates.")
        if invite_form.is_valid():
            try:
                invitation, url = services.invitation_create(
                    actor_membership=membership, request=request, **invite_form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(invite_form, exc)
            else:
                messages.success(request, f"Invitation sent to {invitation.email}. You can also copy its link "
                                          "under Pending invitations and send it yourself.")
                return redirect("accounts:team")
    return render(
        request,
        "accounts/team.html",
        {
            "members": selectors.member_list(organization=org),
            "invitations": [(i, services.invitation_accept_url(i, request))
                            for i in selectors.invitation_pending_list(organization=org)] if can_manage else [],
            "invite_form": invite_form,
            "can_manage": can_manage,
            "role_form": RoleForm(),
        },
    )


@org_required("manage_team")
@require_POST
def member_role(request, membership_id: int):
    actor = current_membership(request)
    target = get_for_org_or_404(Membership.objects.select_related("user"), actor.organization, pk=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return redirect("accounts:team")
    try:
        services.membership_change_role(actor_membership=actor, membership=target, role=form.cleaned_data["role"])
    except ValidationError as exc:
        _flash_validation_error(request, exc)
    else:
        messages.success(request, f"{target.user.email} is now {target.get_role_display()}.")
    return redirect("accounts:team")


@org_required("manage_team")
@require_POST
def member_remove(request, membership_id: int):
    actor = current_membership(request)
    target = get_for_org_or_404(Membership.objects.select_related("user"), actor.organization, pk=membership_id)
    try:
        services.membership_remove(actor_membership=actor, membership=target)
    except ValidationError as exc:
        _flash_validation_error(request, exc)
    else:
        messages.success(request, f"Removed {target.user.email}.")
        if target.user_id == request.user.pk:
            request.session.pop("kolony_org_id", None)
            return redirect("core:dashboard")
    return redirect("accounts:team")


@org_required("manage_team")
@require_POST
def invitation_revoke(request, invitation_id: int):
    actor = current_membership(request)
    invitation = get_for_org_or_404(Invitation, actor.organization, pk=invitation_id)
    try:
        services.invitation_revoke(actor_membership=actor, invitation=invitation)
    except ValidationError as exc:
        _flash_validation_error(request, exc)
    else:
        messages.success(request, f"Revoked the invitation to {invitation.email}.")
    return redirect("accounts:team")


def invitation_accept(request, token: str):
    try:
        invitation = services.invitation_from_token(token)
    except ValidationError as exc:
        return render(request, "accounts/invitation_invalid.html", {"errors": exc.messages}, status=400)
    if not request.user.is_authenticated:
        here = reverse("accounts:invitation_accept", args=[token])
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "here": here})
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except ValidationError as exc:
            return render(request, "accounts/invitation_invalid.html", {"errors": exc.messages}, status=400)
        switch_organization(request, membership.organization_id)
        messages.success(request, f"You joined {membership.organization.name} as {membership.get_role_display()}.")
        return redirect("core:dashboard")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation})


@org_required("view")
def audit_log(request):
    org = current_membership(request).organization
    events = selectors.audit_event_list(organization=org, action=request.GET.get("action", ""))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"page": page, "action": request.GET.get("action", "")})


@login_required
def roles_page(request):
    """What each role may do, generated from ``kolony.tenancy.CAPABILITIES``; marks the
    signed-in member's role in the current organization (none without one)."""
    membership = current_membership(request)
    return render(request, "accounts/roles.html", {
        "capabilities": roles.capability_rows(), "role_rows": roles.role_rows(),
        "role_labels": [label for _value, label in roles.Role.choices],
        "my_role": membership.role if membership else None,
    })


NEW_TOKEN_SESSION_KEY = "kolony_new_api_token"  # noqa: S105 - a session key name


@login_required
def profile(request):
    """The signed-in user's name, e-mail and password. A password change keeps this session signed
    in (``update_session_auth_hash``), signs out other sessions and revokes every API token."""
    user = request.user
    profile_form = ProfileForm(request.POST if request.POST.get("form") == "profile" else None,
                               initial={"full_name": user.full_name})
    password_form = PasswordChangeForm(user, request.POST if request.POST.get("form") == "password" else None)
    if request.method == "POST" and profile_form.is_bound and profile_form.is_valid():
        try:
            services.user_profile_update(user=user, full_name=profile_form.cleaned_data["full_name"])
        except ValidationError as exc:
            apply_service_errors(profile_form, exc)
        else:
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile")
    if request.method == "POST" and password_form.is_bound and password_form.is_valid():
        revoked = user.api_tokens.count()
        password_form.save()  # User.save revokes the API tokens
        update_session_auth_hash(request, password_form.user)
        messages.success(request, "Your password was changed. Other browsers were signed out"
                         + (f" and your {revoked} API token{'s were' if revoked != 1 else ' was'} revoked." if revoked else "."))
        return redirect("accounts:profile")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/profile.html", {
        "profile_form": profile_form, "password_form": password_form,
        "token_count": user.api_tokens.count(),
    }, status=status)


@login_required
def api_tokens(request):
    """The signed-in user's API tokens: list, and create one (its key is shown once, after the
    redirect). Any role may manage their own tokens; nobody sees another user's."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "key": key}
            return redirect("accounts:api_tokens")
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None) if request.method == "GET" else None
    return render(request, "accounts/api_tokens.html", {
        "form": form, "tokens": selectors.api_token_list(user=request.user), "new_token": new_token,
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    token = services.api_token_revoke(user=request.user, token_id=token_id)  # 404 for another user's
    messages.success(request, f"Revoked the token “{token.name}”. Programs using it are refused from now on.")
    return redirect("accounts:api_tokens")
