"""Fixtures of the core integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.core.harness import Core, core_services


@pytest.fixture
def core(monkeypatch: pytest.MonkeyPatch) -> Iterator[Core]:
    with core_services(monkeypatch) as services:
        yield services
