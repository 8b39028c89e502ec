"""The lifecycle the HTTP stand-ins share: a ``ThreadingHTTPServer`` in ``self.server`` served from a
daemon thread (``start()`` returns the stand-in, ``stop()`` shuts it down and closes the socket)."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class ThreadedHTTPStandIn:
    server: ThreadingHTTPServer
    thread: threading.Thread | None = None
    thread_name = "standin"

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name=self.thread_name, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
