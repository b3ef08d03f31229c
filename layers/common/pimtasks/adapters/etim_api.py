"""The ETIM API v2 over HTTP (``requests``): OAuth2 client credentials, bounded retries, documented shapes.

- **Token**: ``POST <auth_url>/connect/token`` form-encoded, ``grant_type=client_credentials&scope=EtimApi``,
  the client credentials in the body; a server that answers ``invalid_client`` to that is asked once more
  with HTTP Basic (both are in use). The token is cached until shortly before ``expires_in`` runs out and
  fetched again once when a call answers 401. A refused client is never retried: the run fails with "the
  ETIM API refused the client credentials (invalid_client)".
- **Calls**: ``Accept: application/json`` (answers may still be labelled ``text/plain`` or ``text/json``: the
  body is parsed as JSON whatever the label). 429 waits for ``Retry-After``; 5xx and connection errors back off
  exponentially; both within ``max_attempts``. Other 4xx fail at once, naming the call.
- **Shapes**: see ``etim_wire``; a mismatch fails naming the call and the field.

Implements ``services.etim_ports.EtimSource``; the session and the clock are injectable.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Sequence
from typing import Any

import requests  # type: ignore[import-untyped, unused-ignore]

from pimtasks.adapters import etim_wire as wire
from pimtasks.clock import Clock
from pimtasks.domain.etim import EtimClass, EtimKind
from pimtasks.domain.etim_source import (
    SEARCH_CALLS,
    ClassRef,
    EtimApiError,
    EtimCredentialsError,
    EtimRefusedError,
    EtimUnavailableError,
    SearchFilter,
    SearchPage,
)
from pimtasks.observability import logger

TOKEN_PATH = "/connect/token"  # noqa: S105 (a path, not a password)
API_PATH = "/api/v2"
SCOPE = "EtimApi"
DEFAULT_TOKEN_SECONDS = 3600.0
TOKEN_MARGIN_SECONDS = 60.0
"""A cached token is renewed this long before it expires (at most a tenth of its lifetime)."""


def token_url(auth_url: str) -> str:
    """The token endpoint: ``auth_url`` as given when it already ends in ``/connect/token``."""
    base = auth_url.rstrip("/")
    return base if base.endswith(TOKEN_PATH) else base + TOKEN_PATH


def api_base(api_url: str) -> str:
    base = api_url.rstrip("/")
    return base if base.endswith(API_PATH) else base + API_PATH


class EtimApiClient:
    """One sync's connection to the ETIM API (not thread-safe: one worker drives it)."""

    def __init__(self, *, api_url: str, auth_url: str, client_id: str, client_secret: str, clock: Clock,
                 session: requests.Session | None = None, timeout_seconds: float = 60.0, max_attempts: int = 5,
                 backoff_seconds: float = 1.0, max_wait_seconds: float = 60.0) -> None:
        self._api = api_base(api_url)
        self._token_url = token_url(auth_url)
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._session = session
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_wait = max_wait_seconds
        self._token: str | None = None
        self._token_valid_until: dt.datetime | None = None
        self._use_basic = False
        self.requests = 0

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
        return self._session

    @property
    def requests_made(self) -> int:
        return self.requests

    # --- EtimSource ---------------------------------------------------------------------------------
    def allowed_languages(self) -> list[str]:
        call = "Misc/LanguagesAllowed"
        return [language.code for language in wire.parse_list(wire.WireLanguage, self._call("GET", call), call=call)]

    def releases(self) -> list[str]:
        call = "Misc/Releases"
        return [release.description for release in wire.parse_list(wire.WireRelease, self._call("GET", call),
                                                                     call=call)]

    def search(self, *, kind: EtimKind, release: str, language: str, search_filter: SearchFilter, offset: int,
               size: int) -> SearchPage:
        call = SEARCH_CALLS[kind]
        named = f"{call} ({language}, from {offset}{_filter_note(search_filter)})"
        body = wire.search_body(kind=kind, release=release, language=language, search_filter=search_filter,
                                offset=offset, size=size)
        answer = self._call("POST", call, body, named=named)
        output = wire.parse(wire.SearchOutput, answer, call=named)
        items = getattr(output, kind.plural) or []
        advance = output.pageSize if output.pageSize else len(items)
        total = output.total
        if kind is EtimKind.CLASS:
            return SearchPage(total=total, advance=advance, classes=[wire.listed_class(item) for item in items])
        return SearchPage(total=total, advance=advance,
                          entities=[wire.entity_of(kind, item, language=language) for item in items])

    def class_details(self, *, refs: Sequence[ClassRef], language: str) -> list[EtimClass]:
        call = "Class/DetailsMany"
        named = f"{call} ({language}, {len(refs)} classes from {refs[0].code})" if refs else call
        answer = self._call("POST", call, wire.details_many_body(refs=refs, language=language), named=named)
        return [wire.class_of(item, language=language) for item in wire.parse_list(wire.WireClass, answer,
                                                                                   call=named)]

    # --- HTTP ---------------------------------------------------------------------------------------
    def _call(self, method: str, call: str, body: dict[str, Any] | None = None, *, named: str | None = None) -> bytes:
        """One API call with its retries; returns the answer's body (JSON, whatever its content type says)."""
        named = named or call
        refreshed = False
        last_problem = ""
        attempt = 0
        while attempt < self._max_attempts:
            attempt += 1
            headers = {"Accept": "application/json", "Authorization": f"Bearer {self._access_token()}"}
            try:
                response = self._send(method, f"{self._api}/{call}", headers=headers, json_body=body)
            except requests.RequestException as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
                self._wait(self._backoff_seconds(attempt), attempt=attempt, call=named, reason=last_problem)
                continue
            status = response.status_code
            if status == 401 and not refreshed:
                # Expired or revoked before we thought: one fresh token, and the same call again.
                refreshed = True
                attempt -= 1
                self._token = None
                continue
            if status == 401:
                raise EtimRefusedError(f"the ETIM API refused the access token for {named} (401) even after a fresh "
                                       "token was issued", status=status)
            if status == 429 or status >= 500:
                last_problem = f"{status} {response.reason or ''}".strip()
                wait = _retry_after(response, now=self._clock.now()) if status == 429 else None
                self._wait(wait if wait is not None else self._backoff_seconds(attempt), attempt=attempt,
                           call=named, reason=last_problem)
                continue
            if status >= 400:
                raise EtimRefusedError(f"the ETIM API refused {named}: {status} {_problem_text(response)}",
                                       status=status)
            return bytes(response.content)
        raise EtimUnavailableError(f"the ETIM API call {named} failed {self._max_attempts} times; last: "
                                   f"{last_problem}")

    def _send(self, method: str, url: str, *, headers: dict[str, str], json_body: Any = None,
              form: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> requests.Response:
        self.requests += 1
        return self.session.request(method, url, headers=headers, json=json_body, data=form, auth=auth,
                                    timeout=self._timeout)

    def _wait(self, seconds: float, *, attempt: int, call: str, reason: str) -> None:
        if attempt >= self._max_attempts:
            return
        seconds = min(seconds, self._max_wait)
        logger.info("ETIM API call retried", extra={"call": call, "reason": reason, "attempt": attempt,
                                                    "wait_seconds": round(seconds, 1)})
        self._clock.sleep(seconds)

    def _backoff_seconds(self, attempt: int) -> float:
        return float(min(self._max_wait, self._backoff * 2 ** (attempt - 1)))

    # --- token --------------------------------------------------------------------------------------
    def _access_token(self) -> str:
        now = self._clock.now()
        if self._token is None or self._token_valid_until is None or now >= self._token_valid_until:
            token, lifetime = self._request_token()
            margin = min(TOKEN_MARGIN_SECONDS, lifetime / 10)
            self._token = token
            self._token_valid_until = now + dt.timedelta(seconds=lifetime - margin)
        return self._token

    def _request_token(self) -> tuple[str, float]:
        call = "connect/token"
        last_problem = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._token_request()
                if _error_code(response) == "invalid_client" and not self._use_basic:
                    self._use_basic = True  # the same credentials as HTTP Basic, once
                    response = self._token_request()
            except requests.RequestException as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
                self._wait(self._backoff_seconds(attempt), attempt=attempt, call=call, reason=last_problem)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                last_problem = f"{status} {response.reason or ''}".strip()
                wait = _retry_after(response, now=self._clock.now()) if status == 429 else None
                self._wait(wait if wait is not None else self._backoff_seconds(attempt), attempt=attempt, call=call,
                           reason=last_problem)
                continue
            if status >= 400:
                raise _token_refusal(response)
            token = wire.parse(wire.TokenResponse, response.content, call=call)
            return token.access_token, float(token.expires_in or DEFAULT_TOKEN_SECONDS)
        raise EtimUnavailableError(f"the ETIM token endpoint ({self._token_url}) failed {self._max_attempts} times; "
                                   f"last: {last_problem}")

    def _token_request(self) -> requests.Response:
        form = {"grant_type": "client_credentials", "scope": SCOPE}
        if self._use_basic:
            return self._send("POST", self._token_url, headers={"Accept": "application/json"}, form=form,
                              auth=(self._client_id, self._client_secret))
        form.update(client_id=self._client_id, client_secret=self._client_secret)
        return self._send("POST", self._token_url, headers={"Accept": "application/json"}, form=form)


def _filter_note(search_filter: SearchFilter) -> str:
    described = search_filter.describe()
    return "" if described == "all" else f", {described}"


def _error_code(response: requests.Response) -> str | None:
    """The OAuth2 ``error`` of a token answer (``invalid_client``, ...), if it has one."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return "invalid_client" if response.status_code == 401 else None
    return str(body.get("error")) if isinstance(body, dict) and body.get("error") else (
        "invalid_client" if response.status_code == 401 else None)


def _token_refusal(response: requests.Response) -> EtimApiError:
    code = _error_code(response)
    if code == "invalid_client":
        return EtimCredentialsError("the ETIM API refused the client credentials (invalid_client)")
    detail = _problem_text(response)
    return EtimRefusedError(f"the ETIM API refused the token request ({code or response.status_code}: {detail})",
                            status=response.status_code)


def _problem_text(response: requests.Response) -> str:
    """What a refusal says: ProblemDetails ``title``/``detail``, a ``{field: message}`` map, or the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        if body.get("error"):
            return str(body.get("error_description") or body["error"])
        errors = body.get("errors")
        if isinstance(errors, dict):
            return "; ".join(f"{k}: {v}" for k, v in list(errors.items())[:5])
        if body.get("title") or body.get("detail"):
            return " ".join(str(body[k]) for k in ("title", "detail") if body.get(k))
        return "; ".join(f"{k}: {v}" for k, v in list(body.items())[:5])
    return str(body)[:200]


def _retry_after(response: requests.Response, *, now: dt.datetime) -> float | None:
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
