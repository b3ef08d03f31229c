"""``CatalogChanges`` over the catalog table's listing index, until change tracking with tombstones lands.

Until then the catalog keeps no record of removals, so no removal is ever listed here. The listing reads the
sharded index shard by shard, each by change time (``CatalogRepository.list_records``); a change's position is
``<shard>#<changed_sk>``, which sorts in exactly that order, so a reader resumes after a position by skipping
what it already handled. A product changed again while a reader is on its way moves behind it and is read again
(its newest data), never skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from pimtasks.adapters.catalog_repository import CatalogRepository, record_id, shard_of
from pimtasks.clock import parse_iso
from pimtasks.domain.catalog_changes import ProductChange
from pimtasks.domain.task_types import ImportTarget

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ListedCatalogChanges:
    def __init__(self, *, catalog: CatalogRepository) -> None:
        self._catalog = catalog

    def changed_products(self, *, environment: str, since: dt.datetime | None,
                         after: str | None = None) -> Iterator[ProductChange]:
        for record in self._catalog.list_records(environment=environment, target=ImportTarget.PRODUCTS,
                                                 changed_since=since):
            identifier = record_id(record.key)
            changed = record.changed_at or ""
            position = f"{shard_of(identifier):02d}#{changed}#{identifier}"
            if after is not None and position <= after:
                continue
            yield ProductChange(article_number=record.key[0], data=record.data,
                                changed_at=parse_iso(changed) if changed else _EPOCH, position=position)

    def current_products(self, *, environment: str,
                         article_numbers: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        unique = list(dict.fromkeys(article_numbers))
        found = self._catalog.get_many(environment=environment, target=ImportTarget.PRODUCTS,
                                       keys=[(number,) for number in unique])
        return {number: (found[(number,)].data if (number,) in found else None) for number in unique}
