"""API models of the catalog read API: a listed record (or a removal), a page, a record with its relations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.catalog_reading import CatalogPage, RecordDetail


class CatalogRecordOut(BaseModel):
    """One catalog record as listed: its id, when it last changed, and its data (a removal: its last data)."""

    record_id: str = Field(description="The id in the record's URL: a product's article number, else a digest "
                                       "of the record's natural key")
    key: list[str] = Field(description="The record's natural key (the key fields' values, empty for absent ones)")
    changed_at: str = Field(description="When its content last changed (RFC 3339, UTC)")
    removed: bool = Field(description="True for a removal (API delete or a full import); only listed in deltas")
    data: dict[str, Any] = Field(description="The record's fields (for a removal: as they were before)")

    @classmethod
    def of(cls, change: StoredChange) -> CatalogRecordOut:
        return cls(record_id=change.record_id, key=list(change.key), changed_at=change.changed_at,
                   removed=change.deleted, data=change.data)


class CatalogPageOut(BaseModel):
    items: list[CatalogRecordOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last one")

    @classmethod
    def of(cls, page: CatalogPage) -> CatalogPageOut:
        return cls(items=[CatalogRecordOut.of(c) for c in page.items], next_cursor=page.next_cursor)


class CatalogRecordDetailOut(CatalogRecordOut):
    """A live record; a product comes with the sales conditions and attachments about it."""

    sales_conditions: list[CatalogRecordOut] | None = Field(
        default=None, description="Products only: conditions on its article number, GTIN or discount group")
    attachments: list[CatalogRecordOut] | None = Field(default=None, description="Products only: its attachments")

    @classmethod
    def of_detail(cls, detail: RecordDetail) -> CatalogRecordDetailOut:
        base = CatalogRecordOut.of(detail.record).model_dump()
        related = {target.value: [CatalogRecordOut.of(c) for c in changes]
                   for target, changes in detail.related.items()
                   if target in (ImportTarget.SALES_CONDITIONS, ImportTarget.ATTACHMENTS)}
        return cls(**base, **related)
