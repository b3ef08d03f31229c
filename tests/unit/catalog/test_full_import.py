"""The full import's sweep over an in-memory change feed: what the file did not hold goes, nothing else."""

from __future__ import annotations

import datetime as dt

from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.full_import import REMOVAL_BATCH, remove_absent

from tests.unit.catalog.memory_catalog import ENV, PRODUCTS, T0, MemoryCatalog

SWEEP = T0 + dt.timedelta(hours=2)


def seeded(count: int) -> MemoryCatalog:
    catalog = MemoryCatalog()
    for n in range(count):
        catalog.put(PRODUCTS, f"P{n:04d}", {"article_number": f"P{n:04d}"}, at=T0 + dt.timedelta(seconds=n))
    return catalog


def live(catalog: MemoryCatalog) -> list[str]:
    return sorted(c.record_id for c in catalog.records[(ENV, PRODUCTS)].values() if not c.deleted)


def test_the_records_the_file_does_not_hold_are_removed_in_batches() -> None:
    # Given 250 products of which the file held the even ones
    catalog = seeded(250)
    batches: list[int] = []

    removed = remove_absent(catalog=catalog, environment=ENV, target=PRODUCTS,
                            holds=lambda key: int(key[0][1:]) % 2 == 0, started_at=SWEEP, run_id="run-1",
                            removed=batches.append)

    # Then the odd ones are tombstones, counted batch by batch
    assert removed == 125 and sum(batches) == 125 and max(batches) <= REMOVAL_BATCH and len(batches) == 2
    assert live(catalog) == [f"P{n:04d}" for n in range(0, 250, 2)]


def test_records_changed_after_the_sweep_began_and_other_kinds_are_left_alone() -> None:
    # Given a product written after the sweep's start, and a sales condition
    catalog = seeded(3)
    catalog.put(PRODUCTS, "LATE", {"article_number": "LATE"}, at=SWEEP + dt.timedelta(seconds=1))
    catalog.put(ImportTarget.SALES_CONDITIONS, "c1", {"article_number": "P0000"}, at=T0)

    removed = remove_absent(catalog=catalog, environment=ENV, target=PRODUCTS, holds=lambda key: key == ("P0001",),
                            started_at=SWEEP, run_id="run-1", removed=lambda n: None)

    assert removed == 2 and live(catalog) == ["LATE", "P0001"]
    assert not catalog.records[(ENV, ImportTarget.SALES_CONDITIONS)]["c1"].deleted


def test_a_second_sweep_removes_nothing_more() -> None:
    catalog = seeded(10)
    for _ in range(2):
        removed = remove_absent(catalog=catalog, environment=ENV, target=PRODUCTS, holds=lambda key: False,
                                started_at=SWEEP, run_id="run-1", removed=lambda n: None)
    assert removed == 0 and live(catalog) == []
