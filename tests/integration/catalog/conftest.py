"""Fixtures of the import integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.imports.harness import Imports, import_services


@pytest.fixture
def imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[Imports]:
    with import_services(monkeypatch) as services:
        yield services
