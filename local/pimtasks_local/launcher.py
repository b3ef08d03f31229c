"""The local stack as a child process on free ports: for the end-to-end tests and the benchmarks.

``launched_stack(state_dir)`` starts ``python -m pimtasks_local`` with its own state directory, waits for
``stack.json`` and ``/health``, yields a ``LaunchedStack``, and stops it with SIGINT at the end (unless the
caller ``kill()``-ed it first, as a crash would). Launching again with the same state directory restarts
the stack over what it kept; every launch appends to ``<state_dir>/stack.log`` and ``output()`` is its part.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pimtasks_local.http_client import ApiClient

START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15


class LaunchError(RuntimeError):
    """The stack did not come up (the message carries the tail of its log) or did not stop cleanly."""


@dataclass
class LaunchedStack:
    process: subprocess.Popen[bytes]
    state: dict[str, Any]
    state_dir: Path
    log_path: Path
    log_offset: int = 0

    def output(self) -> str:
        """What this launch of the stack has logged and printed so far."""
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as a crash or ``kill -9`` would: nothing is saved or cleaned up on the way out."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def stop(self) -> int:
        """SIGINT, then wait; returns the exit code (``LaunchError`` when it had to be killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired as exc:
                self.process.kill()
                self.process.wait()
                raise LaunchError(f"the local stack did not stop within {STOP_TIMEOUT_SECONDS} s of SIGINT") from exc
        return int(self.process.returncode)


def _log_tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-4000:]


def _wait_for_state(process: subprocess.Popen[bytes], state_file: Path, log_path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LaunchError(f"the local stack exited with {process.returncode} during start-up:\n"
                              f"{_log_tail(log_path)}")
        try:
            state: dict[str, Any] = json.loads(state_file.read_text())
        except (OSError, ValueError):
            state = {}  # not written yet (it is written atomically)
        if state.get("pid") == process.pid:  # not the file a killed stack left behind
            return state
        time.sleep(0.2)
    raise LaunchError(f"no {state_file} after {START_TIMEOUT_SECONDS} s:\n{_log_tail(log_path)}")


def _wait_for_health(api_url: str, deadline: float) -> None:
    client = ApiClient(api_url, timeout=5)
    while time.monotonic() < deadline:
        try:
            if client.get("/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise LaunchError(f"{api_url}/health did not answer 200 in time")


@contextmanager
def launched_stack(state_dir: Path, *, arguments: tuple[str, ...] = (),
                   environment: dict[str, str] | None = None) -> Iterator[LaunchedStack]:
    """A running local stack on free ports (its log in ``<state_dir>/stack.log``)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "stack.log"
    child_environment = {key: value for key, value in os.environ.items()
                         if not key.startswith(("AWS_ENDPOINT_URL", "PIMTASKS_"))}
    child_environment.update(environment or {})
    started = time.monotonic()
    with log_path.open("ab") as log:
        log_offset = log.tell()
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "pimtasks_local", "--emulator-port", "0", "--api-port", "0", "--ftps-port", "0",
             "--state-dir", str(state_dir), *arguments],
            stdout=log, stderr=subprocess.STDOUT, env=child_environment,
        )
    launched = LaunchedStack(process=process, state={}, state_dir=state_dir, log_path=log_path, log_offset=log_offset)
    try:
        launched.state = _wait_for_state(process, state_dir / "stack.json", log_path)
        _wait_for_health(launched.state["api_url"], started + START_TIMEOUT_SECONDS)
        yield launched
    finally:
        launched.stop()
