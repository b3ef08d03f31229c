"""The local stack as a subprocess, for end-to-end tests over real HTTP (and FTPS).

``local_stack`` (session-scoped) starts ``python -m pimtasks_local`` on free ports with its own state
directory, waits for ``stack.json`` and ``/health``, and stops it with SIGINT at the end (it must exit
within 15 s). Its log is ``<state dir>/stack.log``; a failed start shows the tail of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pimtasks_local.launcher import LaunchError, launched_stack

from tests.e2e.local_stack import LocalStack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state_dir = tmp_path_factory.mktemp("local-stack")
    try:
        with launched_stack(state_dir) as launched:
            yield LocalStack.of(launched, state_dir)
    except LaunchError as error:
        pytest.fail(str(error))
    assert launched.process.returncode == 0, f"the local stack exited with {launched.process.returncode}"
    assert not (state_dir / "stack.json").exists(), "stack.json must be removed on a clean stop"
    # whatever the tests made, the emulator's state could be saved all along (it is kept across restarts)
    assert "state could not be saved" not in launched.output(), launched.output()[-4000:]
