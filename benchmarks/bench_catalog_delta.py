"""Delta read of the catalog: 100,000 products, 1 % of them changed later; reading ``changed_since`` through the
catalog read service (the API's path) must read at most 2 % of the catalog's items from DynamoDB (an index range,
not a scan), measured against a full read of the same catalog (the same index, in the largest chunks) in the
same run.

Items read are DynamoDB's own count (``ScannedCount`` of every Query), taken by a counting wrapper around the
client, so a filter or a scan could not hide what it cost. Seconds are reported too (moto in this process: they
show the shape, the item counts are the figure).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from benchmarks.bench_catalog_write import _create_catalog_table
from benchmarks.support import moto_server

PRODUCTS = 100_000
CHANGED = PRODUCTS // 100
PAGE = 1000
T0 = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(days=1)
TARGET_RATIO = 0.02


class CountingClient:
    """A DynamoDB client that counts the items each Query read (``ScannedCount``) and the Query calls."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.items_read = 0
        self.queries = 0

    def query(self, **kwargs: Any) -> Any:
        response = self._inner.query(**kwargs)
        self.items_read += int(response.get("ScannedCount", len(response.get("Items", []))))
        self.queries += 1
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def reset(self) -> None:
        self.items_read = self.queries = 0


class _Clock:
    def now(self) -> dt.datetime:
        return T1 + dt.timedelta(hours=1)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _write(repository: Any, numbers: range, *, at: dt.datetime, brand: str) -> None:
    from pimtasks.catalog.models import Product
    from pimtasks.domain.task_types import ImportTarget
    from pimtasks.services.catalog_writer import planned_write

    step = 5000
    for start in range(numbers.start, numbers.stop, step):
        records = [planned_write(Product(article_number=f"A-{n:07d}", brand=brand, discount_group=f"DG{n % 40:02d}"))
                   for n in range(start, min(start + step, numbers.stop))]
        repository.put_many(environment="000001", target=ImportTarget.PRODUCTS, records=records, changed_at=at,
                            run_id=None)


def _read_all(service: Any, *, since: dt.datetime | None) -> tuple[int, int, float]:
    """(records and removals listed, pages, seconds) of reading every page."""
    from pimtasks.domain.task_types import ImportTarget

    started = time.perf_counter()
    listed, pages, cursor = 0, 0, None
    while True:
        page = service.page(environment="000001", entity=ImportTarget.PRODUCTS, limit=PAGE, cursor=cursor,
                            changed_since=since)
        listed += len(page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return listed, pages, time.perf_counter() - started


def _full_read(repository: Any) -> tuple[int, int, float]:
    """The baseline: every product through the same index and merge, in the largest chunks (fewest extra items;
    the emulator answers each index query in time proportional to the whole table, so pages of the API's size
    would take hours here)."""
    from pimtasks.domain.task_types import ImportTarget

    started = time.perf_counter()
    feed = repository.changes(environment="000001", target=ImportTarget.PRODUCTS, chunk=PRODUCTS // 16 + 1)
    listed = sum(1 for change in feed if not change.deleted)
    return listed, 1, time.perf_counter() - started


def run() -> dict[str, Any]:
    with moto_server():
        from pimtasks.adapters.aws_clients import client, reset_clients
        from pimtasks.adapters.catalog_repository import CatalogRepository
        from pimtasks.adapters.dynamo import DynamoTable
        from pimtasks.services.catalog_reading import CatalogReadService

        reset_clients()
        counting = CountingClient(client("dynamodb"))
        table = _create_catalog_table(counting)
        repository = CatalogRepository(table=DynamoTable(table_name=table, dynamodb_client=counting))
        started = time.perf_counter()
        _write(repository, range(PRODUCTS), at=T0, brand="Voorbeeld")
        changed = range(0, PRODUCTS, PRODUCTS // CHANGED)  # spread over the key space (and the shards)
        _write_changed(repository, changed)
        seeded = time.perf_counter() - started
        service = CatalogReadService(catalog=repository, clock=_Clock())

        counting.reset()
        full_listed, full_pages, full_seconds = _full_read(repository)
        full_items, full_queries = counting.items_read, counting.queries
        counting.reset()
        delta_listed, delta_pages, delta_seconds = _read_all(service, since=T1)
        delta_items, delta_queries = counting.items_read, counting.queries
        reset_clients()

    ratio = delta_items / full_items
    return {
        "products": PRODUCTS, "changed": CHANGED, "page_size": PAGE, "seed_seconds": round(seeded, 1),
        "full_read": {"listed": full_listed, "items_read": full_items, "queries": full_queries, "pages": full_pages,
                      "seconds": round(full_seconds, 2)},
        "delta_read": {"listed": delta_listed, "items_read": delta_items, "queries": delta_queries,
                       "pages": delta_pages, "seconds": round(delta_seconds, 3)},
        "delta_items_to_full_items": round(ratio, 4),
        "delta_items_to_catalog": round(delta_items / PRODUCTS, 4),
        "delta_seconds_to_full_seconds": round(delta_seconds / full_seconds, 4),
        "target_ratio": f"<= {TARGET_RATIO}",
        "ok": ratio <= TARGET_RATIO and delta_listed == CHANGED and full_listed == PRODUCTS,
    }


def _write_changed(repository: Any, changed: range) -> None:
    from pimtasks.catalog.models import Product
    from pimtasks.domain.task_types import ImportTarget
    from pimtasks.services.catalog_writer import planned_write

    records = [planned_write(Product(article_number=f"A-{n:07d}", brand="Gewijzigd", discount_group=f"DG{n % 40:02d}"))
               for n in changed]
    repository.put_many(environment="000001", target=ImportTarget.PRODUCTS, records=records, changed_at=T1,
                        run_id=None)


if __name__ == "__main__":
    print(run())
