"""ASGI entry: HTTP through Django, WebSocket through Channels — ``?token=`` clients or session
cookies from an allowed Origin (:class:`kolony.ws_auth.WebSocketAuthMiddleware`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kolony.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from kolony.core.upload_limit import ASGIUploadSizeLimit  # noqa: E402
from kolony.routing import websocket_urlpatterns  # noqa: E402
from kolony.ws_auth import WebSocketAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ASGIUploadSizeLimit(django_asgi_app),  # 413 from content-length before the body is read
        "websocket": WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
