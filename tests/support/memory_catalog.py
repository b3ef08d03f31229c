"""A catalog store in memory (what the catalog writer needs of one), for unit tests and benchmarks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any


class MemoryCatalog:
    """A ``CatalogStore`` in a dict (what the catalog writer needs of it), holding each record's JSON text as
    DynamoDB would (parsed only when read)."""

    def __init__(self) -> None:
        self.records: dict[Any, tuple[str, str, str | None]] = {}

    def get_digests(self, *, environment: str, target: Any, keys: Sequence[Any]) -> dict[Any, Any]:
        from pimtasks.domain.catalog_storage import StoredDigest

        return {key: StoredDigest(key, self.records[key][2]) for key in keys if key in self.records}

    def get_many(self, *, environment: str, target: Any, keys: Sequence[Any]) -> dict[Any, Any]:
        import json

        from pimtasks.domain.catalog_storage import StoredRecord

        return {key: StoredRecord(key=key, data=json.loads(self.records[key][0]), content_hash=self.records[key][1],
                                  row_hash=self.records[key][2]) for key in keys if key in self.records}

    def put_many(self, *, environment: str, target: Any, records: Sequence[Any], changed_at: dt.datetime,
                 run_id: str | None) -> None:
        for write in records:
            self.records[write.key] = (write.data_json, write.content_hash, write.row_hash)

    def data(self, article_number: str) -> dict[str, Any] | None:
        """A product's stored data (None when absent)."""
        import json

        stored = self.records.get((article_number,))
        return None if stored is None else dict(json.loads(stored[0]))
