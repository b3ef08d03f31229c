"""``CatalogChanges`` over the catalog's change feed (``CatalogRepository.changes``), removals included.

The feed merges the listing index's shards into one order by ``changed_sk`` (``<changed_at>#<record id>``),
which is also a change's ``position``: a reader resumes after the last position it handled, and a product
changed again while a reader is on its way moves behind it and is read again (its newest data), never
skipped. A removed product (API delete, ``full`` import) comes as its tombstone: ``data`` None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from pimtasks.adapters.catalog_repository import CatalogRepository
from pimtasks.clock import parse_iso
from pimtasks.domain.catalog_changes import ProductChange
from pimtasks.domain.task_types import ImportTarget

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class FeedCatalogChanges:
    def __init__(self, *, catalog: CatalogRepository) -> None:
        self._catalog = catalog

    def changed_products(self, *, environment: str, since: dt.datetime | None,
                         after: str | None = None) -> Iterator[ProductChange]:
        for change in self._catalog.changes(environment=environment, target=ImportTarget.PRODUCTS, after=after,
                                            since=since):
            yield ProductChange(article_number=change.key[0], data=None if change.deleted else change.data,
                                changed_at=parse_iso(change.changed_at) if change.changed_at else _EPOCH,
                                position=change.position)

    def current_products(self, *, environment: str,
                         article_numbers: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        unique = list(dict.fromkeys(article_numbers))
        found = self._catalog.get_many(environment=environment, target=ImportTarget.PRODUCTS,
                                       keys=[(number,) for number in unique])
        return {number: (found[(number,)].data if (number,) in found else None) for number in unique}
