"""A small WebDriver BiDi client for Debian's Firefox ESR, so the console is tested in Firefox too.

Playwright's Firefox is a patched build of its own that cannot be downloaded here, and there is no geckodriver;
but Firefox (128 and later) speaks WebDriver BiDi (https://w3c.github.io/webdriver-bidi/) itself when started
with ``--remote-debugging-port``. This module starts one headless Firefox on a free port with a throw-away
profile, opens a BiDi session over the websocket at ``/session`` and offers the few commands the smoke tests
need: open a tab, navigate, run a function in the page (awaiting its promise) and poll a condition until it holds.
Everything a test does in the page goes through the page's own DOM, as a user's input would.

The process runs in a process group of its own (Firefox starts content processes), which ``close`` ends
together with the profile directory, whatever happened before.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import websocket

START_TIMEOUT_S = 30.0
COMMAND_TIMEOUT_S = 30.0
LISTENING = "WebDriver BiDi listening on "


class BiDiError(AssertionError):
    """A command Firefox answered with an error, a page condition that never held, or a Firefox that never started."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _python_value(remote: dict[str, Any]) -> Any:
    """A BiDi remote value (https://w3c.github.io/webdriver-bidi/#type-script-RemoteValue) as plain Python.

    Primitives, arrays and plain objects; anything else (nodes, functions) as its type name, since the tests
    return the text and attributes they check rather than the elements."""
    kind, value = remote["type"], remote.get("value")
    if kind in ("string", "boolean"):
        return value
    if kind == "number":
        return value if isinstance(value, int | float) else float(str(value))  # "NaN", "Infinity", "-0"
    if kind in ("null", "undefined"):
        return None
    if kind == "array":
        return [_python_value(item) for item in value or []]
    if kind == "object":
        return {key: _python_value(item) for key, item in value or []}
    return kind


def _local_value(value: str | int | float | bool | None) -> dict[str, Any]:
    """A Python argument as a BiDi local value (primitives only: that is all the tests pass)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        return {"type": "number", "value": value}
    return {"type": "string", "value": value}


class Firefox:
    """One headless Firefox and its BiDi session; a context manager that always ends the process and profile."""

    def __init__(self, executable: Path, *, start_timeout: float = START_TIMEOUT_S) -> None:
        self.executable = executable
        self.start_timeout = start_timeout
        self.errors: dict[str, list[str]] = {}  # per browsing context: errors the page's scripts raised
        self._ids = itertools.count(1)
        self._home = Path(tempfile.mkdtemp(prefix="pimtasks-firefox-"))
        self._log = self._home / "firefox.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: websocket.WebSocket | None = None

    def __enter__(self) -> Firefox:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _start(self) -> None:
        profile = self._home / "profile"
        profile.mkdir()
        port = _free_port()
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [str(self.executable), "--headless", f"--remote-debugging-port={port}", "--profile", str(profile),
                 "--no-remote"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "TZ": "Europe/Amsterdam", "LANG": "en_GB.UTF-8", "MOZ_CRASHREPORTER_DISABLE": "1"})
        # The agent prints this line once it accepts connections: connecting earlier can hang the handshake.
        self._poll(lambda: LISTENING in self.log_tail(characters=100_000) or self._exited(), self.start_timeout,
                   lambda: f"Firefox to listen for WebDriver BiDi: {self.log_tail()}")
        if self._exited():
            raise BiDiError(f"Firefox ended at start: {self.log_tail()}")
        # No Origin header: the remote agent refuses websocket requests from an origin it was not told to allow.
        self._socket = websocket.create_connection(f"ws://127.0.0.1:{port}/session", timeout=COMMAND_TIMEOUT_S,
                                                   suppress_origin=True)
        self.command("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": False}}})
        self.command("session.subscribe", {"events": ["log.entryAdded"]})

    def _exited(self) -> bool:
        return self._process is not None and self._process.poll() is not None

    def log_tail(self, characters: int = 2000) -> str:
        """The end of Firefox's own output, for messages when it fails."""
        return self._log.read_text(errors="replace")[-characters:] if self._log.exists() else ""

    def close(self) -> None:
        """End the session, the process group and the profile; safe to call twice and after any failure."""
        if self._socket is not None:
            with contextlib.suppress(Exception):  # Firefox may be gone already; it is ended below either way
                self.command("session.end", {})
            self._socket.close()
            self._socket = None
        if self._process is not None:
            self._signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._process.wait(timeout=10)
            self._signal(signal.SIGKILL)  # content processes left behind by the main one
            self._process = None
        shutil.rmtree(self._home, ignore_errors=True)

    def _signal(self, number: int) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, number)

    def command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are recorded (page errors)."""
        if self._socket is None:
            raise BiDiError(f"{method}: no session")
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("type") == "event":
                self._record(message)
            elif message.get("id") == number:
                if message["type"] == "error":
                    raise BiDiError(f"{method}: {message['error']}: {message.get('message', '')}")
                return dict(message["result"])

    def _record(self, event: dict[str, Any]) -> None:
        entry = event.get("params", {})
        if event.get("method") == "log.entryAdded" and entry.get("type") == "javascript":
            context = entry.get("source", {}).get("context", "")
            self.errors.setdefault(context, []).append(str(entry.get("text")))

    def new_tab(self) -> str:
        """A new tab (its own sessionStorage, like the Chromium suite's fresh page); returns its context id."""
        return str(self.command("browsingContext.create", {"type": "tab"})["context"])

    def close_tab(self, context: str) -> None:
        self.command("browsingContext.close", {"context": context})

    def navigate(self, context: str, url: str) -> None:
        self.command("browsingContext.navigate", {"context": context, "url": url, "wait": "complete"})

    def call(self, context: str, function: str, *arguments: str | int | float | bool | None) -> Any:
        """Run ``function`` (JavaScript source of a function) in the page with ``arguments``; await its promise.

        A script error fails with the page's message."""
        answer = self.command("script.callFunction", {
            "functionDeclaration": function, "target": {"context": context}, "awaitPromise": True,
            "arguments": [_local_value(argument) for argument in arguments], "userActivation": True})
        if answer["type"] == "exception":
            details = answer["exceptionDetails"]
            raise BiDiError(f"the page raised: {details.get('text')}")
        return _python_value(answer["result"])

    def wait_for(self, context: str, function: str, *arguments: str | int | float | bool | None,
                 what: str, timeout: float = COMMAND_TIMEOUT_S) -> Any:
        """Call ``function`` until it returns something truthy and return that; fail naming ``what`` and the last
        value after ``timeout`` seconds. The page renders asynchronously: this is how a test waits for it."""
        last: list[Any] = [None]

        def holds() -> bool:
            last[0] = self.call(context, function, *arguments)
            return bool(last[0])

        self._poll(holds, timeout, lambda: f"{what} (last: {last[0]!r})")
        return last[0]

    @staticmethod
    def _poll(condition: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise BiDiError(f"timed out after {timeout:.0f} s waiting for {describe()}")
            time.sleep(0.05)
