"""Stop and continuation in the middle of a file: committed batches stay, the rest resumes at the right row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from pimtasks.domain.catalog_storage import RecordWrite
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportTarget

from tests.integration.imports.harness import (
    ENV,
    Imports,
    RecordingStore,
    deliver,
    product_rows,
    products_csv,
)

PRODUCTS_LAYOUT = {
    "delimiter": ";", "key_columns": ["article_number"],
    "columns": [{"column": "article_number", "field": "article_number"},
                {"column": "gross_price", "field": "gross_price", "decimal_separator": "comma"},
                {"column": "description_nl", "field": "description_nl"}],
}


def products_task(imports: Imports) -> Task:
    return imports.create_task(description="Daily products", import_name="Products", target="products",
                               layout=PRODUCTS_LAYOUT)


def budget(*, high_calls: int) -> Callable[[], int]:
    """Plenty of time for the first ``high_calls`` questions, then less than the continuation margin."""
    calls = {"n": 0}

    def remaining_ms() -> int:
        calls["n"] += 1
        return 900_000 if calls["n"] <= high_calls else 1_000

    return remaining_ms


def test_stop_mid_file_keeps_what_was_committed_and_leaves_the_file_in_uploads(imports: Imports) -> None:
    # given a 40-row file imported 5 rows per batch, and Stop pressed while the second batch is written
    task = products_task(imports)
    imports.upload("products.csv", products_csv(product_rows(40, bad=[3])), import_name="Products")

    def press_stop() -> None:
        imports.core.runs.stop(environment=ENV, task_id=task.task_id)
        imports.core.clock.advance(seconds=5)  # the next safe point is due a heartbeat, which sees the stop

    store = RecordingStore(imports.catalog, hooks={2: press_stop})
    run = imports.run(task, workers=imports.workers(batch_size=5, store=store))

    # then the run is cancelled after the second batch; its rows are counted and committed
    assert run.status is RunStatus.CANCELLED
    assert run.counts.model_dump() == {"read": 10, "created": 9, "updated": 0, "unchanged": 0, "rejected": 1}
    assert len(imports.records(ImportTarget.PRODUCTS)) == 9
    # and the file stays in Uploads; the report says how far it got
    assert imports.keys("Uploads/") == ["Uploads/Products/products.csv"]
    assert imports.keys("Archived/") == []
    report = imports.read(f"Reports/Products/{run.run_id}/products.csv.report.txt").decode()
    assert "stopped by request after row 11" in report and "stays in Uploads/Products/" in report
    assert any("after row 11" in m.text and m.row == 11 for m in run.messages)
    assert imports.read(f"Reports/Products/{run.run_id}/products.csv.rejected.csv").decode("utf-8-sig").count(
        "P-0003") == 1

    # when the task runs again, the committed rows are unchanged and the rest is imported
    again = imports.run(task, batch_size=5)
    assert again.status is RunStatus.PARTIALLY_SUCCEEDED
    assert again.counts.model_dump() == {"read": 40, "created": 30, "updated": 0, "unchanged": 9, "rejected": 1}
    assert imports.keys("Uploads/") == []


def test_a_run_short_of_time_continues_mid_file_at_the_next_row(imports: Imports) -> None:
    # given a 40-row file with bad rows in both halves, and time for only four batches in the first invocation
    task = products_task(imports)
    imports.upload("products.csv", products_csv(product_rows(40, bad=[2, 33])), import_name="Products")
    store = RecordingStore(imports.catalog)
    workers = imports.workers(batch_size=5, store=store)
    run = imports.core.runs.start(environment=ENV, task_id=task.task_id)

    # when the first invocation runs out of time
    deliver(imports.core, workers, remaining_ms=budget(high_calls=3))
    handed_over = imports.core.runs.get(environment=ENV, run_id=run.run_id)
    assert handed_over.status is RunStatus.RUNNING
    assert [p["trigger"] for _, p in imports.core.invoker.calls] == ["continuation"]
    assert handed_over.counts.read == 20
    assert handed_over.progress == 0.5 and handed_over.progress_text == "products.csv: row 21 (20 of 40 rows)"
    first_keys = {key for batch in store.written for key in batch}

    # and the continuation finishes the file
    imports.core.pump(workers)
    ended = imports.core.runs.get(environment=ENV, run_id=run.run_id)

    # then it resumed at row 22 (after the 20 data rows of the first invocation): nothing was read twice
    assert ended.status is RunStatus.PARTIALLY_SUCCEEDED
    assert ended.invocations == 2
    assert ended.counts.model_dump() == {"read": 40, "created": 38, "updated": 0, "unchanged": 0, "rejected": 2}
    later_keys = [key for batch in store.written for key in batch if key not in first_keys]
    assert later_keys[0] == ("P-0020",) and len(later_keys) == 19
    assert len(first_keys) == 19
    # and one rejected-rows file holds the rejects of both invocations under one header
    lines = imports.read(f"Reports/Products/{run.run_id}/products.csv.rejected.csv").decode("utf-8-sig").splitlines()
    assert [line.split(";")[2] for line in lines] == ["row", "4", "35"]
    assert imports.keys("Uploads/") == [] and len(imports.keys("Archived/")) == 1


class InvocationDied(BaseException):
    """The invocation dies (killed, out of memory, timed out): nothing in the process gets to handle it."""


@dataclass
class DiesWriting(RecordingStore):
    """A catalog store whose invocation dies while writing batch ``dies_at`` (before it is committed)."""

    dies_at: int = 0

    def put_many(self, *, records: Sequence[RecordWrite], **kwargs: Any) -> None:
        if len(self.written) + 1 == self.dies_at:
            raise InvocationDied
        super().put_many(records=records, **kwargs)


def test_a_run_whose_invocation_died_is_swept_with_the_counts_of_every_committed_batch(imports: Imports) -> None:
    # given a 40-row file (one bad row) imported 5 rows per batch, by an invocation that dies writing batch 5
    task = products_task(imports)
    imports.upload("products.csv", products_csv(product_rows(40, bad=[3])), import_name="Products")
    run = imports.core.runs.start(environment=ENV, task_id=task.task_id)
    with pytest.raises(InvocationDied):
        imports.core.pump(imports.workers(batch_size=5, store=DiesWriting(imports.catalog, dies_at=5)))

    # when the sweeper finds the run after its heartbeat stopped
    imports.core.clock.advance(minutes=10)
    report = imports.core.sweeper.sweep(remaining_ms=lambda: 120_000)

    # then the swept run counts exactly the four committed batches: what the catalog holds
    swept = imports.core.runs.get(environment=ENV, run_id=run.run_id)
    assert report.swept == [run.run_id] and swept.status is RunStatus.FAILED
    committed = imports.records(ImportTarget.PRODUCTS)
    assert swept.counts.model_dump() == {"read": 20, "created": 19, "updated": 0, "unchanged": 0, "rejected": 1}
    assert swept.counts.created == len(committed)
    assert any(m.row == 5 and m.value == "12,5x" for m in swept.messages)  # and the row error of batch 1
