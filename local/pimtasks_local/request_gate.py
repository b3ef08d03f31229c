"""The gate every request to the emulator passes: WSGI middleware in front of moto.

- It counts the requests that may change moto's state (``changes``): a snapshot is only due after one.
- ``paused()`` holds new requests back and waits for those in flight, so a snapshot of moto's objects
  never holds half a request (an item without its stream record, an object without its upload event).
  SQS long polls only wait for messages; a forked snapshot (``include_polls=False``) does not wait for them.
- A DynamoDB ``TransactWriteItems`` runs alone: moto makes a transaction atomic by copying the tables it
  writes and putting the copies back when it fails, which would undo any write another request made to
  them meanwhile (a run claimed by its worker came back queued).
- A request body of more than ``BUFFER_BODIES_OVER`` bytes is read before the request enters, so a big
  upload's transfer does not count as in flight (a snapshot would wait for it).
"""

from __future__ import annotations

import contextlib
import enum
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

BUFFER_BODIES_OVER = 1024 * 1024
_BODY_IN_MEMORY = 8 * 1024 * 1024
_READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet")
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_POLLS = frozenset({"ReceiveMessage"})
_TRANSACTIONS = frozenset({"TransactWriteItems"})


class RequestKind(enum.Enum):
    READ = "read"
    CHANGE = "change"
    POLL = "poll"
    """Waits for SQS messages (up to its WaitTimeSeconds); what it changes (visibility, receive count) only
    makes a message come back sooner after a restore, so it counts as a read."""
    TRANSACTION = "transaction"


def request_kind(environ: dict[str, Any]) -> RequestKind:
    """What a request to moto is, from its method and JSON-protocol action (``X-Amz-Target``).

    Query-protocol calls (SES, IAM) carry their action in the body; they count as changes.
    """
    if environ.get("REQUEST_METHOD", "GET").upper() in _READ_ONLY_METHODS:
        return RequestKind.READ
    action = str(environ.get("HTTP_X_AMZ_TARGET", "")).rsplit(".", 1)[-1]
    if action in _POLLS:
        return RequestKind.POLL
    if action in _TRANSACTIONS:
        return RequestKind.TRANSACTION
    if action and action.startswith(_READ_ONLY_PREFIXES):
        return RequestKind.READ
    return RequestKind.CHANGE


def is_read_only(environ: dict[str, Any]) -> bool:
    """True for a request that cannot change moto's state worth keeping."""
    return request_kind(environ) in (RequestKind.READ, RequestKind.POLL)


class RequestGate:
    """See the module docstring. ``app`` is moto's WSGI application."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self._app = app
        self._condition = threading.Condition()
        self._in_flight = 0
        self._polls = 0
        self._held = False
        self._polls_held = False
        self._changes = 0

    @property
    def changes(self) -> int:
        """How many requests that may change the state have been let through."""
        return self._changes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        kind = request_kind(environ)
        _buffer_big_body(environ)
        if kind is RequestKind.TRANSACTION:
            with self.paused(include_polls=False):
                with self._condition:
                    self._changes += 1
                return self._app(environ, start_response)
        poll = kind is RequestKind.POLL
        with self._condition:
            while self._held and (self._polls_held or not poll):
                self._condition.wait()
            if poll:
                self._polls += 1
            else:
                self._in_flight += 1
            self._changes += kind is RequestKind.CHANGE
        try:
            return self._app(environ, start_response)
        finally:
            with self._condition:
                if poll:
                    self._polls -= 1
                else:
                    self._in_flight -= 1
                self._condition.notify_all()

    @contextlib.contextmanager
    def paused(self, *, include_polls: bool = True) -> Iterator[int]:
        """Hold new requests and wait for those in flight (SQS long polls too, with ``include_polls``);
        yields the change count then: the state is exactly that of the requests counted."""
        with self._condition:
            while self._held:
                self._condition.wait()
            self._held, self._polls_held = True, include_polls
            while self._in_flight or (include_polls and self._polls):
                self._condition.wait()
            changes = self._changes
        try:
            yield changes
        finally:
            with self._condition:
                self._held = self._polls_held = False
                self._condition.notify_all()


def _buffer_big_body(environ: dict[str, Any]) -> None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length <= BUFFER_BODIES_OVER:
        return
    body = tempfile.SpooledTemporaryFile(max_size=_BODY_IN_MEMORY)  # noqa: SIM115 (the request owns it)
    shutil.copyfileobj(_Limited(environ["wsgi.input"], length), body, 1024 * 1024)
    body.seek(0)
    environ["wsgi.input"] = body


class _Limited:
    """At most ``length`` bytes of ``stream`` (a socket's file would block waiting for more)."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size < 0 else min(size, self._left)
        chunk: bytes = self._stream.read(size)
        self._left -= len(chunk)
        return chunk
