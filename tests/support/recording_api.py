"""A stand-in for the pimtasks API on 127.0.0.1 that records every request and answers a canned JSON body.

For CLI tests that check what a command sends (method, path, query, headers, body) without a whole local
stack. Answers come from ``answers`` by ``(method, path)`` (path without the query): a (status, body) pair,
or a function of the request giving one; else ``{}`` with 200.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, still URL-quoted, without the query
    query: str
    headers: dict[str, str]
    body: Any


Answer = tuple[int, Any] | Callable[[RecordedRequest], tuple[int, Any]]


@dataclass
class RecordingApi:
    url: str
    requests: list[RecordedRequest] = field(default_factory=list)
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)


@contextmanager
def recording_api() -> Iterator[RecordingApi]:
    """A running recording API on a free port; stopped on exit."""
    api = RecordingApi(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = RecordedRequest(
                method=self.command, path=parts.path, query=parts.query,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=json.loads(raw) if raw else None)
            api.requests.append(request)
            answer = api.answers.get((self.command, parts.path), (200, {}))
            status, body = answer(request) if callable(answer) else answer
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
