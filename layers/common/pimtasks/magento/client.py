"""The HTTP adapter of Magento's admin REST API (the only module of the push that talks HTTP).

- Log-in: an integration access token as Bearer, the same token signed with OAuth 1.0a, or an admin user's
  token from ``POST /rest/V1/integration/admin/token`` (a bare JSON string, valid 4 hours: fetched again
  before that, and once more after a 401).
- Bounded backoff: 429 waits for ``Retry-After`` (or backs off), 502/503/504 and connection errors back off
  exponentially, a 500 is tried twice; then the call fails with ``MagentoUnavailableError``.
- Errors: a 401 is ``MagentoAuthError`` naming what was refused and the base URL; any other refusal is
  ``MagentoRequestError`` with Magento's message and its ``%placeholders`` filled in; an answer that is not a
  Magento REST answer (HTML, no JSON) is ``NotMagentoError``.
- Thread-safe: the push sends several requests at once (one urllib3 pool, kept alive).
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import urllib3

from pimtasks.magento.errors import (
    MagentoAuthError,
    MagentoRequestError,
    MagentoUnavailableError,
    NotMagentoError,
    magento_message,
)
from pimtasks.magento.oauth1 import OAuth1Credentials, authorization_header

ADMIN_TOKEN_SECONDS = 4 * 3600
"""Magento's default admin token lifetime (``oauth/access_token_lifetime/admin``)."""
ADMIN_TOKEN_MARGIN_SECONDS = 15 * 60
_RETRIED_STATUSES = (502, 503, 504)
_MAX_RETRY_AFTER_SECONDS = 60.0


class Authenticator(Protocol):
    description: str
    """What is sent, for messages: "the integration access token in secret 'shop-token'"."""

    def headers(self, method: str, url: str) -> dict[str, str]: ...

    def refresh(self) -> bool:
        """After a 401: True when there are new credentials worth one more try."""
        ...


