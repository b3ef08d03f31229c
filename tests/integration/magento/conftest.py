"""Fixtures of the Magento integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.magento.harness import MagentoTasks, magento_tasks


@pytest.fixture
def magento(monkeypatch: pytest.MonkeyPatch) -> Iterator[MagentoTasks]:
    with magento_tasks(monkeypatch) as tasks:
        yield tasks
