"""The local stack as a subprocess, for end-to-end tests over real HTTP (and FTPS).

``local_stack`` (session-scoped) starts ``python -m pimtasks_local`` on free ports with its own state
directory, waits for ``stack.json`` and ``/health``, and stops it with SIGINT at the end (it must exit
within 15 s). Its log is ``<state dir>/stack.log``; a failed start shows the tail of it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.http_client import ApiClient

from tests.e2e.local_stack import LocalStack

START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


def _wait_for_state(process: subprocess.Popen[bytes], state_file: Path, log_path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the local stack exited with {process.returncode} during start-up:\n"
                        f"{log_path.read_text(errors='replace')[-4000:]}")
        if state_file.exists():
            try:
                return json.loads(state_file.read_text())  # type: ignore[no-any-return]
            except ValueError:
                pass  # written atomically, but be safe
        time.sleep(0.2)
    pytest.fail(f"no {state_file} after {START_TIMEOUT_SECONDS} s:\n{log_path.read_text(errors='replace')[-4000:]}")


def _wait_for_health(api_url: str, deadline: float) -> None:
    client = ApiClient(api_url, timeout=5)
    while time.monotonic() < deadline:
        try:
            if client.get("/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{api_url}/health did not answer 200 in time")


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state_dir = tmp_path_factory.mktemp("local-stack")
    log_path = state_dir / "stack.log"
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("AWS_ENDPOINT_URL", "PIMTASKS_"))}
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pimtasks_local", "--emulator-port", "0", "--api-port", "0", "--ftps-port", "0",
             "--state-dir", str(state_dir)],
            stdout=log, stderr=subprocess.STDOUT, env=environment,
        )
    try:
        state = _wait_for_state(process, state_dir / "stack.json", log_path)
        _wait_for_health(state["api_url"], started + START_TIMEOUT_SECONDS)
        yield LocalStack(api_url=state["api_url"], admin_key=state["admin_api_key"],
                         emulator_url=state["emulator_url"], ftps_port=state.get("ftps_port"), state=state,
                         state_dir=state_dir, log_path=log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                pytest.fail(f"the local stack did not stop within {STOP_TIMEOUT_SECONDS} s of SIGINT")
    assert process.returncode == 0, f"the local stack exited with {process.returncode}"
    assert not (state_dir / "stack.json").exists(), "stack.json must be removed on a clean stop"
