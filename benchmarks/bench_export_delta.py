"""Delta export reads (issue 9, benchmark 3): with 1 % of ``RECORDS`` products changed since the last run, the
export's catalog read (``FeedExportCatalog`` over the change feed) reads the changed records, not the catalog:
``delta_items_read_fraction`` is the index items DynamoDB returned over the catalog's size (target <= 2 %). The
full read of the same catalog is measured too (items and seconds), as the baseline.

The CatalogTable of the template is on moto in this process (``mock_aws``); the scale is set by
``BENCH_DELTA_RECORDS`` (default 10,000, scaled down from the issue's 100k: moto reads and writes a few thousand
items a second on a shared machine, and the fraction read does not depend on the catalog's size: the feed queries
an index range per shard).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal
from typing import Any

from benchmarks.bench_catalog_write import _create_catalog_table

RECORDS = int(os.environ.get("BENCH_DELTA_RECORDS", "10000"))
CHANGED_FRACTION = 0.01
T0 = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def _products(numbers: range, *, offset: int = 0) -> list[Any]:
    from pimtasks.catalog.models import Product
    from pimtasks.services.catalog_writer import planned_write

    return [planned_write(Product(article_number=f"A-{index:07d}", gross_price=Decimal(index % 997 + offset) / 4,
                                  descriptions={"nl": f"Kraan \u2013 {index}"}, brand="Voorbeeld"))
            for index in numbers]


def run() -> dict[str, Any]:
    from moto import mock_aws

    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-1"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from pimtasks.adapters.aws_clients import client, reset_clients
        from pimtasks.adapters.catalog_repository import CatalogRepository
        from pimtasks.adapters.dynamo import DynamoTable
        from pimtasks.adapters.export_catalog import FeedExportCatalog
        from pimtasks.domain.task_types import ImportTarget

        reset_clients()
        table = _create_catalog_table(client("dynamodb"))
        catalog = CatalogRepository(table=DynamoTable(table_name=table), sleep=lambda seconds: None)
        step = round(1 / CHANGED_FRACTION)
        for start in range(0, RECORDS, 2000):
            catalog.put_many(environment="000001", target=ImportTarget.PRODUCTS, changed_at=T0, run_id=None,
                             records=_products(range(start, min(start + 2000, RECORDS))))
        changed = _products(range(0, RECORDS, step), offset=1)
        catalog.put_many(environment="000001", target=ImportTarget.PRODUCTS, records=changed, changed_at=T1,
                         run_id=None)

        def read(since: dt.datetime | None) -> tuple[int, int, float]:
            reader = FeedExportCatalog(catalog=catalog)
            started = time.perf_counter()
            count = sum(1 for _ in reader.records_for_export(environment="000001", entity=ImportTarget.PRODUCTS,
                                                              since=since))
            return count, reader.items_read, time.perf_counter() - started

        delta_count, delta_items, delta_seconds = read(T1)
        full_count, full_items, full_seconds = read(None)
        reset_clients()
    assert delta_count == len(changed) and full_count == RECORDS
    return {
        "records": RECORDS, "changed": len(changed), "delta_records": delta_count,
        "delta_items_read": delta_items, "delta_items_read_fraction": round(delta_items / RECORDS, 4),
        "target_delta_items_read_fraction": 0.02, "full_items_read": full_items,
        "delta_read_seconds": round(delta_seconds, 2), "full_read_seconds": round(full_seconds, 2),
        "ratio_full_to_delta_seconds": round(full_seconds / delta_seconds, 1),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
