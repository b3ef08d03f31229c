"""Magento tasks on moto: the import harness's core services and catalog, the push state in the catalog table,
secrets in memory, and a local Magento server (``tests.support.magento_server``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pytest
from pimtasks.adapters.admin_repository import AdminRepository
from pimtasks.adapters.catalog_changes import FeedCatalogChanges
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.magento_state_repository import MagentoStateRepository
from pimtasks.catalog.models import Product
from pimtasks.domain.run import Run
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.domain.task_types import ImportTarget, TaskType
from pimtasks.magento.client import RetryPolicy
from pimtasks.services.catalog_writer import planned_write
from pimtasks.services.delta_window import DeltaWindow
from pimtasks.workers import NotAvailableWorker, TaskWorker, WorkerFactory
from pimtasks.workers.magento_worker import MagentoWorker
from pydantic import TypeAdapter

from tests.integration.core.harness import REGION, TABLES
from tests.integration.imports.harness import Imports, import_services
from tests.integration.imports.task_harness import MemorySecrets, TaskHarness
from tests.support.magento_server import MagentoServer

ENV = "000001"
TOKEN_SECRET = "shop-token"
STORE_VIEWS = {"en": "default", "nl": "nl", "de": "de"}
_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec)


def product(number: int, **overrides: Any) -> Product:
    """P-0000..: a price, descriptions in English, Dutch and (every other one) German, a brand."""
    descriptions = {"en": f"Product {number}", "nl": f"Product {number} NL"}
    if number % 2 == 0:
        descriptions["de"] = f"Produkt {number}"
    values: dict[str, Any] = {"article_number": f"P-{number:04d}", "descriptions": descriptions,
                              "gross_price": Decimal(f"{number}.50"), "brand": f"Brand {number % 3}"}
    values.update(overrides)
    return Product(**values)


def put_products(imports: Imports, products: list[Product]) -> None:
    """Write products into the catalog a second after everything before (so change windows can tell them apart)."""
    imports.core.clock.advance(seconds=1)
    imports.catalog.put_many(environment=ENV, target=ImportTarget.PRODUCTS,
                             records=[planned_write(p) for p in products], changed_at=imports.core.clock.now(),
                             run_id=None)
    imports.core.clock.advance(seconds=1)


@dataclass
class MagentoTasks(TaskHarness):
    shop: MagentoServer
    state: MagentoStateRepository

    def create_task(self, **settings: Any) -> Task:
        document = {"base_url": self.shop.url, "access_token": TOKEN_SECRET, "store_views": STORE_VIEWS,
                    "open_operations_minutes": 2, **settings}
        spec = _SPEC.validate_python({"type": "magento", "description": "Push to the web shop",
                                      "frequency": {"every": "day", "time": "06:00"},
                                      "notification": {"emails": ["shop@example.com"], "when": "always"},
                                      "settings": document})
        return self.core.tasks.create(environment=ENV, spec=spec)

    def put_products(self, products: list[Product]) -> None:
        put_products(self.imports, products)

    def worker(self, **options: Any) -> MagentoWorker:
        return MagentoWorker(changes=FeedCatalogChanges(catalog=self.imports.catalog), state=self.state,
                             delta=DeltaWindow(runs=self.core.run_store), clock=self.core.clock,
                             retry=RetryPolicy(base_delay_seconds=0.001, max_delay_seconds=0.01),
                             http_sleep=lambda seconds: None, **options)

    def workers(self, **options: Any) -> WorkerFactory:  # type: ignore[override]
        worker = self.worker(**options)

        def factory(task_type: TaskType) -> TaskWorker:
            return worker if task_type is TaskType.MAGENTO else NotAvailableWorker(task_type)

        return factory

    def bulk_items_sent(self) -> int:
        return sum(r.items or 0 for r in self.shop.requests("/async/bulk/"))


def scope_lines(run: Run) -> dict[str, str]:
    """The report's count line per scope ("global values ...", "store view nl ...")."""
    lines = {}
    for message in run.messages:
        head, _, rest = message.text.partition(": selected ")
        if rest:
            lines[head.split(" (")[0]] = "selected " + rest
    return lines


@contextmanager
def magento_tasks(monkeypatch: pytest.MonkeyPatch, **server: Any) -> Iterator[MagentoTasks]:
    with import_services(monkeypatch) as imports, MagentoServer(**server) as shop:
        for code in ("nl", "de"):
            shop.add_store(code)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        state = MagentoStateRepository(table=DynamoTable(table_name=TABLES["CatalogTable"], dynamodb_client=dynamodb),
                                       sleep=lambda seconds: None)
        admin = AdminRepository(table=DynamoTable(table_name=TABLES["AdminTable"], dynamodb_client=dynamodb))
        tasks = MagentoTasks(imports=imports, shop=shop, state=state, secrets=MemorySecrets(), admin=admin)
        tasks.set_secret(TOKEN_SECRET, "integration-token")
        yield tasks

