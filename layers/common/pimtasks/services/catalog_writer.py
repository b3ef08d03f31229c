"""Writing mapped import rows into the catalog: modes, empty-cell rules, and "unchanged" by content hash.

Per batch: read the stored hashes of the batch's records (one small BatchGetItem per 100 keys), then the
full stored records of those that need a merge, decide per record, and write only what is new or different
(BatchWriteItem, 25 per request). A decision is:
- absent record: ``insert_only`` / ``upsert`` create it whole (defaults included); ``update_only`` refuses
  the row ("not in the catalog"), which the import reports as a rejected row;
- present record: ``insert_only`` leaves it alone (counted unchanged and reported once per batch);
  ``update_only`` / ``upsert`` merge: the fields the file sets replace the stored ones (dict fields such
  as ``descriptions`` per key, ``features`` as a whole), fields the file clears (empty cell = clear) go back
  to their default, every other field keeps its stored value. The merged record is validated again as a
  whole (clearing the only price of a condition is refused) and is ``unchanged`` when its content hash
  equals the stored one.
The hash is over a canonical form (sorted keys, Decimals normalized: 12.5 == 12.50), so the same file
imported twice reports every row unchanged.

The fast path: every write also stores the *row hash* of the row that produced it (the values of the
fields it set, the fields it cleared). A stored record is the result of merging that row into what was
there before, and merging the same row into it again changes nothing; so a row whose row hash equals
the stored one is ``unchanged`` without fetching the stored record. Any other write (another row, another
import) replaces the row hash. ``ROW_HASH_VERSION`` is part of the hash: bump it when the catalog models
change how a row maps to a record, and every row takes the full path once.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import ValidationError

from pimtasks.catalog.models import CatalogRecord
from pimtasks.catalog.subjects import record_subject
from pimtasks.clock import Clock
from pimtasks.domain.catalog_storage import RecordKey, RecordWrite, StoredDigest, StoredRecord
from pimtasks.domain.task_types import ImportMode, ImportTarget
from pimtasks.imports.fields import TARGETS
from pimtasks.imports.rows import MappedRecord
from pimtasks.imports.validation import describe_errors
from pimtasks.services.ports import CatalogStore

NOT_IN_CATALOG = "not in the catalog: this import only updates existing records (mode update_only)"
ROW_HASH_VERSION = 1


@dataclass
class WriteOutcome:
    """What happened to one batch of records."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_existing: int = 0
    """Of ``unchanged``: existing records an insert-only import left alone."""
    refused: list[tuple[MappedRecord, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Decision:
    kind: str  # "create", "update", "unchanged", "kept", "refused"
    write: RecordWrite | None = None
    reason: str | None = None


def content_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON of a record's data (or of any JSON-like value).

    Canonical: keys sorted, Decimals normalized (12.5 and 12.50 are equal), dates in ISO form. The C
    encoder does the walk; ``_canonical_value`` only sees what JSON has no type for.
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical_value)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a catalog value")


def record_data(record: CatalogRecord) -> dict[str, Any]:
    """The stored form of a record: JSON types, absent values left out."""
    return record.model_dump(mode="json", exclude_none=True)


def planned_write(record: CatalogRecord, *, row_hash: str | None = None) -> RecordWrite:
    """A record as the store keeps it: its JSON, and the hash of its Python values (Decimals normalized)."""
    return RecordWrite(key=record.natural_key(), data_json=record.model_dump_json(exclude_none=True),
                       content_hash=content_hash(record.model_dump(exclude_none=True)), row_hash=row_hash,
                       subject=record_subject(record))


def row_hash(mapped: MappedRecord) -> str:
    """The hash of what a row does to its record: the values it sets and the fields it clears."""
    values = mapped.record.model_dump(exclude_none=True)
    contribution: dict[str, Any] = {"v": ROW_HASH_VERSION, "cleared": sorted(mapped.cleared), "set": {}}
    for path in mapped.fields:
        name, _, part = path.partition(".")
        value = values.get(name)
        contribution["set"][path] = value.get(part) if part and name != "features" and isinstance(value, dict) \
            else value
    return content_hash(contribution)


def merge_into(stored: dict[str, Any], mapped: MappedRecord, *, model: type[CatalogRecord]) -> dict[str, Any]:
    """The stored data with the file's fields set and its cleared fields reset to their defaults."""
    new = mapped.record.model_dump(mode="json")
    merged = copy.deepcopy(stored)
    for path in mapped.fields:
        name, _, part = path.partition(".")
        if part and name != "features":
            merged.setdefault(name, {})[part] = new[name][part]
        else:
            merged[name] = new[name]
    for path in mapped.cleared:
        name, _, part = path.partition(".")
        if part and name != "features":
            merged.get(name, {}).pop(part, None)
        else:
            merged[name] = _default(model, name)
    return merged


def _default(model: type[CatalogRecord], name: str) -> Any:
    info = model.model_fields.get(name)
    if info is None or info.is_required():
        return None
    return info.get_default(call_default_factory=True)


def decide(mapped: MappedRecord, stored: StoredRecord | None, *, mode: ImportMode, model: type[CatalogRecord],
           row: str) -> _Decision:
    """What to do with one mapped record, given its stored version (``row``: the row's hash)."""
    if stored is None:
        if mode is ImportMode.UPDATE_ONLY:
            return _Decision("refused", reason=NOT_IN_CATALOG)
        return _Decision("create", write=planned_write(mapped.record, row_hash=row))
    if mode is ImportMode.INSERT_ONLY:
        return _Decision("kept")
    try:
        merged = model.model_validate(merge_into(stored.data, mapped, model=model))
    except ValidationError as error:
        reasons = "; ".join(reason for _, reason in describe_errors(error))
        return _Decision("refused", reason=f"the record would become invalid: {reasons}")
    write = planned_write(merged, row_hash=row)
    if write.content_hash == stored.content_hash:
        return _Decision("unchanged")
    return _Decision("update", write=write)


def decide_from_digest(digest: StoredDigest | None, *, mode: ImportMode, row: str) -> _Decision | None:
    """The decision when the stored hashes suffice, else None (the full stored record is needed)."""
    if digest is None:
        return None  # created from the row alone, or refused: ``decide`` with no stored record
    if mode is ImportMode.INSERT_ONLY:
        return _Decision("kept")
    if digest.row_hash == row:
        return _Decision("unchanged")
    return None


def distinct_key_chunks(records: Sequence[MappedRecord]) -> Iterator[list[MappedRecord]]:
    """Consecutive runs of ``records`` without a repeated key (a later repeat must see the earlier write)."""
    chunk: list[MappedRecord] = []
    keys: set[RecordKey] = set()
    for record in records:
        if record.key in keys:
            yield chunk
            chunk, keys = [], set()
        chunk.append(record)
        keys.add(record.key)
    if chunk:
        yield chunk


class CatalogWriter:
    """Applies batches of mapped records to the catalog of one environment.

    Reading hashes first pays off when most stored rows are already applied (a recurring file); when most
    need a merge (a file that changes everything), it is one read too many. So the writer adapts: after a
    chunk where most existing records needed their full read, the next chunk reads full records at once.
    """

    def __init__(self, *, store: CatalogStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._read_full_first = False

    def write(self, *, environment: str, target: ImportTarget, mode: ImportMode, records: Sequence[MappedRecord],
              run_id: str | None = None) -> WriteOutcome:
        """Write one batch; returns the counts and the refused records with their reasons."""
        outcome = WriteOutcome()
        for chunk in distinct_key_chunks(records):
            writes = self._chunk_writes(chunk, environment=environment, target=target, mode=mode, outcome=outcome)
            if writes:
                self._store.put_many(environment=environment, target=target, records=writes,
                                     changed_at=self._clock.now(), run_id=run_id)
        return outcome

    def _chunk_writes(self, chunk: list[MappedRecord], *, environment: str, target: ImportTarget, mode: ImportMode,
                      outcome: WriteOutcome) -> list[RecordWrite]:
        model = TARGETS[target].model
        rows = [row_hash(record) for record in chunk]
        keys = [record.key for record in chunk]
        stored: dict[RecordKey, StoredRecord] = {}
        if self._read_full_first:
            stored = self._store.get_many(environment=environment, target=target, keys=keys)
            digests = {key: StoredDigest(key, r.row_hash) for key, r in stored.items()}
        else:
            digests = self._store.get_digests(environment=environment, target=target, keys=keys)
        decisions = [decide_from_digest(digests.get(record.key), mode=mode, row=row)
                     for record, row in zip(chunk, rows, strict=True)]
        merge_keys = [record.key for record, decision in zip(chunk, decisions, strict=True)
                      if decision is None and record.key in digests]
        self._read_full_first = len(merge_keys) * 2 > len(digests)
        if merge_keys and not stored:
            stored = self._store.get_many(environment=environment, target=target, keys=merge_keys)
        writes: list[RecordWrite] = []
        for record, row, decision in zip(chunk, rows, decisions, strict=True):
            final = decision or decide(record, stored.get(record.key), mode=mode, model=model, row=row)
            _count(final, record, outcome)
            if final.write is not None:
                writes.append(final.write)
        return writes


def _count(decision: _Decision, record: MappedRecord, outcome: WriteOutcome) -> None:
    if decision.kind == "create":
        outcome.created += 1
    elif decision.kind == "update":
        outcome.updated += 1
    elif decision.kind == "refused":
        outcome.refused.append((record, decision.reason or "refused"))
    else:
        outcome.unchanged += 1
        outcome.kept_existing += decision.kind == "kept"
