"""The Product Data OpenAPI (Trade Item API and Product API, 1.0.0-Preview3) over HTTP with ``requests``.

- **Token**: OAuth2 client credentials at the task's token URL (default ``https://identity.2ba.nl/connect/token``),
  scopes ``read:tradeitems read:products``, by ``adapters.oauth2.ClientCredentialsToken`` (body credentials, then
  HTTP Basic after ``invalid_client``; cached); fetched again once when a call answers 401 (it expired early or
  was revoked). A refused client is never retried: the run fails naming the token URL and ``invalid_client``.
- **Calls**: ``GET <api>/v1/<resource>`` with ``cursor`` and ``limit``; the filters are the caller's and stay the
  same for every page of a scan. 429 and 503 wait for ``Retry-After`` (seconds or an HTTP date; RFC 9110 §10.2.3
  gives it to 503 too: how long the service expects to be unavailable); other 5xx, a 429/503 without it and
  connection errors back off exponentially; all within ``max_attempts`` (bounded waits). Other 4xx fail at once
  with the RFC 9457 problem document's title, detail and field messages (``errors{field: [messages]}``), naming
  the request.
- **Shapes**: ``{data: [...], meta: {cursor, hasNext, ...}}``; unknown fields are ignored, a missing ``data`` list
  or ``meta.hasNext`` fails naming the request.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests  # type: ignore[import-untyped, unused-ignore]

from pimtasks.adapters.oauth2 import (
    RETRY_AFTER_STATUSES,
    ClientCredentialsToken,
    TokenRefused,
    TokenUnavailable,
    problem_errors,
    problem_summary,
    retry_after_seconds,
)
from pimtasks.clock import Clock
from pimtasks.twoba.errors import TwobaCallError, TwobaCredentialsError, TwobaShapeError

DEFAULT_TOKEN_URL = "https://identity.2ba.nl/connect/token"  # noqa: S105 (a URL, not a password)
DEFAULT_API_URL = "https://rest.2ba.nl/api/v1"
SCOPES = ("read:tradeitems", "read:products")
TOKEN_MARGIN_SECONDS = 30.0
"""A cached token is renewed this long before it expires (at most a tenth of its lifetime)."""
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})

Params = Sequence[tuple[str, str]]


def api_base(api_url: str) -> str:
    """The API root ending in ``/v1`` (the only part of the path the spec fixes); ``/v1`` is added when missing."""
    base = api_url.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


@dataclass(frozen=True)
class Page:
    """One page of a bulk scan."""

    rows: list[dict[str, Any]]
    cursor: str | None
    has_next: bool
    server_time: dt.datetime | None
    """The answer's ``Date`` header: the data pool's own clock, for the next delta's watermark."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0

    def delay(self, attempt: int) -> float:
        return float(min(self.base_delay_seconds * 2 ** attempt, self.max_delay_seconds))


