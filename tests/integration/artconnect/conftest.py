"""Fixtures of the Art-Connect integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.artconnect.harness import ArtConnectTasks, artconnect_tasks


@pytest.fixture
def artconnect(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArtConnectTasks]:
    with artconnect_tasks(monkeypatch) as tasks:
        yield tasks
