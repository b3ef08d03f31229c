"""Fixtures of the Import ETIM integration tests."""

from collections.abc import Iterator

import pytest

from tests.integration.etim.harness import Etim, etim_services


@pytest.fixture
def etim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Etim]:
    with etim_services(monkeypatch) as services:
        yield services
