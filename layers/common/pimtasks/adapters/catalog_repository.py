"""The catalog table: products, sales conditions, attachments and users per environment.

Item layout (one item per record; built for a million articles per environment):
- ``pk = ENV#<env>#<KIND>#<record id>``, ``sk = RECORD``. The record id is the article number for
  single-field keys and a SHA-256 digest (40 hex) of the natural key otherwise, so every record is its own
  partition key: writes of one import spread over the whole key space, and there is no hot partition.
- ``data``: the normalized record as JSON text (exact round trip of Decimals and dates); ``content_hash``:
  SHA-256 of its canonical form, compared by imports to report ``unchanged`` without a write; ``row_hash``:
  the hash of the import row that produced it (read alone, it answers "already applied?" with a small
  read); ``record_key``: the natural key's parts; ``changed_at`` / ``run_id``: when and by which run.
- Listing index ``records_by_shard`` (the change feed): ``shard_pk = ENV#<env>#<KIND>#S<nn>`` with ``SHARDS``
  shards chosen by the record id's hash, ``changed_sk = <changed_at>#<record id>``. ``changes`` merges the
  shards' queries into one order by ``changed_sk`` (a total order: record ids are unique per kind), reading
  each shard only as far as the merge needs, so "changed since" and "the next page after" are range
  conditions on the index, never a scan: what a reader reads is proportional to what changed.
- Tombstones: a removed record (API delete, ``full`` import) keeps its item with ``deleted`` set, its last
  ``data``, and a new ``changed_at``, so the change feed lists the removal; reads by key ignore tombstones
  and a later import of the same key simply replaces it (a create).
- Subject index ``records_by_subject`` (sparse): conditions and attachments carry ``subject_pk =
  ENV#<env>#SUBJ#<subject>`` (``catalog.subjects``: the article, GTIN or discount group they are about), so a
  product's detail finds its conditions and attachments with one query per subject. Tombstones leave it.

Writes are BatchWriteItem (25 puts per request) and reads BatchGetItem (100 keys, consistent), both retrying
unprocessed items with exponential backoff; the requests of one call (an import batch: 20 writes, 5 reads)
are in flight ``CONCURRENT_REQUESTS`` at a time, since round trips, not DynamoDB, bound a sequential
import. A batch is not atomic; the caller checkpoints after each one and writes whole records, so applying
a batch again converges to the same items.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from pimtasks.adapters.dynamo import DynamoTable, batch_get_retrying, batch_write_retrying, is_condition_failure
from pimtasks.clock import iso
from pimtasks.domain.catalog_storage import RecordKey, RecordWrite, StoredChange, StoredDigest, StoredRecord
from pimtasks.domain.task_types import ImportTarget

RECORD_SK = "RECORD"
LISTING_INDEX = "records_by_shard"
SUBJECT_INDEX = "records_by_subject"
SHARDS = 16
WRITE_BATCH = 25
READ_BATCH = 100
CONCURRENT_REQUESTS = 4
"""Requests of one call in flight at once: DynamoDB's latency, not its throughput, bounds a sequential import."""
KIND_CODES: dict[ImportTarget, str] = {
    ImportTarget.PRODUCTS: "PRODUCT",
    ImportTarget.SALES_CONDITIONS: "CONDITION",
    ImportTarget.ATTACHMENTS: "ATTACHMENT",
    ImportTarget.USERS: "USER",
}
_RECORD_ATTRIBUTES = ("pk", "data", "content_hash", "changed_at", "row_hash", "deleted")
# Two scalar attributes: a stored record is recognised by the partition key the read asked for (not by its
# ``record_key`` list, up to eleven parts for a sales condition), and "already applied?" needs the row hash
# alone. Every attribute value costs on both ends: the emulator spent most of a re-import encoding them.
_DIGEST_ATTRIBUTES = ("pk", "row_hash", "deleted")
KINDS: dict[str, ImportTarget] = {code: target for target, code in KIND_CODES.items()}
_LEGACY_POSITION = re.compile(r"^[0-9]{2}#")
"""Positions of the listing before the merged feed were ``<shard>#<changed_sk>``; a checkpoint may hold one."""


class CatalogWriteError(RuntimeError):
    """DynamoDB kept refusing part of a batch after every retry (sustained throttling)."""


_Request = TypeVar("_Request")
_Result = TypeVar("_Result")


def record_id(key: RecordKey) -> str:
    """The readable article number for one-part keys, else a digest of the whole key."""
    if len(key) == 1 and key[0]:
        return key[0]
    return hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()[:40]


def record_pk(environment: str, target: ImportTarget, key: RecordKey) -> str:
    return f"ENV#{environment}#{KIND_CODES[target]}#{record_id(key)}"


