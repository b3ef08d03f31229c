"""Reading the catalog page by page, one record with what belongs to it, and removing one record.

A listing is the store's change feed (``CatalogReader.changes``): records in ``changed_at`` order (ties by
record id), read from an index, so a page costs what it holds, never a scan of the environment.

- **Tombstones** come only in a delta (``changed_since`` given, or a cursor of one): a reader that asks
  "what changed since" must learn of removals, while a full listing is the catalog as it is.
- **Cursor**: opaque (``page_tokens``: base64url JSON, validated strictly, so a garbled or forged one is a
  422 naming ``cursor``); it holds the entity, the last position handled and whether the listing is a delta.
  It carries no authority: the environment comes from the path, which the caller must be allowed, so a
  well-formed cursor pointing elsewhere only moves within the caller's own catalog.
- **Field filters** (``brand=Acme``) compare a record's scalar fields with the value read as the field's type
  (``12.50`` equals ``12.5``), applied to each listed record; a page stops after ``EXAMINE_LIMIT`` listed
  records even if it is not full (its cursor continues there), so a rare value never makes one call read
  the whole catalog.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pimtasks.catalog.models import Attachment, CatalogRecord, Product, SalesCondition, User
from pimtasks.catalog.subjects import product_subjects
from pimtasks.clock import Clock
from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.task_types import ImportTarget
from pimtasks.errors import NotFoundError, ValidationFailedError
from pimtasks.services.catalog_ports import CatalogReader
from pimtasks.services.page_tokens import decode_page_token, encode_page_token

MAX_PAGE_SIZE = 1000
EXAMINE_LIMIT = 5000
"""Listed records one page looks at, at most, to fill itself with records that pass its filters."""
CURSOR_FIELD = "cursor"
MODELS: dict[ImportTarget, type[CatalogRecord]] = {
    ImportTarget.PRODUCTS: Product,
    ImportTarget.SALES_CONDITIONS: SalesCondition,
    ImportTarget.ATTACHMENTS: Attachment,
    ImportTarget.USERS: User,
}
_POSITION_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,12}Z#[^\x00-\x1f]{1,200}$"


class _Cursor(BaseModel):
    """Where the next page starts (the token's content)."""

    model_config = ConfigDict(extra="forbid")

    entity: str = Field(max_length=40)
    after: str = Field(pattern=_POSITION_PATTERN)
    delta: bool


@dataclass(frozen=True)
class CatalogPage:
    """One page: records (and, in a delta, tombstones) in change order; ``next_cursor`` None at the end."""

    items: list[StoredChange]
    next_cursor: str | None
    items_read: int
    """Items the store returned for this page (what it cost)."""


@dataclass(frozen=True)
class RecordDetail:
    """A live record and, for a product, its sales conditions and attachments."""

    record: StoredChange
    related: dict[ImportTarget, list[StoredChange]] = field(default_factory=dict)


def _is_scalar(annotation: Any) -> bool:
    """A field holding one value (text, number, date, enum), not a list, dict or nested model."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_scalar(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return all(arg is type(None) or _is_scalar(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        return False
    return not (isinstance(annotation, type) and issubclass(annotation, BaseModel | list | dict))


@lru_cache(maxsize=len(ImportTarget))
def filter_fields(target: ImportTarget) -> tuple[str, ...]:
    """The fields of ``target`` a listing can be filtered by (its scalar fields), in model order."""
    return tuple(name for name, info in MODELS[target].model_fields.items() if _is_scalar(info.annotation))


@lru_cache(maxsize=128)  # one per field of the four kinds (about 50)
def _adapter(target: ImportTarget, name: str) -> TypeAdapter[Any]:
    return TypeAdapter(MODELS[target].model_fields[name].annotation)


RecordFilter = Callable[[dict[str, Any]], bool]


def record_filter(target: ImportTarget, filters: Mapping[str, str]) -> RecordFilter:
    """A predicate over stored data: every ``field=value`` holds; a 422 naming an unknown field or a bad value."""
    valid = filter_fields(target)
    wanted: dict[str, Any] = {}
    for name, text in filters.items():
        if name not in valid:
            raise ValidationFailedError(field=name, message=f"not a field {target.value} can be filtered by; "
                                                            f"valid: {', '.join(valid)}")
        try:
            wanted[name] = _adapter(target, name).validate_python(text)
        except ValidationError as exc:
            raise ValidationFailedError(field=name, message=exc.errors()[0]["msg"]) from exc

    def matches(data: dict[str, Any]) -> bool:
        for name, value in wanted.items():
            stored = data.get(name)
            if stored is None:
                return False
            try:
                if _adapter(target, name).validate_python(stored) != value:
                    return False
            except ValidationError:  # a value stored before a rule tightened: not the one asked for
                return False
        return True

    return matches


STORE_SHARDS = 16
"""The listing's shards (``adapters.catalog_repository.SHARDS``): a page's reads are spread over them."""


def _chunk_for(limit: int) -> int:
    # Each shard is read this many items at a time: a page and a quarter over all of them, so a page costs
    # about one query per shard and few items it does not use (records spread evenly over the shards).
    return max(8, min(1000, (limit + 1) * 5 // (4 * STORE_SHARDS) + 1))


class CatalogReadService:
    """The catalog's read API and single-record removal (``api.routes_catalog``; exports read the same way)."""

    def __init__(self, *, catalog: CatalogReader, clock: Clock) -> None:
        self._catalog = catalog
        self._clock = clock

    def page(self, *, environment: str, entity: ImportTarget, limit: int, cursor: str | None = None,
             changed_since: dt.datetime | None = None, filters: Mapping[str, str] | None = None) -> CatalogPage:
        """Up to ``limit`` records of ``entity`` in change order (see the module docstring)."""
        start = self._decode(cursor, entity)
        delta = start.delta if start is not None else changed_since is not None
        matches = record_filter(entity, filters or {})
        listing = self._catalog.changes(environment=environment, target=entity,
                                        after=start.after if start else None, since=changed_since,
                                        chunk=_chunk_for(limit))
        items: list[StoredChange] = []
        last: str | None = None
        more = False
        for examined, change in enumerate(listing):
            if len(items) >= limit or examined >= EXAMINE_LIMIT:
                more = True  # one beyond the page exists: the next page starts after the last one examined
                break
            last = change.position
            if (delta or not change.deleted) and matches(change.data):
                items.append(change)
        next_cursor = None
        if more and last is not None:
            next_cursor = encode_page_token(_Cursor(entity=entity.value, after=last, delta=delta))
        return CatalogPage(items=items, next_cursor=next_cursor, items_read=listing.items_read)

    def record(self, *, environment: str, entity: ImportTarget, record_id: str) -> RecordDetail:
        """The live record (a product with its conditions and attachments); ``NotFoundError`` otherwise."""
        found = self._live(environment, entity, record_id)
        if entity is not ImportTarget.PRODUCTS:
            return RecordDetail(record=found)
        related = self._catalog.about(environment=environment, subjects=product_subjects(found.data))
        return RecordDetail(record=found, related={target: related.get(target, [])
                                                   for target in (ImportTarget.SALES_CONDITIONS,
                                                                  ImportTarget.ATTACHMENTS)})

    def remove(self, *, environment: str, entity: ImportTarget, record_id: str) -> None:
        """Remove one live record, leaving its tombstone for deltas; ``NotFoundError`` when there is none."""
        if not self._catalog.remove(environment=environment, target=entity, identifier=record_id,
                                    removed_at=self._clock.now()):
            raise _not_found(entity, record_id)

    def _live(self, environment: str, entity: ImportTarget, record_id: str) -> StoredChange:
        found = self._catalog.get_by_id(environment=environment, target=entity, identifier=record_id)
        if found is None or found.deleted:
            raise _not_found(entity, record_id)
        return found

    @staticmethod
    def _decode(cursor: str | None, entity: ImportTarget) -> _Cursor | None:
        start = decode_page_token(cursor, position=_Cursor, field=CURSOR_FIELD)
        if start is not None and start.entity != entity.value:
            raise ValidationFailedError(field=CURSOR_FIELD, message=f"a cursor of {start.entity}, not of "
                                                                    f"{entity.value} (list again without it)")
        return start


def _not_found(entity: ImportTarget, record_id: str) -> NotFoundError:
    return NotFoundError(f"no {entity.value} record {record_id!r} in this environment's catalog")
