"""Import 2BA tasks on moto: the import harness's core services and catalog, the 2BA state in the catalog table,
secrets in memory, and the local Product Data OpenAPI server (``tests.support.twoba_server``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from pimtasks.adapters.admin_repository import AdminRepository
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.twoba_state_repository import TwobaStateRepository
from pimtasks.catalog.models import Product
from pimtasks.clock import SystemClock
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.domain.task_types import Import2baSettings, ImportTarget, TaskType
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.twoba.client import RetryPolicy, TwobaClient
from pimtasks.workers import NotAvailableWorker, TaskWorker, WorkerFactory
from pimtasks.workers.twoba_worker import TwobaWorker
from pydantic import TypeAdapter

from tests.integration.core.harness import REGION, TABLES
from tests.integration.imports.harness import import_services
from tests.integration.imports.task_harness import MemorySecrets, TaskHarness
from tests.support.twoba_server import TwobaServer

ENV = "000001"
SECRET = "twoba-secret"
_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec)


@dataclass
class TwobaTasks(TaskHarness):
    server: TwobaServer
    state: TwobaStateRepository

    def create_task(self, glns: list[str], **settings: Any) -> Task:
        document = {"client_id": self.server.client_id, "client_secret": SECRET, "supplier_glns": glns,
                    "api_url": f"{self.server.url}/v1", "token_url": f"{self.server.url}/connect/token", **settings}
        spec = _SPEC.validate_python({"type": "import_2ba", "description": "Daily 2BA import",
                                      "frequency": {"every": "day", "time": "05:00"},
                                      "notification": {"emails": ["pim@example.com"], "when": "always"},
                                      "settings": document})
        return self.core.tasks.create(environment=ENV, spec=spec)

    def source(self, settings: Import2baSettings, secret: str) -> TwobaClient:
        return TwobaClient(api_url=str(settings.api_url), token_url=str(settings.token_url),
                           client_id=settings.client_id, client_secret=secret, clock=SystemClock(),
                           retry=RetryPolicy(max_attempts=3), sleep=lambda seconds: None)

    def workers(self) -> WorkerFactory:
        worker = TwobaWorker(writer=CatalogWriter(store=self.imports.catalog, clock=self.core.clock),
                             state=self.state, source_factory=self.source, clock=self.core.clock)

        def factory(task_type: TaskType) -> TaskWorker:
            return worker if task_type is TaskType.IMPORT_2BA else NotAvailableWorker(task_type)

        return factory

    def product(self, article: str) -> Product | None:
        stored = self.imports.catalog.get(environment=ENV, target=ImportTarget.PRODUCTS, key=(article,))
        return None if stored is None else Product.model_validate(stored.data)


@contextmanager
def twoba_tasks(monkeypatch: pytest.MonkeyPatch, **server: Any) -> Iterator[TwobaTasks]:
    with import_services(monkeypatch) as imports, TwobaServer(**server) as pool:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        state = TwobaStateRepository(table=DynamoTable(table_name=TABLES["CatalogTable"], dynamodb_client=dynamodb),
                                     sleep=lambda seconds: None)
        admin = AdminRepository(table=DynamoTable(table_name=TABLES["AdminTable"], dynamodb_client=dynamodb))
        tasks = TwobaTasks(imports=imports, server=pool, state=state, secrets=MemorySecrets(), admin=admin)
        tasks.set_secret(SECRET, pool.client_secret)
        yield tasks
