"""What reading the catalog and removing from it need from the store (``adapters.catalog_repository``).

The store keeps, per environment and kind, one change feed: records and tombstones in ``position`` order
(``<changed_at>#<record id>``), read from an index, never a scan. These Protocols are the part of it the
services use, so they stay free of boto3 and can be tested against an in-memory store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Protocol

from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.task_types import ImportTarget


class ChangeListing(Protocol):
    """A lazy listing of changes in position order; ``items_read`` counts the items the store returned."""

    items_read: int

    def __iter__(self) -> Iterator[StoredChange]: ...


class CatalogReader(Protocol):
    """The catalog's change feed, records by id, a product's related records, and removals (tombstones)."""

    def changes(self, *, environment: str, target: ImportTarget, after: str | None = None,
                since: dt.datetime | None = None, chunk: int = 100) -> ChangeListing:
        """Records and tombstones of ``target`` in position order, changed at or after ``since`` and after
        position ``after`` (each shard read ``chunk`` items at a time)."""
        ...

    def get_by_id(self, *, environment: str, target: ImportTarget, identifier: str) -> StoredChange | None:
        """The record or tombstone with this record id (a product's is its article number)."""
        ...

    def about(self, *, environment: str, subjects: Sequence[str]) -> dict[ImportTarget, list[StoredChange]]:
        """The live sales conditions and attachments about these subjects (``catalog.subjects``), per kind."""
        ...

    def remove(self, *, environment: str, target: ImportTarget, identifier: str, removed_at: dt.datetime,
               run_id: str | None = None, listed_position: str | None = None) -> bool:
        """Turn a live record into its tombstone; False when there is none (or it moved from ``listed_position``)."""
        ...

    def remove_listed(self, *, environment: str, target: ImportTarget, listed: Sequence[StoredChange],
                      removed_at: dt.datetime, run_id: str | None) -> int:
        """Tombstone these listed records unless they changed since they were listed; how many were removed."""
        ...
