"""Import mode ``full``: after the file succeeded, the target's records it does not hold are removed (tombstones
the change feed lists); nothing is removed when the file failed or every row was rejected."""

from __future__ import annotations

from typing import Any

from pimtasks.domain.run import RunStatus
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportTarget

from tests.integration.imports.harness import ENV, Imports, deliver, product_rows, products_csv
from tests.integration.imports.test_stop_and_continue import budget

PRODUCTS = ImportTarget.PRODUCTS
LAYOUT = {"delimiter": ";", "key_columns": ["article_number"],
          "columns": [{"column": "article_number", "field": "article_number"},
                      {"column": "gross_price", "field": "gross_price", "decimal_separator": "comma"},
                      {"column": "description_nl", "field": "description_nl"}]}


def task(imports: Imports, name: str, **settings: Any) -> Task:
    return imports.create_task(description=name, import_name=name, target="products", layout=LAYOUT, **settings)


def live(imports: Imports) -> list[str]:
    return sorted(record.key[0] for record in imports.records(PRODUCTS))


def seed(imports: Imports, count: int = 5) -> None:
    imports.upload("seed.csv", products_csv(product_rows(count)), import_name="Seed")
    assert imports.run(task(imports, "Seed")).counts.created == count


def test_a_full_import_removes_what_the_file_does_not_hold_and_says_so(imports: Imports) -> None:
    # Given five products, and a full file with three of them (one changed) and a new one
    seed(imports)
    before = imports.core.clock.now()
    full = task(imports, "Full", full=True)
    imports.upload("all.csv", products_csv([["P-0000", "0,50", "Product 0"], ["P-0001", "9,99", "Product 1"],
                                            ["P-0002", "2,50", "Product 2"], ["P-0009", "9,00", "New"]]),
                   import_name="Full")

    # When it runs
    run = imports.run(full)

    # Then the two products it does not hold are removed, and the counts and the report say so
    assert run.status is RunStatus.SUCCEEDED
    assert run.counts.model_dump() == {"read": 4, "created": 1, "updated": 1, "unchanged": 2, "rejected": 0,
                                       "removed": 2}
    assert live(imports) == ["P-0000", "P-0001", "P-0002", "P-0009"]
    report = imports.read(f"Reports/Full/{run.run_id}/all.csv.report.txt").decode()
    assert "removed 2" in report and "2 record(s) it does not hold removed" in report
    assert any("Full import: removed 2 products" in m.text for m in run.messages)
    # and a reader of changes learns of the removals (tombstones with the last data)
    removals = [c for c in imports.catalog.changes(environment=ENV, target=PRODUCTS, since=before) if c.deleted]
    assert sorted(c.record_id for c in removals) == ["P-0003", "P-0004"]
    assert all(c.data["descriptions"]["nl"].startswith("Product") for c in removals)


def test_an_import_without_full_removes_nothing(imports: Imports) -> None:
    seed(imports)
    imports.upload("some.csv", products_csv([["P-0000", "0,50", "Product 0"]]), import_name="Partial")
    run = imports.run(task(imports, "Partial"))
    assert "removed" not in run.counts.model_dump() and len(live(imports)) == 5


def test_a_rejected_row_keeps_its_record(imports: Imports) -> None:
    # Given five products and a full file whose row for P-0001 has an unreadable price
    seed(imports)
    imports.upload("all.csv", products_csv([["P-0000", "0,50", "Product 0"], ["P-0001", "1,5x", "Product 1"]]),
                   import_name="Full")

    run = imports.run(task(imports, "Full", full=True))

    # Then P-0001 stays (the file holds it, even if it could not import it); the other three go
    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert run.counts.rejected == 1 and run.counts.removed == 3
    assert live(imports) == ["P-0000", "P-0001"]


def test_nothing_is_removed_when_every_row_was_rejected_or_the_file_failed(imports: Imports) -> None:
    seed(imports)
    full = task(imports, "Full", full=True)
    # every row rejected
    imports.upload("bad.csv", products_csv([["P-0000", "x", "Product 0"]]), import_name="Full")
    rejected = imports.run(full)
    # a file that fails as a whole (no key column)
    imports.upload("nokey.csv", products_csv([["0,50", "Product 0"]], header=("gross_price", "description_nl")),
                   import_name="Full")
    failed = imports.run(full)

    assert rejected.status is RunStatus.FAILED and failed.status is RunStatus.FAILED
    assert "removed" not in rejected.counts.model_dump() and "removed" not in failed.counts.model_dump()
    assert len(live(imports)) == 5


def test_a_full_import_continued_mid_file_still_knows_every_row_it_read(imports: Imports) -> None:
    # Given 40 products and a full file of the first 30, imported 5 rows a batch with time for three batches
    seed(imports, 40)
    full = task(imports, "Full", full=True)
    imports.upload("all.csv", products_csv(product_rows(30)), import_name="Full")
    workers = imports.workers(batch_size=5)
    run = imports.core.runs.start(environment=ENV, task_id=full.task_id)

    # When the first invocation runs out of time and the continuation finishes
    deliver(imports.core, workers, remaining_ms=budget(high_calls=3))
    imports.core.clock.advance(seconds=1)
    imports.core.pump(workers)
    ended = imports.core.runs.get(environment=ENV, run_id=run.run_id)

    # Then only the ten products beyond the file are removed: the rows of the first invocation count as held
    assert ended.invocations == 2 and ended.status is RunStatus.SUCCEEDED
    assert ended.counts.removed == 10
    assert live(imports) == [f"P-{n:04d}" for n in range(30)]
