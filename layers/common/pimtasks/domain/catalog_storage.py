"""Catalog records as the store sees them: a key, the normalized record and its hashes.

``data`` is the record in JSON form (``model_dump(mode="json", exclude_none=True)``); ``content_hash``
is the SHA-256 of its canonical form, so an import can tell "unchanged" without comparing field by field;
``row_hash`` is the hash of the import row whose write produced the item (the fields it set and cleared),
which lets an import recognise a row it already applied from a small read, without fetching ``data``.

Change tracking: ``changed_at`` moves only when a record's content changes (a create, an update that changes
its content hash, a removal). A removed record stays as a *tombstone* (``deleted``, with its last data) so a
reader of "what changed since" learns of the removal; reads by key never return tombstones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RecordKey = tuple[str, ...]


@dataclass(frozen=True)
class StoredDigest:
    """That a record is stored, and the hash of the row that wrote it (a cheap read)."""

    key: RecordKey
    row_hash: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    """A catalog record read from the store."""

    key: RecordKey
    data: dict[str, Any]
    content_hash: str
    changed_at: str | None = None
    row_hash: str | None = None


@dataclass(frozen=True)
class RecordWrite:
    """A record to store (created or replaced as a whole); ``data_json`` is ``data`` serialized."""

    key: RecordKey
    data_json: str
    content_hash: str
    row_hash: str | None = None
    subject: str | None = None
    """The product a condition or attachment is about (``catalog.subjects``), for a product's detail."""


@dataclass(frozen=True)
class StoredChange:
    """A record, or the tombstone of a removed one, as the change feed lists it.

    ``position`` is where it stands in the feed (``<changed_at>#<record id>``): one total order over an
    environment's records of one kind, so a reader that keeps the last position it handled resumes after it.
    ``data`` is the record (for a tombstone: its last data before the removal).
    """

    key: RecordKey
    record_id: str
    data: dict[str, Any]
    changed_at: str
    position: str
    deleted: bool = False
