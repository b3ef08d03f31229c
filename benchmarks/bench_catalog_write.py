"""Catalog write rate: 5,000 products through the import's catalog writer (read stored hashes, decide, write
in batches of 25) into the CatalogTable of the template on a moto server, as a ratio to raw
``batch_write_item`` of the same items (prebuilt, 25 per call) against the same server in the same run
(target >= 0.7). Also: re-importing the same records (all ``unchanged``: reads only) and changing all of them.
Comparing records with the catalog must cost less than writing them: ``ratio_unchanged_to_create`` (seconds
of the re-import over seconds of creating the same records, target < 1).

The emulator shares this process (and its GIL), so single figures wobble by +-15 %: three rounds, raw and
catalog in alternating order, each on fresh keys; the figures are the medians.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.support import moto_server

ROOT = Path(__file__).resolve().parents[1]
ITEMS = 5000
IMPORT_BATCH = 500
RAW_BATCH = 25
ROUNDS = 3


class _Clock:
    def now(self) -> dt.datetime:
        return dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _create_catalog_table(client: Any) -> str:
    from pimtasks_local.template import load_template

    properties = load_template(ROOT / "infra" / "template.yaml")["Resources"]["CatalogTable"]["Properties"]
    client.create_table(TableName="CatalogTable", BillingMode=properties["BillingMode"],
                        AttributeDefinitions=properties["AttributeDefinitions"], KeySchema=properties["KeySchema"],
                        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"])
    return "CatalogTable"


def _mapped_products(count: int, *, price_offset: int = 0) -> list[Any]:
    from pimtasks.catalog.models import Product
    from pimtasks.imports import MappedRecord

    records = []
    for index in range(count):
        product = Product(article_number=f"A-{index:07d}", gross_price=Decimal(index % 997 + price_offset) / 4,
                          descriptions={"nl": f"Installatiekabel {index}", "en": f"Installation cable {index}"},
                          brand="Voorbeeld", discount_group=f"DG{index % 40:02d}", order_unit="MTR",
                          custom_fields={"colour": "grey"})
        records.append(MappedRecord("bench.csv", None, index + 2, product, product.natural_key(),
                                    frozenset({"article_number", "gross_price", "descriptions.nl", "descriptions.en",
                                               "brand", "discount_group", "order_unit", "custom_fields.colour"})))
    return records


def _raw_requests(table: str, environment: str, records: list[Any]) -> list[dict[str, Any]]:
    from pimtasks.adapters.catalog_repository import _put_request
    from pimtasks.domain.task_types import ImportTarget
    from pimtasks.services.catalog_writer import planned_write, row_hash

    changed = "2026-11-23T12:00:00.000Z"
    return [_put_request(environment=environment, target=ImportTarget.PRODUCTS,
                         record=planned_write(r.record, row_hash=row_hash(r)), changed=changed, run_id="bench")
            for r in records]


def _raw_write(client: Any, table: str, requests: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for start in range(0, len(requests), RAW_BATCH):
        response = client.batch_write_item(RequestItems={table: requests[start:start + RAW_BATCH]})
        assert not response.get("UnprocessedItems"), "the emulator does not throttle"
    return time.perf_counter() - started


def _catalog_write(writer: Any, environment: str, records: list[Any]) -> tuple[float, dict[str, int]]:
    from pimtasks.domain.task_types import ImportMode, ImportTarget

    totals = {"created": 0, "updated": 0, "unchanged": 0}
    started = time.perf_counter()
    for start in range(0, len(records), IMPORT_BATCH):
        outcome = writer.write(environment=environment, target=ImportTarget.PRODUCTS, mode=ImportMode.UPSERT,
                               records=records[start:start + IMPORT_BATCH], run_id="bench")
        for name in totals:
            totals[name] += getattr(outcome, name)
    return time.perf_counter() - started, totals


def _round(number: int, *, dynamodb: Any, table: str, records: list[Any], changed: list[Any]) -> dict[str, float]:
    """One round on fresh keys: seconds of raw writes, and of catalog creates, re-imports and updates."""
    from pimtasks.adapters.catalog_repository import CatalogRepository
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.services.catalog_writer import CatalogWriter

    writer = CatalogWriter(store=CatalogRepository(table=DynamoTable(table_name=table, dynamodb_client=dynamodb)),
                           clock=_Clock())
    raw_environment, catalog_environment = f"9{number}0001", f"9{number}0002"
    requests = _raw_requests(table, raw_environment, records)
    seconds: dict[str, float] = {}
    if number % 2:
        seconds["raw"] = _raw_write(dynamodb, table, requests)
    seconds["create"], created = _catalog_write(writer, catalog_environment, records)
    if not number % 2:
        seconds["raw"] = _raw_write(dynamodb, table, requests)
    seconds["unchanged"], unchanged = _catalog_write(writer, catalog_environment, records)
    seconds["update"], updated = _catalog_write(writer, catalog_environment, changed)
    assert created["created"] == unchanged["unchanged"] == updated["updated"] == ITEMS
    return seconds


def run() -> dict[str, Any]:
    with moto_server():
        from pimtasks.adapters.aws_clients import client, reset_clients

        reset_clients()
        dynamodb = client("dynamodb")
        table = _create_catalog_table(dynamodb)
        records, changed = _mapped_products(ITEMS), _mapped_products(ITEMS, price_offset=1)
        rounds = [_round(number, dynamodb=dynamodb, table=table, records=records, changed=changed)
                  for number in range(ROUNDS)]
        reset_clients()

    def median(name: str) -> float:
        return statistics.median(r[name] for r in rounds)

    def ratio(name: str) -> float:
        return round(statistics.median(r["raw"] / r[name] for r in rounds), 2)

    return {
        "items": ITEMS,
        "rounds": ROUNDS,
        "raw_batch_write_items_per_s": round(ITEMS / median("raw"), 1),
        "catalog_create_items_per_s": round(ITEMS / median("create"), 1),
        "catalog_unchanged_items_per_s": round(ITEMS / median("unchanged"), 1),
        "catalog_update_items_per_s": round(ITEMS / median("update"), 1),
        "ratio_create_to_raw": ratio("create"),
        "ratio_create_to_raw_per_round": [round(r["raw"] / r["create"], 2) for r in rounds],
        "ratio_unchanged_to_raw": ratio("unchanged"),
        "ratio_update_to_raw": ratio("update"),
        "target_ratio": 0.7,
        "ratio_unchanged_to_create": round(statistics.median(r["unchanged"] / r["create"] for r in rounds), 2),
        "ratio_unchanged_to_create_target": "< 1",
    }


if __name__ == "__main__":
    print(run())
