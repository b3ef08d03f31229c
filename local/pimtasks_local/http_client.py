"""A small JSON-over-HTTP client (stdlib only) for the CLI, the seed and the e2e tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_message(self) -> str:
        """The API's error message (``message`` or ``detail``), else the raw body."""
        if isinstance(self.body, dict):
            for key in ("message", "detail", "error"):
                if self.body.get(key):
                    detail = self.body[key]
                    return detail if isinstance(detail, str) else json.dumps(detail)
        return self.body if isinstance(self.body, str) else json.dumps(self.body)


class ApiClient:
    """Calls ``base_url`` with an ``x-api-key`` (when given), sending and reading JSON."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None, *, api_key: str | None = None,
                headers: dict[str, str] | None = None) -> ApiResponse:
        """``method path`` with ``body`` as JSON; never raises for an HTTP status."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method.upper())  # noqa: S310
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        key = api_key if api_key is not None else self.api_key
        if key:
            request.add_header("x-api-key", key)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310 - URL is ours
                return ApiResponse(reply.status, _decode(reply.read()), dict(reply.headers.items()))
        except urllib.error.HTTPError as error:
            return ApiResponse(error.code, _decode(error.read()), dict(error.headers.items()))

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, body, **kwargs)


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
