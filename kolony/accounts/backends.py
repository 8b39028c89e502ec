"""Authentication that reads the signed-in user from the shared identity cache
(:mod:`kolony.accounts.identity`): the same checks as Django's and DRF's own classes, minus the
per-request queries."""

from django.contrib.auth.backends import ModelBackend
from drf_spectacular.authentication import TokenScheme
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from . import identity


class CachedModelBackend(ModelBackend):
    """Django's ``ModelBackend`` (e-mail + password sign-in, permissions) whose ``get_user`` — run
    on every request with a session — comes from the identity cache. Django still verifies the
    session's password-hash HMAC against the returned row."""

    def get_user(self, user_id):
        user = identity.user_for_id(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>`` authentication, with the token → user look-up from the
    identity cache. Errors as DRF's: 401 "Invalid token." / "User inactive or deleted."."""

    def authenticate_credentials(self, key):
        user = identity.user_for_token(key)
        if user is None:
            raise AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return user, self.get_model()(key=key, user=user)


class CachedTokenScheme(TokenScheme):
    """Documents ``CachedTokenAuthentication`` in the OpenAPI schema as DRF's ``tokenAuth``
    (``Authorization: Token <key>``)."""

    target_class = CachedTokenAuthentication