def shard_pk(environment: str, target: ImportTarget, shard: int) -> str:
    return f"ENV#{environment}#{KIND_CODES[target]}#S{shard:02d}"


def subject_pk(environment: str, subject: str) -> str:
    return f"ENV#{environment}#SUBJ#{subject}"


def position_floor(*, after: str | None, since: dt.datetime | None) -> tuple[str, bool] | None:
    """Where a feed read starts: (bound, inclusive); after a position, or at a time, whichever is later."""
    if after is not None and _LEGACY_POSITION.match(after):
        after = after[3:]
    since_text = iso(since) if since is not None else None
    if after is not None and (since_text is None or after >= since_text):
        return after, False
    if since_text is not None:
        return since_text, True
    return None


def shard_of(identifier: str) -> int:
    return int.from_bytes(hashlib.blake2b(identifier.encode("utf-8"), digest_size=4).digest(), "big") % SHARDS


def _key_attribute(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": RECORD_SK}}


def _put_request(*, environment: str, target: ImportTarget, record: RecordWrite, changed: str,
                 run_id: str | None) -> dict[str, Any]:
    """The typed item, built directly (cheaper than the generic serializer for thousands of items)."""
    identifier = record_id(record.key)
    item: dict[str, Any] = {
        "pk": {"S": f"ENV#{environment}#{KIND_CODES[target]}#{identifier}"},
        "sk": {"S": RECORD_SK},
        "kind": {"S": target.value},
        "environment": {"S": environment},
        "record_key": {"L": [{"S": part} for part in record.key]},
        "data": {"S": record.data_json},
        "content_hash": {"S": record.content_hash},
        "changed_at": {"S": changed},
        "shard_pk": {"S": shard_pk(environment, target, shard_of(identifier))},
        "changed_sk": {"S": f"{changed}#{identifier}"},
    }
    if run_id:
        item["run_id"] = {"S": run_id}
    if record.row_hash:
        item["row_hash"] = {"S": record.row_hash}
    if record.subject:
        item["subject_pk"] = {"S": subject_pk(environment, record.subject)}
        item["subject_sk"] = {"S": f"{KIND_CODES[target]}#{identifier}"}
    return {"PutRequest": {"Item": item}}


def _change(item: dict[str, Any]) -> StoredChange:
    """A listed (plain-valued) item as the feed gives it."""
    position = str(item["changed_sk"])
    return StoredChange(key=tuple(item["record_key"]), record_id=position.partition("#")[2],
                        data=json.loads(item["data"]), changed_at=str(item.get("changed_at", "")),
                        position=position, deleted=bool(item.get("deleted")))


class ChangeFeed:
    """Changes of one kind in ``changed_sk`` order: a lazy k-way merge of the shards' index queries.

    Each shard is queried ``chunk`` items at a time, and only when the merge has used up what it holds, so a
    reader that stops after N changes has read at most N plus one chunk per shard. ``items_read`` counts the
    index items DynamoDB returned (what a read costs).
    """

    def __init__(self, *, table: DynamoTable, environment: str, target: ImportTarget,
                 floor: tuple[str, bool] | None, chunk: int) -> None:
        self._table = table
        self._environment = environment
        self._target = target
        self._floor = floor
        self._chunk = max(chunk, 1)
        self.items_read = 0

    def _query(self, shard: int, start_key: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
        condition = "shard_pk = :shard"
        values: dict[str, Any] = {":shard": shard_pk(self._environment, self._target, shard)}
        if self._floor is not None:
            bound, inclusive = self._floor
            condition += f" AND changed_sk {'>=' if inclusive else '>'} :floor"
            values[":floor"] = bound
        for items, last in self._table.query_pages(key_condition=condition, values=values, index=LISTING_INDEX,
                                                   limit=self._chunk, start_key=start_key):
            self.items_read += len(items)
            return items, last
        return [], None

    def __iter__(self) -> Iterator[StoredChange]:
        heap: list[tuple[str, int, int]] = []
        buffers: dict[int, list[dict[str, Any]]] = {}
        more: dict[int, Any] = {}

        def fill(shard: int) -> None:
            items, last = self._query(shard, more.get(shard))
            buffers[shard] = items
            more[shard] = last
            if items:
                heapq.heappush(heap, (str(items[0]["changed_sk"]), shard, 0))

        for shard in range(SHARDS):
            fill(shard)
        while heap:
            _, shard, index = heapq.heappop(heap)
            buffer = buffers[shard]
            yield _change(buffer[index])
            if index + 1 < len(buffer):
                heapq.heappush(heap, (str(buffer[index + 1]["changed_sk"]), shard, index + 1))
            elif more.get(shard):
                fill(shard)


def _stored(key: RecordKey, item: dict[str, Any]) -> StoredRecord:
    return StoredRecord(
        key=key,
        data=json.loads(item["data"]["S"]),
        content_hash=item["content_hash"]["S"],
        changed_at=item.get("changed_at", {}).get("S"),
        row_hash=item.get("row_hash", {}).get("S"),
    )


def _digest(key: RecordKey, item: dict[str, Any]) -> StoredDigest:
    return StoredDigest(key=key, row_hash=item.get("row_hash", {}).get("S"))


class CatalogRepository:
    """Batched, retried reads and writes of catalog records."""

    def __init__(self, *, table: DynamoTable, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 10, base_delay_seconds: float = 0.05,
                 concurrency: int = CONCURRENT_REQUESTS) -> None:
        self._table = table
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._base_delay = base_delay_seconds
        self._concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def get_digests(self, *, environment: str, target: ImportTarget,
                    keys: Sequence[RecordKey]) -> dict[RecordKey, StoredDigest]:
        """The row hashes of the stored records among ``keys`` (distinct keys; absent ones are missing)."""
        return self._read_keys(environment=environment, target=target, keys=keys, attributes=_DIGEST_ATTRIBUTES,
                               build=_digest)

    def get_many(self, *, environment: str, target: ImportTarget,
                 keys: Sequence[RecordKey]) -> dict[RecordKey, StoredRecord]:
        """The stored records among ``keys`` (distinct keys; absent ones are simply missing)."""
        return self._read_keys(environment=environment, target=target, keys=keys, attributes=_RECORD_ATTRIBUTES,
                               build=_stored)

    def _read_keys(self, *, environment: str, target: ImportTarget, keys: Sequence[RecordKey],
                   attributes: Sequence[str], build: Callable[[RecordKey, dict[str, Any]], _Result],
                   ) -> dict[RecordKey, _Result]:
        """``build(key, item)`` for each stored item among ``keys``, matched by the partition key asked for."""
        by_pk = {record_pk(environment, target, key): key for key in keys}
        return {key: build(key, item) for key, item in
                ((by_pk[item["pk"]["S"]], item) for item in self._read(list(by_pk), attributes=attributes)
                 if "deleted" not in item)}

    def _read(self, pks: Sequence[str], *, attributes: Sequence[str]) -> list[dict[str, Any]]:
        # ``AttributesToGet`` rather than a ``ProjectionExpression``: for top-level attributes DynamoDB reads
        # the same either way, but the local emulator (moto) answers an expression by converting each whole
        # item into a new copy (and, unless told otherwise, keeps every copy: see pimtasks_local.emulator);
        # the list form is answered from the stored item, in about two thirds of the time.
        requests = [{self._table.name: {
            "Keys": [_key_attribute(pk) for pk in pks[start:start + READ_BATCH]],
            "ConsistentRead": True,
            "AttributesToGet": list(attributes),
        }} for start in range(0, len(pks), READ_BATCH)]
        return [item for items in self._each(self._batch_get, requests) for item in items]

    def put_many(self, *, environment: str, target: ImportTarget, records: Sequence[RecordWrite],
                 changed_at: dt.datetime, run_id: str | None) -> None:
        """Store ``records`` whole (created or replaced), 25 per request; distinct keys (requests may overlap)."""
        changed = iso(changed_at)
        items = [_put_request(environment=environment, target=target, record=record, changed=changed,
                              run_id=run_id) for record in records]
        self._each(self._batch_write, [{self._table.name: items[start:start + WRITE_BATCH]}
                                       for start in range(0, len(items), WRITE_BATCH)])

    def get(self, *, environment: str, target: ImportTarget, key: RecordKey) -> StoredRecord | None:
        return self.get_many(environment=environment, target=target, keys=[key]).get(key)

    def list_records(self, *, environment: str, target: ImportTarget,
                     changed_since: dt.datetime | None = None) -> Iterator[StoredRecord]:
        """Every live record of ``target`` (or those changed since a time), shard by shard; order is not defined
        (``changes`` lists in change order, removals included)."""
        for shard in range(SHARDS):
            condition = "shard_pk = :shard"
            values: dict[str, Any] = {":shard": shard_pk(environment, target, shard)}
            if changed_since is not None:
                condition += " AND changed_sk >= :since"
                values[":since"] = iso(changed_since)
            for items, _ in self._table.query_pages(key_condition=condition, values=values, index=LISTING_INDEX):
                for item in items:
                    if item.get("deleted"):
                        continue
                    yield StoredRecord(key=tuple(item["record_key"]), data=json.loads(item["data"]),
                                       content_hash=item["content_hash"], changed_at=item.get("changed_at"),
                                       row_hash=item.get("row_hash"))

    # --- the change feed, removals, detail ------------------------------------------------------
    def changes(self, *, environment: str, target: ImportTarget, after: str | None = None,
                since: dt.datetime | None = None, chunk: int = 100) -> ChangeFeed:
        """Records and tombstones of ``target`` in change order, from ``since`` and after position ``after``."""
        return ChangeFeed(table=self._table, environment=environment, target=target,
                          floor=position_floor(after=after, since=since), chunk=chunk)

    def get_by_id(self, *, environment: str, target: ImportTarget, identifier: str) -> StoredChange | None:
        """The record (or tombstone) with this record id (the article number of a product)."""
        item = self._table.get({"pk": f"ENV#{environment}#{KIND_CODES[target]}#{identifier}", "sk": RECORD_SK})
        return _change(item) if item and "changed_sk" in item else None

    def remove(self, *, environment: str, target: ImportTarget, identifier: str, removed_at: dt.datetime,
               run_id: str | None = None, listed_position: str | None = None) -> bool:
        """Turn a live record into its tombstone; False when there is no such live record (or, with
        ``listed_position``, when it changed since it was listed there: a concurrent write wins)."""
        changed = iso(removed_at)
        condition = "attribute_exists(pk) AND attribute_not_exists(deleted)"
        values: dict[str, Any] = {":yes": True, ":changed": changed, ":sk": f"{changed}#{identifier}"}
        if listed_position is not None:
            condition += " AND changed_sk = :listed"
            values[":listed"] = listed_position
        update = "SET deleted = :yes, changed_at = :changed, changed_sk = :sk"
        if run_id:
            update += ", run_id = :run"
            values[":run"] = run_id
        update += " REMOVE row_hash, subject_pk, subject_sk" + ("" if run_id else ", run_id")
        try:
            self._table.update({"pk": f"ENV#{environment}#{KIND_CODES[target]}#{identifier}", "sk": RECORD_SK},
                               update=update, condition=condition, values=values)
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def remove_listed(self, *, environment: str, target: ImportTarget, listed: Sequence[StoredChange],
                      removed_at: dt.datetime, run_id: str | None) -> int:
        """Tombstone these listed records unless they changed since they were listed; how many were removed."""
        done = self._each(lambda change: self.remove(environment=environment, target=target,
                                                     identifier=change.record_id, removed_at=removed_at,
                                                     run_id=run_id, listed_position=change.position), list(listed))
        return sum(1 for removed in done if removed)

    def about(self, *, environment: str, subjects: Sequence[str]) -> dict[ImportTarget, list[StoredChange]]:
        """The live conditions and attachments whose subject is one of ``subjects``, per kind."""
        found: dict[ImportTarget, list[StoredChange]] = {}
        for subject in subjects:
            for items, _ in self._table.query_pages(key_condition="subject_pk = :subject",
                                                    values={":subject": subject_pk(environment, subject)},
                                                    index=SUBJECT_INDEX):
                for item in items:
                    target = KINDS.get(str(item["subject_sk"]).partition("#")[0])
                    if target is not None and not item.get("deleted"):
                        found.setdefault(target, []).append(_change(item))
        return found

    # --- concurrency and retries ----------------------------------------------------------------
    def _each(self, call: Callable[[_Request], _Result], requests: Sequence[_Request]) -> list[_Result]:
        """``call`` on every request, up to ``concurrency`` of them at once; the results in request order.

        The requests of one call are independent (distinct keys), so their order does not matter; the first
        error is raised once the requests started before it have ended.
        """
        if self._concurrency <= 1 or len(requests) <= 1:
            return [call(request) for request in requests]
        return list(self._executor().map(call, requests))

    def _executor(self) -> ThreadPoolExecutor:
        # One small pool per repository, made on first use and kept (the wiring keeps one repository per
        # process, so a warm function reuses its threads).
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="catalog")
            return self._pool

    def _batch_get(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        return batch_get_retrying(self._table, request, max_attempts=self._max_attempts, back_off=self._back_off,
                                  failure=lambda: CatalogWriteError(
                                      f"catalog reads still unprocessed after {self._max_attempts} attempts"))

    def _batch_write(self, request: dict[str, Any]) -> None:
        batch_write_retrying(self._table, request, max_attempts=self._max_attempts, back_off=self._back_off,
                             failure=lambda: CatalogWriteError(
                                 f"catalog writes still unprocessed after {self._max_attempts} attempts"))

    def _back_off(self, attempt: int) -> None:
        self._sleep(min(self._base_delay * (2 ** attempt), 5.0))
