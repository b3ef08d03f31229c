"""The 2BA client against the local Product Data OpenAPI server: token, paging, problems, retries."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable, Iterator

import pytest
from pimtasks.clock import SystemClock
from pimtasks.domain.task_types import Import2baSettings
from pimtasks.twoba.client import RetryPolicy, TwobaClient
from pimtasks.twoba.errors import TwobaCallError, TwobaCredentialsError
from pydantic import ValidationError

from tests.support.twoba_server import TwobaServer

GLN = "8712345000004"


@pytest.fixture
def server() -> Iterator[TwobaServer]:
    with TwobaServer() as running:
        running.rows["trade-items/bulk/details"] = [
            {"supplierIdGln": GLN, "supplierItemNumber": f"A/{n} x", "unknownField": 1} for n in range(25)]
        yield running


def client(server: TwobaServer, secret: str = "secret",
           sleep: Callable[[float], None] = lambda seconds: None) -> TwobaClient:
    return TwobaClient(api_url=server.url, token_url=f"{server.url}/connect/token", client_id="client",
                       client_secret=secret, clock=SystemClock(), sleep=sleep, retry=RetryPolicy(max_attempts=3))


def scan(api: TwobaClient, limit: int) -> list[str]:
    numbers: list[str] = []
    cursor: str | None = None
    while True:
        page = api.page("trade-items/bulk/details", params=[("supplierIdGln", GLN)], cursor=cursor, limit=limit)
        numbers += [row["supplierItemNumber"] for row in page.rows]
        if not page.has_next:
            return numbers
        cursor = page.cursor


def test_cursor_paging_reads_every_row_once(server: TwobaServer) -> None:
    api = client(server)
    assert scan(api, 10) == [f"A/{n} x" for n in range(25)]
    assert api.requests == 3
    assert api.token_requests == 1


def test_429_and_503_are_retried(server: TwobaServer) -> None:
    server.inject.extend([429, 503])
    assert len(scan(client(server), 1000)) == 25


@pytest.mark.parametrize("retry_after", ["7", "date"])
def test_a_503_waits_for_its_retry_after(server: TwobaServer, retry_after: str) -> None:
    """RFC 9110 §10.2.3: a 503's ``Retry-After`` (seconds or an HTTP date) says how long the service is down."""
    waits: list[float] = []
    server.inject.append(503)
    server.retry_after = (email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=9), usegmt=True)
                          if retry_after == "date" else retry_after)
    assert len(scan(client(server, sleep=waits.append), 1000)) == 25
    assert len(waits) == 1
    assert 6 <= waits[0] <= 9  # the server's word, not the 0.5 s first backoff


def test_failing_past_the_retries_names_the_request(server: TwobaServer) -> None:
    server.inject.extend([503] * 5)
    with pytest.raises(TwobaCallError, match=r"GET /v1/trade-items/bulk/details\?supplierIdGln=8712345000004 "
                                             r"answered 503.*still failing after 3 attempts"):
        scan(client(server), 1000)


def test_a_400_names_the_field_messages(server: TwobaServer) -> None:
    with pytest.raises(TwobaCallError, match="limit: The field limit must be between 1 and 1000") as failure:
        scan(client(server), 5000)
    assert failure.value.status == 400


def test_wrong_credentials_name_the_token_url_and_invalid_client(server: TwobaServer) -> None:
    with pytest.raises(TwobaCredentialsError, match=rf"{server.url}/connect/token refused .*invalid_client"):
        scan(client(server, secret="wrong"), 10)


def test_a_basic_only_server_gets_the_secret_form_urlencoded(server: TwobaServer) -> None:
    """RFC 6749 §2.3.1: id and secret are form-urlencoded in the Basic header; the server decodes them."""
    server.basic_only = True
    server.client_secret = "s3cr/t+x y%:z"
    api = client(server, secret="s3cr/t+x y%:z")
    assert len(scan(api, 1000)) == 25
    assert api.token_requests == 2  # the body first (invalid_client), then Basic


def test_an_expired_token_is_fetched_again(server: TwobaServer) -> None:
    api = client(server)
    assert len(scan(api, 10)) == 25
    server.expire_tokens()
    assert len(scan(api, 10)) == 25
    assert api.token_requests == 2


def test_a_gln_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(ValidationError, match="wrong check digit"):
        Import2baSettings(client_id="c", client_secret="twoba", supplier_glns=["8712345000005"])
