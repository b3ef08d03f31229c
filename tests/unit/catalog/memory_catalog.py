"""An in-memory ``CatalogReader`` for the catalog service tests: records per (environment, kind), listed in
position order, removals as tombstones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from pimtasks.clock import iso
from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.task_types import ImportTarget

ENV = "000001"
PRODUCTS = ImportTarget.PRODUCTS
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


class Listing:
    def __init__(self, changes: list[StoredChange]) -> None:
        self._changes = changes
        self.items_read = 0

    def __iter__(self) -> Iterator[StoredChange]:
        for change in self._changes:
            self.items_read += 1
            yield change


class MemoryCatalog:
    """A ``CatalogReader``: records per (environment, kind) by id, listed in position order."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, ImportTarget], dict[str, StoredChange]] = {}

    def put(self, target: ImportTarget, record_id: str, data: dict[str, Any], *, at: dt.datetime,
            environment: str = ENV, subject: str | None = None) -> None:
        changed = iso(at)
        self.records.setdefault((environment, target), {})[record_id] = StoredChange(
            key=(record_id,), record_id=record_id, data={**data, **({"_subject": subject} if subject else {})},
            changed_at=changed, position=f"{changed}#{record_id}")

    def changes(self, *, environment: str, target: ImportTarget, after: str | None = None,
                since: dt.datetime | None = None, chunk: int = 100) -> Listing:
        ordered = sorted(self.records.get((environment, target), {}).values(), key=lambda c: c.position)
        return Listing([c for c in ordered if (after is None or c.position > after)
                        and (since is None or c.position >= iso(since))])

    def get_by_id(self, *, environment: str, target: ImportTarget, identifier: str) -> StoredChange | None:
        return self.records.get((environment, target), {}).get(identifier)

    def about(self, *, environment: str, subjects: Sequence[str]) -> dict[ImportTarget, list[StoredChange]]:
        return {target: [c for c in found.values() if c.data.get("_subject") in subjects and not c.deleted]
                for (env, target), found in self.records.items() if env == environment and target is not PRODUCTS}

    def remove(self, *, environment: str, target: ImportTarget, identifier: str, removed_at: dt.datetime,
               run_id: str | None = None, listed_position: str | None = None) -> bool:
        found = self.get_by_id(environment=environment, target=target, identifier=identifier)
        if found is None or found.deleted:
            return False
        changed = iso(removed_at)
        self.records[(environment, target)][identifier] = StoredChange(
            key=found.key, record_id=identifier, data=found.data, changed_at=changed,
            position=f"{changed}#{identifier}", deleted=True)
        return True

    def remove_listed(self, *, environment: str, target: ImportTarget, listed: Sequence[StoredChange],
                      removed_at: dt.datetime, run_id: str | None) -> int:
        return sum(self.remove(environment=environment, target=target, identifier=c.record_id,
                               removed_at=removed_at) for c in listed)
