"""WebSocket authentication: the session (``AuthMiddlewareStack``) or an API token in ``?token=``."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


@database_sync_to_async
def _user_for_token(key: str):
    from kolony.accounts.identity import user_for_token

    user = user_for_token(key)  # the identity cache, as for the REST API
    return user if user is not None and user.is_active else None


class TokenAuthMiddleware(BaseMiddleware):
    """If the query string has ``token=<key>``, the scope's user is that token's user."""

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        keys = query.get("token")
        if keys:
            user = await _user_for_token(keys[0])
            if user is not None:
                scope["user"] = user
        return await super().__call__(scope, receive, send)