class TwobaClient:
    """One run's connection to a Product Data OpenAPI implementer (not thread-safe: one worker drives it)."""

    def __init__(self, *, api_url: str, token_url: str, client_id: str, client_secret: str, clock: Clock,
                 scopes: Sequence[str] = SCOPES, session: requests.Session | None = None,
                 timeout_seconds: float = 60.0, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._api = api_base(api_url)
        self.token_url = token_url
        self._clock = clock
        self._session = session
        self._timeout = timeout_seconds
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._token = ClientCredentialsToken(
            token_url=token_url, client_id=client_id, client_secret=client_secret, scope=" ".join(scopes),
            clock=clock, session=lambda: self.session, timeout_seconds=timeout_seconds,
            max_attempts=self._retry.max_attempts, backoff=lambda attempt: self._retry.delay(attempt - 1),
            sleep=sleep, margin_seconds=TOKEN_MARGIN_SECONDS, max_wait_seconds=self._retry.max_delay_seconds)
        self.requests = 0
        """Data requests sent (token requests not included)."""

    @property
    def token_requests(self) -> int:
        return self._token.requests

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
        return self._session

    # --- pages ----------------------------------------------------------------------------------
    def page(self, resource: str, *, params: Params, cursor: str | None, limit: int) -> Page:
        """One page of ``resource`` (``trade-items/bulk/details``...) with the scan's fixed ``params``."""
        query = [*params, ("limit", str(limit))] + ([("cursor", cursor)] if cursor else [])
        described = f"GET /v1/{resource}?{urlencode(list(params))}"
        response = self._get(f"{self._api}/{resource}", query=query, described=described)
        body = _json(response, described)
        data = body.get("data") if isinstance(body, dict) else None
        meta = body.get("meta") if isinstance(body, dict) else None
        if not isinstance(data, list) or not isinstance(meta, dict) or not isinstance(meta.get("hasNext"), bool):
            raise TwobaShapeError(f"{described} answered without the documented data list and meta.hasNext")
        rows = [row for row in data if isinstance(row, dict)]
        next_cursor = meta.get("cursor")
        has_next = bool(meta["hasNext"])
        if has_next and not isinstance(next_cursor, str):
            raise TwobaShapeError(f"{described} answered meta.hasNext true without a meta.cursor")
        return Page(rows=rows, cursor=next_cursor if has_next else None, has_next=has_next,
                    server_time=_date_header(response))

    def document(self, resource: str, *, params: Params = ()) -> dict[str, Any]:
        """The ``data`` object of one single resource (``products/{gln}/{number}/details``...; the caller encodes
        the path segments)."""
        described = f"GET /v1/{resource}" + (f"?{urlencode(list(params))}" if params else "")
        body = _json(self._get(f"{self._api}/{resource}", query=params, described=described), described)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise TwobaShapeError(f"{described} answered without the documented data object")
        return data

    def _get(self, url: str, *, query: Params, described: str) -> requests.Response:
        refreshed = False
        attempt = 0
        while True:
            headers = {"Authorization": f"Bearer {self._bearer()}", "Accept": "application/json"}
            self.requests += 1
            try:
                response = self.session.get(url, params=list(query), headers=headers, timeout=self._timeout)
            except requests.RequestException as error:
                attempt = self._wait_or_fail(attempt, None, f"{described} failed: {type(error).__name__}", status=0)
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                self._token.invalidate()  # expired early or revoked: one fresh token, then the call again
                continue
            if status in RETRIED_STATUSES:
                attempt = self._wait_or_fail(attempt, response, problem_text(described, response), status=status)
                continue
            if status >= 400:
                raise TwobaCallError(problem_text(described, response), status=status,
                                     errors=problem_errors(response))
            return response

    def _wait_or_fail(self, attempt: int, response: requests.Response | None, text: str, *, status: int) -> int:
        attempt += 1
        if attempt >= self._retry.max_attempts:
            raise TwobaCallError(f"{text} (still failing after {attempt} attempts)", status=status,
                                 errors=problem_errors(response) if response is not None else None)
        wait = self._retry.delay(attempt - 1)
        if response is not None and response.status_code in RETRY_AFTER_STATUSES:
            after = retry_after_seconds(response, now=self._clock.now())
            wait = wait if after is None else after
        self._sleep(min(wait, self._retry.max_delay_seconds))
        return attempt

    # --- token ----------------------------------------------------------------------------------
    def _bearer(self) -> str:
        try:
            return self._token.bearer()
        except TokenRefused as refused:
            text = f"{refused}; check client_id and the client secret" if refused.code else str(refused)
            raise TwobaCredentialsError(text) from refused
        except TokenUnavailable as failing:
            raise TwobaCallError(str(failing), status=0) from failing


def _json(response: requests.Response, described: str) -> Any:
    try:
        return json.loads(response.content)
    except ValueError as error:
        raise TwobaShapeError(f"{described} answered {response.status_code} with a body that is not JSON") from error


def problem_text(described: str, response: requests.Response) -> str:
    """``<request> answered <status> <title>: <detail> (<field>: <message>; ...)`` from a problem document."""
    summary = problem_summary(response)
    return f"{described} answered {response.status_code}" + (f" {summary}" if summary else "")


def _date_header(response: requests.Response) -> dt.datetime | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
