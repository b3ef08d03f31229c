"""The shared OAuth2 client-credentials token source and error texts (``adapters.oauth2``), with a fake session."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import requests
from pimtasks.adapters.oauth2 import (
    ClientCredentialsToken,
    TokenRefused,
    TokenUnavailable,
    problem_summary,
    retry_after_seconds,
)

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def answer(status: int, body: Any = None, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers.update(headers)
    return response


class Clock:
    def __init__(self) -> None:
        self.current = NOW

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


class Session:
    """Answers token posts from a script; records how each one sent the credentials."""

    def __init__(self, *answers: requests.Response) -> None:
        self.answers = list(answers)
        self.sent: list[str] = []

    def post(self, url: str, *, data: dict[str, str], auth: Any, **kwargs: Any) -> requests.Response:
        self.sent.append("basic" if auth else "body")
        return self.answers.pop(0)


def source(session: Session, clock: Clock, slept: list[float]) -> ClientCredentialsToken:
    return ClientCredentialsToken(token_url="https://id.example/connect/token", client_id="c", client_secret="s",
                                  scope="read:tradeitems", clock=clock, session=lambda: session,  # type: ignore[arg-type, return-value]
                                  timeout_seconds=5, max_attempts=3, backoff=lambda attempt: 2.0 ** attempt,
                                  sleep=slept.append, margin_seconds=30)


def test_invalid_client_in_the_body_is_asked_again_with_basic_and_the_token_is_cached() -> None:
    session = Session(answer(400, {"error": "invalid_client"}), answer(200, {"access_token": "t1", "expires_in": 600}),
                      answer(200, {"access_token": "t2", "expires_in": 600}))
    clock, slept = Clock(), []
    token = source(session, clock, slept)
    assert token.bearer() == "t1" and token.bearer() == "t1"
    clock.current += dt.timedelta(seconds=600 - 30)  # inside the margin
    assert token.bearer() == "t2"
    assert session.sent == ["body", "basic", "basic"] and token.requests == 3


def test_a_refusal_is_final_and_names_url_and_code() -> None:
    session = Session(answer(400, {"error": "invalid_client"}),
                      answer(400, {"error": "invalid_client", "error_description": "unknown client"}))
    with pytest.raises(TokenRefused, match=r"https://id.example/connect/token refused the client credentials "
                                           r"\(invalid_client\): unknown client") as refused:
        source(session, Clock(), []).bearer()
    assert refused.value.code == "invalid_client" and refused.value.status == 400


def test_429_waits_for_retry_after_and_5xx_backs_off_within_the_budget() -> None:
    slept: list[float] = []
    session = Session(answer(429, {}, **{"Retry-After": "7"}), answer(503), answer(503))
    with pytest.raises(TokenUnavailable, match="failed 3 times; last: 503"):
        source(session, Clock(), slept).bearer()
    assert slept == [7.0, 4.0]  # no wait after the last attempt


def test_retry_after_as_an_http_date_and_problem_texts() -> None:
    assert retry_after_seconds(answer(429, **{"Retry-After": "Wed, 02 Dec 2026 12:00:30 GMT"}), now=NOW) == 30.0
    assert retry_after_seconds(answer(429), now=NOW) is None
    problem = {"title": "Bad Request", "status": 400, "detail": "One or more validation errors occurred",
               "errors": {"limit": ["The field limit must be between 1 and 1000."]}}
    assert problem_summary(answer(400, problem)) == ("Bad Request: One or more validation errors occurred "
                                                     "(limit: The field limit must be between 1 and 1000.)")
    assert problem_summary(answer(400, {"error": "invalid_scope"})) == "invalid_scope"
    assert problem_summary(answer(400, {"Language": "unknown"})) == "Language: unknown"
