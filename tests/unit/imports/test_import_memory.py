"""What an import keeps in memory: its caches stop growing whatever the input, and are emptied when done.

A warm Lambda keeps its process between runs, so a cache that grows with the input or outlives its table
is memory the next run starts with (``benchmarks/bench_import_memory.py`` measures the resident set).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from pathlib import Path

import pimtasks
from pimtasks.domain.task_types import ImportSettings, ImportTarget
from pimtasks.imports import read_import
from pimtasks.imports.column_batch import MEMO_SIZE
from pimtasks.imports.rows import CellValue, MappedRecord

from tests.unit.imports.corpus import write_zip
from tests.unit.imports.test_column_batch import ListTable, bind

HEADER = ("supplier_gln", "customer_group", "article_number", "net_price", "valid_from", "quantity_lower_limit")


def distinct_lines(start: int, count: int) -> list[list[CellValue]]:
    """Condition lines whose article numbers, prices and brackets are all different (nothing repeats)."""
    return [["8712345000004", f"GROUP{n % 50}", f"ART-{n}", round(10 + n * 0.01, 2), "2027-01-01", n]
            for n in range(start, start + count)]


def test_column_memos_stop_growing_however_many_distinct_cells_a_table_has() -> None:
    # Given a table of sales conditions in which nearly every cell differs from every other
    mapper = bind(ImportTarget.SALES_CONDITIONS, HEADER)
    memos = mapper.column_batch

    # When batch after batch is mapped, well past the memo size
    remembered = []
    for start in range(0, 8 * MEMO_SIZE, 2048):
        outcomes = mapper.map_rows(list(ListTable(HEADER, distinct_lines(start, 2048)).rows()))
        assert all(isinstance(outcome, MappedRecord) for outcome, _ in outcomes)
        remembered.append(memos.remembered())

    # Then the memos filled up once and then stayed that size
    assert remembered[0] > 0
    assert remembered[-1] == remembered[len(remembered) // 2] <= 16 * MEMO_SIZE


def test_forgotten_memos_hold_nothing_and_the_same_rows_map_to_the_same_records() -> None:
    mapper = bind(ImportTarget.SALES_CONDITIONS, HEADER)
    rows = list(ListTable(HEADER, distinct_lines(0, 500) + distinct_lines(0, 20)).rows())
    before = mapper.map_rows(rows)

    mapper.column_batch.forget()

    assert mapper.column_batch.remembered() == 0
    assert mapper.map_rows(rows) == before


def test_a_zip_keeps_only_the_memos_of_the_table_being_read(tmp_path: Path) -> None:
    # Given a ZIP of three CSVs (all bound to their mappers when the file is opened)
    members = {f"{name}.csv": b"article_number;gross_price\r\n" + b"".join(
        f"{name}-{n};{n},50\r\n".encode() for n in range(1200)) for name in ("a", "b", "c")}
    archive = write_zip(tmp_path / "products.zip", members)
    settings = ImportSettings(import_name="zip", target=ImportTarget.PRODUCTS)

    with read_import(archive, file_name="products.zip", settings=settings) as reader:
        seen = []
        for batch in reader.batches(batch_size=500):
            remembered = [mapper.column_batch.remembered() for mapper in reader.mappers]
            seen.append(batch.table)
            # Then while a table is read, the others hold nothing (done, or not started)
            assert remembered[batch.table] > 0
            assert all(count == 0 for index, count in enumerate(remembered) if index != batch.table)
        # and once the file is read, no table holds anything
        assert [mapper.column_batch.remembered() for mapper in reader.mappers] == [0, 0, 0]
    assert sorted(set(seen)) == [0, 1, 2]


def test_every_cache_that_lives_as_long_as_the_process_has_a_bound() -> None:
    unbounded = []
    for module_info in pkgutil.walk_packages(pimtasks.__path__, "pimtasks."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, functools._lru_cache_wrapper) and value.__module__ == module.__name__:
                maxsize = value.cache_parameters()["maxsize"]
                if maxsize is None or maxsize > MEMO_SIZE:
                    unbounded.append(f"{module.__name__}.{name} (maxsize {maxsize})")
    assert unbounded == []
