"""Fixtures for the import reading tests: the committed corpus directory and code-built corpus items."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.imports.bombs import write_sheet_bomb
from tests.unit.imports.corpus import FIXTURES, write_formatted_empty_rows_xlsx


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures/import``."""
    return FIXTURES


@pytest.fixture(scope="session")
def formatted_empty_rows_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session (about 2 s): a sheet formatted down to row 1,048,576."""
    return write_formatted_empty_rows_xlsx(tmp_path_factory.mktemp("corpus") / "formatted_empty_rows.xlsx")


@pytest.fixture(scope="session")
def sheet_bomb_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reported bomb, built once per session (under a second): about 8 MB of XLSX, 1.9 GB of sheet XML."""
    return write_sheet_bomb(tmp_path_factory.mktemp("bombs") / "bomb.xlsx")
