"""The web console's static files (``console/``) on the local API's port, as CloudFront serves them in AWS.

``/`` is ``index.html``; any other GET or HEAD that no API route takes is looked up under the console directory
(``/assets/app.js`` -> ``console/assets/app.js``). Nothing outside that directory is ever served, dot files
neither, and every answer carries the headers CloudFront's response headers policy adds (``infra/template.yaml``):
a content security policy that lets the page talk to its own origin and, for presigned uploads, to the S3
endpoint only.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

from werkzeug.wrappers import Request, Response

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console"
"""The console's web root in this repository (the same files ``aws s3 sync`` uploads)."""

_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
          ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json", ".txt": "text/plain",
          ".ico": "image/x-icon", ".webmanifest": "application/manifest+json"}


def security_headers(*, upload_origins: str) -> dict[str, str]:
    """The headers every console file is served with (``upload_origins``: where presigned PUTs may go)."""
    policy = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              f"connect-src 'self' {upload_origins}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
              "object-src 'none'")
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        # No hashed file names (no build step): browsers revalidate, a deploy is seen at once.
        "Cache-Control": "no-cache",
    }


class ConsoleFiles:
    """Answers GET/HEAD requests for the console's files; ``None`` for anything else."""

    def __init__(self, root: Path = CONSOLE_DIR, *, upload_origins: str = "http://127.0.0.1:* http://localhost:*"
                 ) -> None:
        self._root = root.resolve()
        self._headers = security_headers(upload_origins=upload_origins)

    @property
    def available(self) -> bool:
        return (self._root / "index.html").is_file()

    def response(self, request: Request) -> Response | None:
        """The file ``request`` asks for, or ``None`` when it is no console file (the caller answers 404)."""
        if request.method not in ("GET", "HEAD"):
            return None
        path = self._file(request.path)
        if path is None:
            return None
        data = path.read_bytes()
        mimetype = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = Response(b"" if request.method == "HEAD" else data, status=200, mimetype=mimetype,
                            headers=self._headers)
        response.content_length = len(data)
        return response

    def _file(self, url_path: str) -> Path | None:
        relative = PurePosixPath(url_path.lstrip("/") or "index.html")
        if any(part.startswith(".") or part in ("", "..") for part in relative.parts) or "\\" in url_path:
            return None
        candidate = (self._root / relative).resolve()
        if not candidate.is_relative_to(self._root) or not candidate.is_file():
            return None
        return candidate
