"""What the HTTP clients of outside JSON APIs share (ETIM API, the 2BA Product Data OpenAPI): an OAuth2
client-credentials token source, ``Retry-After``, and the text of an error answer.

**The token** (RFC 6749 §4.4): ``POST <token_url>`` form-encoded, ``grant_type=client_credentials`` and the scope,
the credentials in the body (``client_secret_post``); a server that answers ``invalid_client`` to that is asked
once more with HTTP Basic (``client_secret_basic``: both are in use, and which one a server takes is not
announced; as RFC 6749 §2.3.1 says, the id and secret are form-urlencoded before they go into the Basic header,
so a secret with ``+``, ``/``, ``%`` or ``:`` reaches a server that decodes them, IdentityServer among them,
intact). The token is cached until shortly before ``expires_in`` runs out (``margin_seconds``, at most a tenth
of its lifetime); ``invalidate()`` after a 401 makes the next ``bearer()`` fetch a fresh one. 429 (waiting for
``Retry-After``), 5xx and connection errors are retried within the caller's budget; any other refusal is
final (``TokenRefused``: the caller words it for its run report).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote_plus

import requests  # type: ignore[import-untyped, unused-ignore]

from pimtasks.clock import Clock

DEFAULT_TOKEN_SECONDS = 3600.0


class TokenError(Exception):
    """No token could be had; ``url`` is the token endpoint."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class TokenRefused(TokenError):
    """The token endpoint refused: ``code`` is the OAuth2 ``error`` (``invalid_client``, ...) when it gave one."""

    def __init__(self, message: str, *, url: str, status: int, code: str | None, description: str | None) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.code = code
        self.description = description


class TokenUnavailable(TokenError):
    """The token endpoint kept failing (429, 5xx, no connection) through every attempt."""


class ClientCredentialsToken:
    """A cached OAuth2 client-credentials token for one client at one token endpoint (not thread-safe)."""

    def __init__(self, *, token_url: str, client_id: str, client_secret: str, scope: str, clock: Clock,
                 session: Callable[[], requests.Session], timeout_seconds: float, max_attempts: int,
                 backoff: Callable[[int], float], sleep: Callable[[float], None], margin_seconds: float,
                 max_wait_seconds: float = 60.0) -> None:
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._clock = clock
        self._session = session
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._sleep = sleep
        self._margin = margin_seconds
        self._max_wait = max_wait_seconds
        self._token: str | None = None
        self._valid_until: dt.datetime | None = None
        self._use_basic = False
        self.requests = 0
        """Token requests sent."""

    def bearer(self) -> str:
        """A token that is valid now (fetched when none is cached or the cached one is about to expire)."""
        now = self._clock.now()
        if self._token is None or self._valid_until is None or now >= self._valid_until:
            token, lifetime = self._fetch()
            self._token = token
            self._valid_until = now + dt.timedelta(seconds=lifetime - min(self._margin, lifetime / 10))
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token (a call answered 401: it expired early or was revoked)."""
        self._token = None

    def _fetch(self) -> tuple[str, float]:
        last = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._post()
                if error_code(response) == "invalid_client" and not self._use_basic:
                    self._use_basic = True  # the same credentials as HTTP Basic, once
                    response = self._post()
            except requests.RequestException as error:
                last = f"{type(error).__name__}: {error}"
                self._wait(self._backoff(attempt), attempt)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                last = f"{status} {response.reason or ''}".strip()
                wait = retry_after_seconds(response, now=self._clock.now()) if status == 429 else None
                self._wait(self._backoff(attempt) if wait is None else wait, attempt)
                continue
            body = maybe_json(response)
            if status >= 400 or not isinstance(body, dict) or not body.get("access_token"):
                raise _refusal(self.token_url, response, body)
            return str(body["access_token"]), _lifetime(body.get("expires_in"))
        raise TokenUnavailable(f"the token endpoint {self.token_url} failed {self._max_attempts} times; last: {last}",
                               url=self.token_url)

    def _post(self) -> requests.Response:
        self.requests += 1
        form = {"grant_type": "client_credentials", "scope": self._scope}
        auth = None
        if self._use_basic:
            auth = (_form_encoded(self._client_id), _form_encoded(self._client_secret))
        else:
            form.update(client_id=self._client_id, client_secret=self._client_secret)
        return self._session().post(self.token_url, data=form, auth=auth, timeout=self._timeout,
                                    headers={"Accept": "application/json"})

    def _wait(self, seconds: float, attempt: int) -> None:
        if attempt < self._max_attempts:
            self._sleep(min(seconds, self._max_wait))


def _refusal(url: str, response: requests.Response, body: Any) -> TokenRefused:
    code = error_code(response)
    description = body.get("error_description") if isinstance(body, dict) else None
    if code:
        more = f": {description}" if description else ""
        text = f"the token endpoint {url} refused the client credentials ({code}){more}"
    else:
        text = f"the token endpoint {url} answered {response.status_code} without an access token"
    return TokenRefused(text, url=url, status=response.status_code, code=code,
                        description=str(description) if description else None)


def _form_encoded(value: str) -> str:
    """``application/x-www-form-urlencoded`` (RFC 6749 Appendix B): what §2.3.1 puts into the Basic header."""
    return quote_plus(value, safe="")


def _lifetime(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_SECONDS
    return seconds if seconds > 0 else DEFAULT_TOKEN_SECONDS


def error_code(response: requests.Response) -> str | None:
    """The OAuth2 ``error`` of a refused token request (a bare 401 counts as ``invalid_client``)."""
    if response.status_code < 400:
        return None
    body = maybe_json(response)
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return "invalid_client" if response.status_code == 401 else None


def maybe_json(response: requests.Response) -> Any:
    """The body as JSON, None when it is not JSON (whatever its content type says)."""
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


class HasHeaders(Protocol):
    """An HTTP answer of any client library (``requests``, ``urllib3``)."""

    @property
    def headers(self) -> Any: ...


RETRY_AFTER_STATUSES = frozenset({429, 503})
"""Answers whose ``Retry-After`` says when to try again (RFC 6585 §4; RFC 9110 §10.2.3 gives it to 503 too: how
long the service expects to be unavailable)."""


def retry_after_seconds(response: HasHeaders, *, now: dt.datetime) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def problem_errors(response: requests.Response) -> dict[str, list[str]]:
    """The field messages of an error answer: RFC 9457 ``errors{field: [messages]}`` or ``{field: message}``."""
    body = maybe_json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    return {str(name): [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
            for name, messages in errors.items()}


def problem_summary(response: requests.Response) -> str:
    """What an error answer says: ``<title>: <detail> (<field>: <messages>; ...)`` of a problem document, the
    OAuth2 ``error_description``/``error``, a bare ``{field: message}`` map, or the start of its text."""
    body = maybe_json(response)
    if not isinstance(body, dict):
        return response.text[:200] if body is None else str(body)[:200]
    if body.get("error") and not isinstance(body["error"], dict | list):
        return str(body.get("error_description") or body["error"])
    title, detail = body.get("title"), body.get("detail")
    parts = [str(title)] if title else []
    if detail and detail != title:
        parts.append(str(detail))
    fields = problem_errors(response)
    if not parts and not fields:
        return "; ".join(f"{k}: {v}" for k, v in list(body.items())[:5])
    text = ": ".join(parts)
    if fields:
        listed = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in list(fields.items())[:10])
        text = f"{text} ({listed})" if text else listed
    return text
