"""Authentication that reads the signed-in user from the shared identity cache
(:mod:`kolony.accounts.identity`): the same checks as Django's and DRF's own classes, minus the
per-request queries."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import TokenScheme
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from . import identity


class CachedModelBackend(AxesStandaloneBackend, ModelBackend):
    """Django's ``ModelBackend`` (e-mail + password sign-in, permissions) whose ``get_user`` — run
    on every request with a session — comes from the identity cache. Django still verifies the
    session's password-hash HMAC against the returned row.

    Sign-in goes through django-axes first: while the account + client address is locked out
    (``AXES_*`` settings) ``authenticate`` refuses even the right password (axes raises
    ``PermissionDenied``, Django's ``authenticate`` answers None and records the failure)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:  # axes keys on the request's client address; without one there is none
            AxesStandaloneBackend.authenticate(self, request, username=username, password=password, **kwargs)
        return ModelBackend.authenticate(self, request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user = identity.user_for_id(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>`` authentication against Kolony's named, hashed
    :class:`~kolony.accounts.models.ApiToken` (looked up by the key's SHA-256), with the key → user
    look-up from the identity cache. Errors as DRF's: 401 "Invalid token." / "User inactive or
    deleted.". ``request.auth`` is the token (``pk``, ``user``; other fields not loaded)."""

    def authenticate_credentials(self, key):
        from .models import ApiToken
        from .services import api_token_touch

        found = identity.token_for_key(key)
        if found is None:
            raise AuthenticationFailed(_("Invalid token."))
        user, token_id = found
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        api_token_touch(token_id=token_id, key=key)
        return user, ApiToken(pk=token_id, user=user)


class CachedTokenScheme(TokenScheme):
    """Documents ``CachedTokenAuthentication`` in the OpenAPI schema as DRF's ``tokenAuth``
    (``Authorization: Token <key>``)."""

    target_class = "kolony.accounts.backends.CachedTokenAuthentication"
