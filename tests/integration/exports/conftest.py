"""Fixtures of the export integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.exports.harness import ExportStack, export_stack


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[ExportStack]:
    with export_stack(monkeypatch) as exports:
        yield exports
