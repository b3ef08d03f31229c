"""A werkzeug WSGI server on a background thread: start on a port (0 picks a free one), stop quickly."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

LOGGER = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to the ``pimtasks_local.http`` logger at DEBUG instead of stderr."""

    def log(self, type: str, message: str, *args: Any) -> None:
        logging.getLogger("pimtasks_local.http").debug("%s " + message, self.address_string(), *args)


class BackgroundServer:
    """Serves ``app`` on ``host:port`` from a daemon thread (threaded: one thread per request)."""

    def __init__(self, app: Any, *, host: str, port: int, name: str) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=name, daemon=True)
        self.name = name

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
