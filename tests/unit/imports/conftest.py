"""Fixtures for the import reading tests: the committed corpus directory and code-built corpus items."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.imports.corpus import FIXTURES, write_formatted_empty_rows_xlsx


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures/import``."""
    return FIXTURES


@pytest.fixture(scope="session")
def formatted_empty_rows_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session (about 2 s): a sheet formatted down to row 1,048,576."""
    return write_formatted_empty_rows_xlsx(tmp_path_factory.mktemp("corpus") / "formatted_empty_rows.xlsx")
