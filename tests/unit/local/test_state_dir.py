"""The local stack's state directory without AWS: which requests count as changes, the request gate that
lets a snapshot happen between requests, the state directory's lock and the start-up line about state."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.request_gate import RequestGate, is_read_only
from pimtasks_local.stack import state_summary
from pimtasks_local.stack_state import StateDirInUseError, StateDirLock


@pytest.mark.parametrize(("environ", "read_only"), [
    ({"REQUEST_METHOD": "GET", "PATH_INFO": "/bucket/key"}, True),
    ({"REQUEST_METHOD": "HEAD"}, True),
    ({"REQUEST_METHOD": "PUT", "PATH_INFO": "/bucket/key"}, False),
    ({"REQUEST_METHOD": "DELETE"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.Query"}, True),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.BatchGetItem"}, True),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDBStreams_20120810.GetRecords"}, True),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage"}, True),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.BatchWriteItem"}, False),
    ({"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AmazonSQS.DeleteMessage"}, False),
    ({"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded"}, False),  # SES, IAM
])
def test_requests_that_can_change_state_are_told_from_reads(environ: dict[str, Any], read_only: bool) -> None:
    assert is_read_only(environ) is read_only


class SlowApp:
    """A WSGI app that holds each request until told to answer."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.entered.set()
        self.release.wait(5)
        return [b"ok"]


def test_a_pause_waits_for_requests_in_flight_and_holds_new_ones() -> None:
    app = SlowApp()
    gate = RequestGate(app)
    write = {"REQUEST_METHOD": "PUT"}
    in_flight = threading.Thread(target=gate, args=(write, None))
    in_flight.start()
    assert app.entered.wait(5)
    events: list[str] = []

    def pause() -> None:
        with gate.paused() as changes:
            events.append(f"paused after {changes} change(s)")
            later = threading.Thread(target=lambda: (gate(write, None), events.append("later answered")))
            later.start()
            time.sleep(0.2)
            events.append("resuming")
        later.join(5)

    pauser = threading.Thread(target=pause)
    pauser.start()
    time.sleep(0.2)
    events.append("first answered")
    app.release.set()
    in_flight.join(5)
    pauser.join(5)

    assert events == ["first answered", "paused after 1 change(s)", "resuming", "later answered"]
    assert gate.changes == 2


POLL = {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage"}
TRANSACTION = {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems"}


def in_thread(gate: RequestGate, environ: dict[str, Any]) -> threading.Thread:
    thread = threading.Thread(target=gate, args=(dict(environ), None))
    thread.start()
    return thread


@pytest.mark.parametrize(("include_polls", "waits"), [(False, False), (True, True)])
def test_a_pause_waits_for_a_long_poll_only_when_asked(include_polls: bool, waits: bool) -> None:
    app = SlowApp()
    gate = RequestGate(app)
    poll = in_thread(gate, POLL)
    assert app.entered.wait(5)
    paused = threading.Event()

    def pause() -> None:
        with gate.paused(include_polls=include_polls):
            paused.set()

    pauser = threading.Thread(target=pause)
    pauser.start()

    assert paused.wait(0.5) is not waits
    app.release.set()
    poll.join(5)
    pauser.join(5)
    assert paused.is_set()


def test_a_transaction_runs_alone() -> None:
    # moto undoes a failed transaction by putting back copies of its tables: a write in between would be lost
    order: list[str] = []
    transaction_entered, release = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if "TransactWriteItems" in environ.get("HTTP_X_AMZ_TARGET", ""):
            transaction_entered.set()
            release.wait(5)
        order.append(environ.get("HTTP_X_AMZ_TARGET", environ["REQUEST_METHOD"]).rsplit(".", 1)[-1])
        return []

    gate = RequestGate(app)
    transaction = in_thread(gate, TRANSACTION)
    assert transaction_entered.wait(5)
    write = in_thread(gate, {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.UpdateItem"})
    time.sleep(0.2)
    release.set()
    transaction.join(5)
    write.join(5)

    assert order == ["TransactWriteItems", "UpdateItem"]
    assert gate.changes == 2


def test_a_big_body_is_read_before_the_request_enters() -> None:
    body = b"x" * (3 * 1024 * 1024)
    seen: list[bytes] = []
    gate = RequestGate(lambda environ, start_response: seen.append(environ["wsgi.input"].read()) or [])

    gate({"REQUEST_METHOD": "PUT", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body + b"more")}, None)

    assert seen == [body]


def test_a_state_directory_serves_one_stack_at_a_time(tmp_path: Path) -> None:
    first = StateDirLock(tmp_path).acquire()

    with pytest.raises(StateDirInUseError, match="in use by another local stack"):
        StateDirLock(tmp_path).acquire()
    first.release()

    StateDirLock(tmp_path).acquire().release()


@pytest.mark.parametrize(("kept", "expected"), [
    ({"directory": "/s/emulator", "restored": True, "saved_at": "2026-12-01T10:00:00Z", "fresh": False},
     "RESTORED from /s/emulator (saved 2026-12-01T10:00:00Z)"),
    ({"directory": "/s/emulator", "restored": False, "saved_at": None, "fresh": True}, "EMPTY (--fresh"),
    ({"directory": "/s/emulator", "restored": False, "saved_at": None, "fresh": False},
     "EMPTY (nothing saved in /s/emulator yet)"),
])
def test_the_start_up_output_says_whether_state_was_restored(kept: dict[str, Any], expected: str) -> None:
    assert expected in state_summary({"emulator_state": kept, "runs_ended_at_start": []})


def test_the_start_up_output_names_runs_ended_because_the_stack_had_stopped() -> None:
    summary = state_summary({"emulator_state": {"restored": True}, "runs_ended_at_start": ["r1", "r2"]})

    assert "2 run(s) active when the stack stopped are now failed" in summary
