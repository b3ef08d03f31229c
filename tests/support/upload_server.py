"""An HTTP upload endpoint on 127.0.0.1 (a free port) for Export Artikelbeheer.nl delivery tests: it takes a
multipart/form-data POST with HTTP basic auth, answers 401 (with ``WWW-Authenticate``) for other credentials, can
answer 503 to its first ``failures`` uploads, and keeps every upload it accepted (its form fields and files)."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Upload:
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]]
    """Field -> (file name, content)."""


@dataclass
class UploadServer:
    port: int
    username: str
    password: str
    failures: int = 0
    """503 replies still to give before uploads are taken."""
    uploads: list[Upload] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    """The status of every refused request, in order."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/upload"


def parse_multipart(content_type: str, body: bytes) -> Upload:
    """A multipart/form-data body, parsed by the standard library's MIME parser."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        file_name = part.get_filename()
        if file_name is not None:
            files[str(name)] = (file_name, payload)
        else:
            fields[str(name)] = payload.decode("utf-8")
    return Upload(fields=fields, files=files)


@contextlib.contextmanager
def upload_server(*, username: str = "supplier", password: str = "s3cret",
                  failures: int = 0) -> Iterator[UploadServer]:
    state = UploadServer(port=0, username=username, password=password, failures=failures)
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/upload":
                return self._reply(404, "no such upload endpoint")
            if self.headers.get("Authorization") != expected:
                return self._reply(401, "Invalid username or password", authenticate=True)
            content_type = self.headers.get("Content-Type") or ""
            if not content_type.startswith("multipart/form-data"):
                return self._reply(415, "multipart/form-data expected")
            with lock:
                if state.failures > 0:
                    state.failures -= 1
                    return self._reply(503, "Service temporarily unavailable, try again later")
                state.uploads.append(parse_multipart(content_type, body))
            self._reply(201, "Received")

        def _reply(self, status: int, text: str, *, authenticate: bool = False) -> None:
            if status >= 400:
                state.refused.append(status)
            data = text.encode()
            self.send_response(status)
            if authenticate:
                self.send_header("WWW-Authenticate", 'Basic realm="upload"')
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
