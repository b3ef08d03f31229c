"""The ETIM API v2 over HTTP (``requests``): OAuth2 client credentials, bounded retries, documented shapes.

- **Token**: ``POST <auth_url>/connect/token``, ``scope=EtimApi``, by ``adapters.oauth2.ClientCredentialsToken``
  (body credentials, then HTTP Basic after ``invalid_client``; cached until shortly before ``expires_in``);
  fetched again once when a call answers 401. A refused client is never retried: the run fails with "the
  ETIM API refused the client credentials (invalid_client)".
- **Calls**: ``Accept: application/json`` (answers may still be labelled ``text/plain`` or ``text/json``: the
  body is parsed as JSON whatever the label). 429 and 503 wait for ``Retry-After``; other 5xx, either without it and
  connection errors back off exponentially; all within ``max_attempts``. Other 4xx fail at once, naming the call.
- **Shapes**: see ``etim_wire``; a mismatch fails naming the call and the field.

Implements ``services.etim_ports.EtimSource``; the session and the clock are injectable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests  # type: ignore[import-untyped, unused-ignore]

from pimtasks.adapters import etim_wire as wire
from pimtasks.adapters.oauth2 import (
    RETRY_AFTER_STATUSES,
    ClientCredentialsToken,
    TokenRefused,
    TokenUnavailable,
    problem_summary,
    retry_after_seconds,
)
from pimtasks.clock import Clock
from pimtasks.domain.etim import EtimClass, EtimKind
from pimtasks.domain.etim_source import (
    SEARCH_CALLS,
    ClassRef,
    EtimApiError,
    EtimCredentialsError,
    EtimRefusedError,
    EtimShapeError,
    EtimUnavailableError,
    SearchFilter,
    SearchPage,
)
from pimtasks.observability import logger

TOKEN_PATH = "/connect/token"  # noqa: S105 (a path, not a password)
API_PATH = "/api/v2"
SCOPE = "EtimApi"
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
        self._clock = clock
        self._session = session
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_wait = max_wait_seconds
        self._token = ClientCredentialsToken(
            token_url=token_url(auth_url), client_id=client_id, client_secret=client_secret, scope=SCOPE,
            clock=clock, session=lambda: self.session, timeout_seconds=timeout_seconds, max_attempts=max_attempts,
            backoff=self._backoff_seconds, sleep=clock.sleep, margin_seconds=TOKEN_MARGIN_SECONDS,
            max_wait_seconds=max_wait_seconds)
        self._data_requests = 0

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
        return self._session

    @property
    def requests_made(self) -> int:
        """Requests sent, token requests included."""
        return self._data_requests + self._token.requests

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
                self._token.invalidate()
                continue
            if status == 401:
                raise EtimRefusedError(f"the ETIM API refused the access token for {named} (401) even after a fresh "
                                       "token was issued", status=status)
            if status == 429 or status >= 500:
                last_problem = f"{status} {response.reason or ''}".strip()
                wait = retry_after_seconds(response, now=self._clock.now()) if status in RETRY_AFTER_STATUSES else None
                self._wait(wait if wait is not None else self._backoff_seconds(attempt), attempt=attempt,
                           call=named, reason=last_problem)
                continue
            if status >= 400:
                raise EtimRefusedError(f"the ETIM API refused {named}: {status} {problem_summary(response)}",
                                       status=status)
            return bytes(response.content)
        raise EtimUnavailableError(f"the ETIM API call {named} failed {self._max_attempts} times; last: "
                                   f"{last_problem}")

    def _send(self, method: str, url: str, *, headers: dict[str, str], json_body: Any = None,
              form: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> requests.Response:
        self._data_requests += 1
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
        try:
            return self._token.bearer()
        except TokenRefused as refused:
            raise _token_refusal(refused) from refused
        except TokenUnavailable as failing:
            raise EtimUnavailableError(f"the ETIM token endpoint ({failing.url}) failed {self._max_attempts} "
                                       f"times; last: {str(failing).partition('; last: ')[2]}") from failing


def _filter_note(search_filter: SearchFilter) -> str:
    described = search_filter.describe()
    return "" if described == "all" else f", {described}"


def _token_refusal(refused: TokenRefused) -> EtimApiError:
    if refused.code == "invalid_client":
        return EtimCredentialsError("the ETIM API refused the client credentials (invalid_client)")
    if refused.code is None and refused.status < 400:
        return EtimShapeError(f"the answer to connect/token does not match the documented shape: {refused}")
    detail = refused.description or refused.code or ""
    return EtimRefusedError(f"the ETIM API refused the token request ({refused.code or refused.status}: {detail})",
                            status=refused.status)