class BearerToken:
    """An integration access token (or any token) sent as ``Authorization: Bearer``."""

    def __init__(self, token: str, *, description: str) -> None:
        self._token = token
        self.description = description

    def headers(self, method: str, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        return False


class OAuth1Signer:
    """Every request signed with OAuth 1.0a (integrations when Bearer use is off in the shop)."""

    def __init__(self, credentials: OAuth1Credentials, *, description: str) -> None:
        self._credentials = credentials
        self.description = description

    def headers(self, method: str, url: str) -> dict[str, str]:
        return {"Authorization": authorization_header(method, url, self._credentials)}

    def refresh(self) -> bool:
        return False


class AdminToken:
    """An admin user's token, fetched on first use and again before its 4 hours run out (or after a 401)."""

    def __init__(self, *, username: str, password: str, description: str,
                 monotonic: Callable[[], float] = time.monotonic,
                 lifetime_seconds: float = ADMIN_TOKEN_SECONDS - ADMIN_TOKEN_MARGIN_SECONDS) -> None:
        self.description = description
        self._username = username
        self._password = password
        self._monotonic = monotonic
        self._lifetime = lifetime_seconds
        self._token: str | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()
        self.fetch: Callable[[str, str], str] | None = None  # set by the client that uses it

    def headers(self, method: str, url: str) -> dict[str, str]:
        with self._lock:
            if self._token is None or self._monotonic() - self._fetched_at >= self._lifetime:
                self._renew()
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        with self._lock:
            self._renew()
        return True

    def _renew(self) -> None:
        if self.fetch is None:
            raise RuntimeError("the admin token needs a client to fetch it")
        self._token = self.fetch(self._username, self._password)
        self._fetched_at = self._monotonic()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    """Tries of a request that keeps failing with 502/503/504 or a connection error."""
    throttled_attempts: int = 8
    """Tries of a request that keeps getting 429."""
    server_error_attempts: int = 2
    """Tries of a request that keeps failing with 500."""
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 20.0

    def delay(self, attempt: int) -> float:
        return min(self.base_delay_seconds * (2 ** attempt), self.max_delay_seconds)


@dataclass(frozen=True)
class BulkAck:
    """Magento's answer to a bulk request: the uuid, and per request item ``(accepted, error message)``."""

    bulk_uuid: str
    items: list[tuple[bool, str | None]]


@dataclass(frozen=True)
class OperationStatus:
    """One operation of a bulk: 1 complete, 2 failed (retriable), 3 failed, 4 open, 5 rejected."""

    id: int
    status: int
    result_message: Any = None
    error_code: Any = None
    serialized_data: str | None = None


@dataclass(frozen=True)
class BulkStatus:
    operations: list[OperationStatus]
    operation_count: int | None = None


@dataclass
class MagentoClient:
    """Calls to one shop, ``<base_url>/rest[/<store code>]/<path>``."""

    base_url: str
    auth: Authenticator
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: tuple[float, float] = (10.0, 120.0)
    sleep: Callable[[float], None] = time.sleep
    pool_size: int = 16
    requests_made: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._pool = urllib3.PoolManager(maxsize=self.pool_size, block=False, retries=False)
        self._count_lock = threading.Lock()
        if isinstance(self.auth, AdminToken):
            self.auth.fetch = self._fetch_admin_token

    # --- the endpoints --------------------------------------------------------------------------
    def store_views(self) -> list[Mapping[str, Any]]:
        """``GET /V1/store/storeViews``: every store view with its ``code`` (also the first sign of life).

        Every Magento 2 admin REST API has this route, so a 404 (even a JSON one such as Magento's own "Request
        does not match any route." for a base URL with a path too many, like ``…/rest/V1``) says the base URL
        is not the shop's REST root."""
        try:
            views = self.call("GET", "/V1/store/storeViews", kind="probe")
        except MagentoRequestError as error:
            if error.status != 404:
                raise
            raise NotMagentoError(f"{self.base_url} does not answer as a Magento REST API: GET "
                                  f"{self.url('/V1/store/storeViews')} gave HTTP 404 ({error.message}); "
                                  f"check base_url") from error
        if not isinstance(views, list):
            raise NotMagentoError(f"{self.base_url} does not answer as a Magento REST API: GET "
                                  f"{self.url('/V1/store/storeViews')} gave no list of store views")
        return [view for view in views if isinstance(view, Mapping)]

    def attribute_options(self, attribute_code: str) -> list[Mapping[str, Any]]:
        """``GET /V1/products/attributes/{code}/options`` (an unknown attribute is a ``MagentoRequestError``)."""
        options = self.call("GET", f"/V1/products/attributes/{quote(attribute_code, safe='')}/options",
                            store="all", kind="probe")
        if not isinstance(options, list):
            raise MagentoRequestError(status=200, message=f"no option list for attribute {attribute_code}")
        return [option for option in options if isinstance(option, Mapping)]

    def bulk(self, *, method: str, store: str, route: str, items: Sequence[Mapping[str, Any]]) -> BulkAck:
        """An async bulk request (a bare JSON array) to ``/rest/<store>/async/bulk/V1/<route>``."""
        answer = self.call(method, f"/async/bulk/V1/{route}", store=store, body=list(items), kind="bulk")
        if not isinstance(answer, Mapping) or not isinstance(answer.get("bulk_uuid"), str):
            raise NotMagentoError(f"{self.base_url} answered a bulk request without a bulk_uuid: {str(answer)[:200]}")
        acknowledged: list[tuple[bool, str | None]] = []
        by_id = {item.get("id"): item for item in answer.get("request_items") or [] if isinstance(item, Mapping)}
        for index in range(len(items)):
            item = by_id.get(index)
            if item is None:  # no word on this item: queued like the rest (the docs: "always accepted")
                acknowledged.append((True, None))
            elif str(item.get("status", "accepted")).lower() == "rejected":
                acknowledged.append((False, magento_message(item.get("error_message"))
                                     or str(item.get("error_message") or "rejected")))
            else:
                acknowledged.append((True, None))
        return BulkAck(bulk_uuid=answer["bulk_uuid"], items=acknowledged)

    def bulk_status(self, bulk_uuid: str, *, detailed: bool = False) -> BulkStatus:
        """``GET /V1/bulk/{uuid}/status`` (or ``detailed-status``, which adds each operation's data)."""
        path = f"/V1/bulk/{quote(bulk_uuid, safe='')}/{'detailed-status' if detailed else 'status'}"
        answer = self.call("GET", path, kind="status")
        if not isinstance(answer, Mapping) or not isinstance(answer.get("operations_list"), list):
            raise NotMagentoError(f"{self.base_url} answered GET {path} without an operations_list")
        operations = [OperationStatus(id=int(op.get("id") or 0), status=int(op.get("status") or 0),
                                      result_message=op.get("result_message"), error_code=op.get("error_code"),
                                      serialized_data=op.get("serialized_data"))
                      for op in answer["operations_list"] if isinstance(op, Mapping)]
        count = answer.get("operation_count")
        return BulkStatus(operations=operations, operation_count=count if isinstance(count, int) else None)

    def save_product(self, *, method: str, store: str, sku: str, body: Mapping[str, Any]) -> Any:
        """``POST /V1/products`` or ``PUT /V1/products/{sku}`` in one store scope."""
        path = "/V1/products" if method == "POST" else f"/V1/products/{quote(sku, safe='')}"
        return self.call(method, path, store=store, body=body, kind="product")

    def delete_product(self, *, store: str, sku: str) -> Any:
        return self.call("DELETE", f"/V1/products/{quote(sku, safe='')}", store=store, kind="product")

    # --- one call -------------------------------------------------------------------------------
    def url(self, path: str, *, store: str | None = None) -> str:
        return f"{self.base_url}/rest{'/' + store if store else ''}{path}"

    def call(self, method: str, path: str, *, store: str | None = None, body: Any = None, kind: str = "other",
             authenticated: bool = True) -> Any:
        """One request with retries; the parsed JSON answer."""
        url = self.url(path, store=store)
        data = None if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        refreshed = False
        attempt = throttled = server_errors = 0
        while True:
            headers = {"Accept": "application/json"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            if authenticated:
                headers.update(self.auth.headers(method, url))
            with self._count_lock:
                self.requests_made[kind] += 1
            try:
                response = self._pool.request(method, url, body=data, headers=headers, redirect=False,
                                              timeout=urllib3.Timeout(connect=self.timeout_seconds[0],
                                                                      read=self.timeout_seconds[1]))
            except urllib3.exceptions.HTTPError as exc:
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise MagentoUnavailableError(f"cannot reach {self.base_url}: {type(exc).__name__}: "
                                                  f"{exc}") from exc
                self.sleep(self.retry.delay(attempt - 1))
                continue
            status = response.status
            if status == 401 and authenticated:
                if not refreshed and self.auth.refresh():
                    refreshed = True
                    continue
                raise self._auth_error(response)
            if status == 429:
                throttled += 1
                if throttled >= self.retry.throttled_attempts:
                    raise MagentoUnavailableError(f"{self.base_url} kept answering 429 Too Many Requests "
                                                  f"({throttled} tries of {method} {url})")
                self.sleep(_retry_after(response) or self.retry.delay(throttled - 1))
                continue
            if status in _RETRIED_STATUSES or (status == 500 and server_errors + 1 < self.retry.server_error_attempts):
                if status == 500:
                    server_errors += 1
                else:
                    attempt += 1
                    if attempt >= self.retry.attempts:
                        raise MagentoUnavailableError(f"{self.base_url} kept answering {status} to {method} {url}")
                self.sleep(_retry_after(response) or self.retry.delay(max(attempt, server_errors) - 1))
                continue
            return self._answer(response, method=method, url=url)

    def _answer(self, response: urllib3.BaseHTTPResponse, *, method: str, url: str) -> Any:
        status = response.status
        parsed = _json(response)
        if 200 <= status < 300:
            if parsed is _NOT_JSON:
                raise NotMagentoError(self._not_magento(response, method=method, url=url))
            return parsed
        message = magento_message(parsed) if parsed is not _NOT_JSON else None
        if message is None:
            if status >= 500:
                raise MagentoUnavailableError(f"{self.base_url} answered {status} to {method} {url}")
            raise NotMagentoError(self._not_magento(response, method=method, url=url))
        raise MagentoRequestError(status=status, message=message)

    def _not_magento(self, response: urllib3.BaseHTTPResponse, *, method: str, url: str) -> str:
        content_type = response.headers.get("Content-Type", "no content type").split(";")[0]
        return (f"{self.base_url} does not answer as a Magento REST API: {method} {url} gave HTTP "
                f"{response.status} ({content_type}) without a Magento JSON answer; check base_url")

    def _auth_error(self, response: urllib3.BaseHTTPResponse) -> MagentoAuthError:
        # Magento answers a wrong or revoked token and a token whose integration lacks the ACL resource alike:
        # 401 "The consumer isn't authorized to access %resources."
        detail = magento_message(_json(response)) or (response.reason or "Unauthorized")
        hint = ""
        if isinstance(self.auth, BearerToken):  # the likeliest cause when the token itself is right
            hint = ("; since Magento 2.4.4 an integration token is taken as Bearer only with "
                    "oauth/consumer/enable_integration_as_bearer on, else set oauth1")
        return MagentoAuthError(f"Magento at {self.base_url} refused {self.auth.description}: {detail} (HTTP 401: "
                                f"the credentials are wrong or revoked, or may not use this resource{hint})")

    def _fetch_admin_token(self, username: str, password: str) -> str:
        try:
            token = self.call("POST", "/V1/integration/admin/token", body={"username": username, "password": password},
                              kind="token", authenticated=False)
        except MagentoRequestError as exc:
            raise MagentoAuthError(f"Magento at {self.base_url} refused {self.auth.description}: {exc.message} "
                                   f"(HTTP {exc.status})") from exc
        if not isinstance(token, str) or not token:
            raise NotMagentoError(f"{self.base_url} answered the admin token request without a token")
        return token



_NOT_JSON = object()


def _json(response: urllib3.BaseHTTPResponse) -> Any:
    """The parsed JSON body, or ``_NOT_JSON``."""
    try:
        return json.loads(response.data)
    except ValueError:
        return _NOT_JSON


def _retry_after(response: urllib3.BaseHTTPResponse) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), at most a minute; None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, _MAX_RETRY_AFTER_SECONDS))
