"""Fixtures of the Import 2BA integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.twoba.harness import TwobaTasks, twoba_tasks


@pytest.fixture
def twoba(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwobaTasks]:
    with twoba_tasks(monkeypatch) as tasks:
        yield tasks
