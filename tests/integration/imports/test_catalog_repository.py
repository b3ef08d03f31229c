"""The catalog repository on moto: batched reads and writes of many requests at once, and their retries."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import boto3
from pimtasks.adapters.catalog_repository import CatalogRepository
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.domain.catalog_storage import RecordKey, RecordWrite
from pimtasks.domain.task_types import ImportTarget

from tests.integration.core.harness import REGION, TABLES
from tests.integration.imports.harness import ENV, Imports

CONDITIONS = ImportTarget.SALES_CONDITIONS
CHANGED = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def condition_key(index: int) -> RecordKey:
    """A natural key of eleven parts, as a sales condition has (its record id is a digest)."""
    return ("8712345000004", f"GROUP{index % 7}", "", "APAC", "", f"ART-{index}", "", "basic", "", "0", "2027-01-01")


def writes(count: int, *, start: int = 0) -> list[RecordWrite]:
    return [RecordWrite(key=condition_key(index), data_json=f'{{"article_number": "ART-{index}"}}',
                        content_hash=f"content-{index}", row_hash=f"row-{index}")
            for index in range(start, start + count)]


class ThrottlingClient:
    """The moto client, but the first call of each kind leaves its last item (or key) unprocessed."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._throttled: set[str] = set()
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {"batch_write_item": 0, "batch_get_item": 0}

    def _first(self, kind: str) -> bool:
        with self._lock:
            self.calls[kind] += 1
            first = kind not in self._throttled
            self._throttled.add(kind)
            return first

    def batch_write_item(self, *, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        if not self._first("batch_write_item"):
            return dict(self._inner.batch_write_item(RequestItems=RequestItems))
        [(table, requests)] = RequestItems.items()
        self._inner.batch_write_item(RequestItems={table: requests[:-1]})
        return {"UnprocessedItems": {table: requests[-1:]}}

    def batch_get_item(self, *, RequestItems: dict[str, dict[str, Any]]) -> dict[str, Any]:
        if not self._first("batch_get_item"):
            return dict(self._inner.batch_get_item(RequestItems=RequestItems))
        [(table, request)] = RequestItems.items()
        answered = self._inner.batch_get_item(RequestItems={table: {**request, "Keys": request["Keys"][:-1]}})
        return {"Responses": answered["Responses"],
                "UnprocessedKeys": {table: {**request, "Keys": request["Keys"][-1:]}}}


def test_many_requests_at_once_store_and_find_exactly_the_records_asked_for(imports: Imports) -> None:
    # Given 260 sales conditions written in one call (11 requests of at most 25, several in flight at once)
    imports.catalog.put_many(environment=ENV, target=CONDITIONS, records=writes(260), changed_at=CHANGED,
                             run_id="run-1")
    absent = [condition_key(index) for index in range(1000, 1040)]
    asked = [condition_key(index) for index in range(260)] + absent

    # When their digests and 40 unknown keys are read (3 requests of at most 100 keys)
    digests = imports.catalog.get_digests(environment=ENV, target=CONDITIONS, keys=asked)

    # Then every stored record comes back under its own key, with the row hash that wrote it, and no other
    assert len(digests) == 260
    assert all(digests[condition_key(index)].row_hash == f"row-{index}" for index in range(260))
    assert not set(absent) & set(digests)
    # and the full records of a few come back whole
    full = imports.catalog.get_many(environment=ENV, target=CONDITIONS, keys=[condition_key(7), absent[0]])
    assert list(full) == [condition_key(7)]
    assert full[condition_key(7)].data == {"article_number": "ART-7"}
    assert full[condition_key(7)].content_hash == "content-7"
    assert len(list(imports.catalog.list_records(environment=ENV, target=CONDITIONS))) == 260


def test_unprocessed_items_and_keys_are_retried_until_done(imports: Imports) -> None:
    # Given a table that throttles the first write and the first read (DynamoDB returns the rest unprocessed)
    throttling = ThrottlingClient(boto3.client("dynamodb", region_name=REGION))
    repository = CatalogRepository(table=DynamoTable(table_name=TABLES["CatalogTable"], dynamodb_client=throttling),
                                   sleep=lambda seconds: None)

    # When 60 records are written and read back
    repository.put_many(environment=ENV, target=CONDITIONS, records=writes(60), changed_at=CHANGED, run_id="run-1")
    digests = repository.get_digests(environment=ENV, target=CONDITIONS,
                                     keys=[condition_key(index) for index in range(60)])

    # Then nothing was lost: the throttled item was written and the throttled key read on a retry
    assert throttling.calls == {"batch_write_item": 4, "batch_get_item": 2}
    assert len(digests) == 60
    assert len(list(imports.catalog.list_records(environment=ENV, target=CONDITIONS))) == 60
