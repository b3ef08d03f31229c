"""``ExportCatalog`` over the catalog's change feed (``CatalogRepository.changes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pimtasks.adapters.catalog_repository import CatalogRepository
from pimtasks.clock import parse_iso
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.export_ports import ExportRecord

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
READ_CHUNK = 500
"""Index items per shard query: a full export reads big pages; the merge still reads only as far as it needs."""


class FeedExportCatalog:
    def __init__(self, *, catalog: CatalogRepository, chunk: int = READ_CHUNK) -> None:
        self._catalog = catalog
        self._chunk = chunk
        self.items_read = 0

    def records_for_export(self, *, environment: str, entity: ImportTarget, since: dt.datetime | None,
                           after: str | None = None) -> Iterator[ExportRecord]:
        feed = self._catalog.changes(environment=environment, target=entity, after=after, since=since,
                                     chunk=self._chunk)
        try:
            for change in feed:
                yield ExportRecord(record_id=change.record_id, key=change.key, data=change.data,
                                   changed_at=parse_iso(change.changed_at) if change.changed_at else _EPOCH,
                                   position=change.position, deleted=change.deleted)
        finally:
            self.items_read += feed.items_read
