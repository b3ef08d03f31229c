"""The Product Data OpenAPI (Trade Item API and Product API, 1.0.0-Preview3) over HTTP with ``requests``.

- **Token**: OAuth2 client credentials at the task's token URL (default ``https://identity.2ba.nl/connect/token``),
  form-encoded with the credentials in the body (``client_secret_post``); a server that answers ``invalid_client``
  to that is asked once more with HTTP Basic (``client_secret_basic``, both are common). The token is cached until
  shortly before ``expires_in`` runs out and fetched again once when a call answers 401 (it expired early or was
  revoked). A refused client is never retried: the run fails naming the token URL and ``invalid_client``.
- **Calls**: ``GET <api>/v1/<resource>`` with ``cursor`` and ``limit``; the filters are the caller's and stay the
  same for every page of a scan. 429 waits for ``Retry-After``; 5xx and connection errors back off exponentially;
  both within ``max_attempts`` (bounded waits). Other 4xx fail at once with the RFC 9457 problem document's
  title, detail and field messages (``errors{field: [messages]}``), naming the request.
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

from pimtasks.clock import Clock
from pimtasks.twoba.errors import TwobaCallError, TwobaCredentialsError, TwobaShapeError

DEFAULT_TOKEN_URL = "https://identity.2ba.nl/connect/token"  # noqa: S105 (a URL, not a password)
DEFAULT_API_URL = "https://rest.2ba.nl/api/v1"
SCOPES = ("read:tradeitems", "read:products")
DEFAULT_TOKEN_SECONDS = 3600.0
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
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = " ".join(scopes)
        self._clock = clock
        self._session = session
        self._timeout = timeout_seconds
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._token: str | None = None
        self._token_valid_until: dt.datetime | None = None
        self._use_basic = False
        self.requests = 0
        """Data requests sent (token requests not included)."""
        self.token_requests = 0

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
                self._token = None  # expired early or revoked: one fresh token, then the call again
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
        if response is not None and response.status_code == 429:
            wait = _retry_after(response, default=wait, now=self._clock.now())
        self._sleep(min(wait, self._retry.max_delay_seconds))
        return attempt

    # --- token ----------------------------------------------------------------------------------
    def _bearer(self) -> str:
        now = self._clock.now()
        if self._token is None or self._token_valid_until is None or now >= self._token_valid_until:
            self._fetch_token(now)
        assert self._token is not None
        return self._token

    def _fetch_token(self, now: dt.datetime) -> None:
        attempt = 0
        while True:
            self.token_requests += 1
            form = {"grant_type": "client_credentials", "scope": self._scopes}
            auth = None
            if self._use_basic:
                auth = (self._client_id, self._client_secret)
            else:
                form.update(client_id=self._client_id, client_secret=self._client_secret)
            try:
                response = self.session.post(self.token_url, data=form, auth=auth, timeout=self._timeout,
                                             headers={"Accept": "application/json"})
            except requests.RequestException as error:
                attempt = self._wait_or_fail(attempt, None, f"the token endpoint {self.token_url} failed: "
                                                            f"{type(error).__name__}", status=0)
                continue
            if response.status_code in RETRIED_STATUSES:
                attempt = self._wait_or_fail(attempt, response, f"the token endpoint {self.token_url} answered "
                                                                f"{response.status_code}", status=response.status_code)
                continue
            body = _maybe_json(response)
            refusal = body.get("error") if isinstance(body, dict) else None
            if response.status_code in (400, 401) and refusal == "invalid_client" and not self._use_basic:
                self._use_basic = True
                continue
            if response.status_code >= 400 or not isinstance(body, dict) or not body.get("access_token"):
                raise TwobaCredentialsError(_token_failure(self.token_url, response, body))
            self._token = str(body["access_token"])
            lifetime = _seconds(body.get("expires_in"))
            margin = min(TOKEN_MARGIN_SECONDS, lifetime / 10)
            self._token_valid_until = now + dt.timedelta(seconds=lifetime - margin)
            return


def _token_failure(url: str, response: requests.Response, body: Any) -> str:
    if isinstance(body, dict) and body.get("error"):
        description = body.get("error_description")
        more = f": {description}" if description else ""
        return (f"the token endpoint {url} refused the client credentials ({body['error']}){more}; check client_id "
                "and the client secret")
    return f"the token endpoint {url} answered {response.status_code} without an access token"


def _seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_SECONDS
    return seconds if seconds > 0 else DEFAULT_TOKEN_SECONDS


def _maybe_json(response: requests.Response) -> Any:
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


def _json(response: requests.Response, described: str) -> Any:
    try:
        return json.loads(response.content)
    except ValueError as error:
        raise TwobaShapeError(f"{described} answered {response.status_code} with a body that is not JSON") from error


def problem_errors(response: requests.Response) -> dict[str, list[str]]:
    """The field messages of an RFC 9457 validation problem (``errors{field: [messages]}``)."""
    body = _maybe_json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {str(name): [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
            for name, messages in errors.items()}


def problem_text(described: str, response: requests.Response) -> str:
    """``<request> answered <status> <title>: <detail> (<field>: <message>; ...)`` from a problem document."""
    body = _maybe_json(response)
    parts = [f"{described} answered {response.status_code}"]
    if isinstance(body, dict):
        title, detail = body.get("title"), body.get("detail")
        if title:
            parts.append(f" {title}")
        if detail and detail != title:
            parts.append(f": {detail}")
    fields = problem_errors(response)
    if fields:
        parts.append(" (" + "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items()) + ")")
    return "".join(parts)


def _date_header(response: requests.Response) -> dt.datetime | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _retry_after(response: requests.Response, *, default: float, now: dt.datetime) -> float:
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max((when - now).total_seconds(), 0.0)
