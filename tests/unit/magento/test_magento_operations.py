"""Pairing a bulk's operation statuses with its request items, and the delta window's watermark."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pimtasks.domain.run import Run, RunStatus, Trigger
from pimtasks.magento.client import BulkStatus, OperationStatus
from pimtasks.magento.operations import pair_by_order, pair_by_sku, still_open
from pimtasks.magento.state import BulkEntry
from pimtasks.services.delta_window import DeltaWindow

ENTRIES = [BulkEntry("A", "h"), BulkEntry("B", "h", accepted=False), BulkEntry("C", "h")]


def test_operations_pair_with_the_accepted_items_in_id_order_whatever_the_ids() -> None:
    status = BulkStatus([OperationStatus(913, 3, "bad"), OperationStatus(912, 1)])
    paired = pair_by_order(ENTRIES, status)
    assert paired is not None
    assert [op.id if op else None for op in paired] == [912, None, 913]


def test_a_server_listing_rejected_items_too_pairs_with_every_item() -> None:
    paired = pair_by_order(ENTRIES, BulkStatus([OperationStatus(i, 5 if i == 1 else 1) for i in range(3)]))
    assert paired is not None and [op.status for op in paired if op] == [1, 5, 1]
    assert pair_by_order(ENTRIES, BulkStatus([OperationStatus(1, 1)])) is None


def test_detailed_status_pairs_by_the_sku_in_the_serialized_data() -> None:
    def op(id_: int, sku: str) -> OperationStatus:
        body = json.dumps({"sku": sku, "product": {"sku": sku}})
        return OperationStatus(id_, 1, serialized_data=json.dumps({"meta_information": body}))

    paired = pair_by_sku(ENTRIES, BulkStatus([op(7, "C"), op(9, "A")]))
    assert [o.id if o else None for o in paired] == [9, None, 7]


def test_open_operations_and_those_not_listed_yet_count_as_open() -> None:
    assert still_open(ENTRIES, BulkStatus([OperationStatus(1, 4), OperationStatus(2, 1)])) == 1
    assert still_open(ENTRIES, BulkStatus([OperationStatus(1, 1)], operation_count=2)) == 1
    assert still_open(ENTRIES, BulkStatus([OperationStatus(1, 1), OperationStatus(2, 3)])) == 0


class Runs:
    def __init__(self, runs: list[Run], page: int) -> None:
        self.runs, self.page = runs, page

    def list_for_task(self, *, environment: str, task_id: str, limit: int,
                      start_key: dict[str, Any] | None) -> tuple[list[Run], dict[str, Any] | None]:
        start = int((start_key or {}).get("at", 0))
        end = start + self.page
        return self.runs[start:end], ({"at": end} if end < len(self.runs) else None)


def run(run_id: str, status: RunStatus, hour: int) -> Run:
    at = dt.datetime(2026, 11, 23, hour, tzinfo=dt.UTC)
    return Run(run_id=run_id, environment="000001", task_id="t", task_type="magento", trigger=Trigger.SCHEDULE,
               status=status, created_at=at, started_at=at)


def test_the_window_starts_at_the_newest_successful_runs_start_skipping_the_current_and_failed_ones() -> None:
    runs = [run("now", RunStatus.RUNNING, 9), run("f", RunStatus.FAILED, 8), run("c", RunStatus.CANCELLED, 7),
            run("p", RunStatus.PARTIALLY_SUCCEEDED, 6), run("s", RunStatus.SUCCEEDED, 5)]
    window = DeltaWindow(runs=Runs(runs, page=2))  # type: ignore[arg-type]
    assert window.since(environment="000001", task_id="t", current_run_id="now").hour == 6
    only_full = window.since(environment="000001", task_id="t", statuses=(RunStatus.SUCCEEDED,))
    assert only_full is not None and only_full.hour == 5
    assert DeltaWindow(runs=Runs(runs[:3], page=2)).since(  # type: ignore[arg-type]
        environment="000001", task_id="t") is None
