"""Art-Connect tasks on moto: the import harness's core services, catalog and files bucket, the invoices table from
the template, secrets in memory, and a local MessageService hub (``tests.support.artconnect_server``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from pimtasks.adapters.admin_repository import AdminRepository
from pimtasks.adapters.catalog_changes import FeedCatalogChanges
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.invoice_repository import InvoiceRepository
from pimtasks.artconnect.envelope import MessageProperties
from pimtasks.catalog.models import Product, SalesCondition
from pimtasks.clock import SystemClock
from pimtasks.domain.run import Run
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.domain.task_types import ImportTarget, TaskType
from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.services.catalog_writer import planned_write
from pimtasks.services.delta_window import DeltaWindow
from pimtasks.services.invoice_prices import CatalogNetPrices
from pimtasks.workers import NotAvailableWorker, TaskWorker, WorkerFactory
from pimtasks.workers.artconnect_worker import (
    ArtConnectExportWorker,
    ArtConnectInvoicesWorker,
    ArtConnectUsersExportWorker,
    message_service,
)
from pimtasks_local.dynamodb_atomicity import serialize_item_operations
from pydantic import TypeAdapter

from tests.integration.core.harness import REGION, TABLES
from tests.integration.imports.harness import BUCKET, import_services
from tests.integration.imports.task_harness import MemorySecrets, TaskHarness
from tests.integration.magento.harness import put_products
from tests.support.artconnect_server import ArtConnectServer

ENV = "000001"
PASSWORD_SECRET = "artconnect-password"
_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec)


@dataclass
class ArtConnectTasks(TaskHarness):
    hub: ArtConnectServer
    invoices: InvoiceRepository

    def create_task(self, task_type: str = "import_artconnect_invoices", *, notify: str = "failure",
                    **settings: Any) -> Task:
        spec = _SPEC.validate_python({
            "type": task_type, "description": "Art-Connect",
            "frequency": {"every": "day", "time": "06:00"},
            "notification": {"emails": ["buyer@example.com"], "when": notify},
            "settings": {"endpoint_url": self.hub.url, "username": "pim", "password": PASSWORD_SECRET, **settings}})
        return self.core.tasks.create(environment=ENV, spec=spec)

    def put_conditions(self, conditions: list[SalesCondition]) -> None:
        self.imports.catalog.put_many(environment=ENV, target=ImportTarget.SALES_CONDITIONS,
                                      records=[planned_write(c) for c in conditions], changed_at=self.core.clock.now(),
                                      run_id=None)

    def worker(self, invoices: Any = None) -> ArtConnectInvoicesWorker:
        # The hub checks WS-Security timestamps against the wall clock, so the client signs with the real time.
        return ArtConnectInvoicesWorker(invoices=invoices or self.invoices, files=self.imports.files,
                                        prices=CatalogNetPrices(catalog=self.imports.catalog), clock=self.core.clock,
                                        hub_factory=message_service(SystemClock()))

    def export_worker(self, hub: Any = None) -> ArtConnectExportWorker:
        return ArtConnectExportWorker(changes=FeedCatalogChanges(catalog=self.imports.catalog),
                                      delta=DeltaWindow(runs=self.core.run_store), clock=self.core.clock,
                                      hub_factory=self._hub_factory(hub))

    def users_export_worker(self, hub: Any = None) -> ArtConnectUsersExportWorker:
        return ArtConnectUsersExportWorker(catalog=self.imports.catalog, delta=DeltaWindow(runs=self.core.run_store),
                                           clock=self.core.clock, hub_factory=self._hub_factory(hub))

    def _hub_factory(self, hub: Any) -> Any:
        """Connections to the local hub (signed with the wall clock it checks), or always ``hub``."""
        return (lambda settings, password: hub) if hub else message_service(SystemClock())

    def workers(self, invoices: Any = None, hub: Any = None) -> WorkerFactory:
        """The Art-Connect workers, and the import's (users come into the catalog through an import)."""
        workers: dict[TaskType, TaskWorker] = {TaskType.IMPORT_ARTCONNECT_INVOICES: self.worker(invoices),
                                               TaskType.EXPORT_ARTCONNECT: self.export_worker(hub),
                                               TaskType.EXPORT_ARTCONNECT_USERS: self.users_export_worker(hub),
                                               TaskType.IMPORT: self.imports.worker()}

        def factory(task_type: TaskType) -> TaskWorker:
            return workers.get(task_type) or NotAvailableWorker(task_type)

        return factory

    def crash_and_retry(self, task: Task, *, dies_after: int) -> tuple[Run, Run]:
        """Start ``task``: its invocation dies right after the hub took the ``dies_after``-th message (before the
        checkpoint that records it), and the invocation that follows a dead one takes the run up again from its
        last checkpoint. The run as the crash left it, and as it ended."""
        client = message_service(SystemClock())(task.spec.settings, "s3cret")  # type: ignore[arg-type]
        started = self.core.runs.start(environment=ENV, task_id=task.task_id)
        payload = self.core.invoker.calls.pop(0)[1]
        engine = self.core.engine(self.workers(hub=DiesAfterPosting(client, dies_after)), self.secrets)
        with pytest.raises(KeyboardInterrupt):
            engine.handle(TaskTriggerEvent.model_validate(payload), remaining_ms=lambda: 900_000)
        crashed = self.core.run_store.get(environment=ENV, run_id=started.run_id)
        retry = {"environment": ENV, "task_id": task.task_id, "trigger": "continuation", "run_id": started.run_id,
                 "invocation": crashed.invocations + 1}
        self.core.engine(self.workers(hub=client), self.secrets).handle(
            TaskTriggerEvent.model_validate(retry), remaining_ms=lambda: 900_000)
        return crashed, self.core.run_store.get(environment=ENV, run_id=started.run_id)

    def put_products(self, products: list[Product]) -> None:
        put_products(self.imports, products)

    def run(self, task: Task, *, workers: WorkerFactory | None = None, remaining_ms: int = 900_000) -> Run:
        """Start the task by hand and deliver every invocation (continuations too); the run as it ended."""
        started = self.core.runs.start(environment=ENV, task_id=task.task_id)
        self.core.pump(workers or self.workers(), remaining_ms=remaining_ms, secrets=self.secrets)
        self.core.clock.advance(seconds=5)
        return self.core.runs.get(environment=ENV, run_id=started.run_id)

    def object(self, key: str) -> bytes:
        return bytes(self.imports.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def keys(self, folder: str) -> list[str]:
        listed = self.imports.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"environments/{ENV}/{folder}/")
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def versions(self, key: str) -> int:
        return len(self.imports.s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", []))


class DiesAfterPosting:
    """The hub client, and the function dying right after the hub took the ``n``-th message (before the
    checkpoint that records it)."""

    def __init__(self, client: Any, n: int) -> None:
        self._client = client
        self._left = n

    def post_message(self, *, properties: MessageProperties, content: str, maybe_known: bool = False) -> bool:
        taken: bool = self._client.post_message(properties=properties, content=content, maybe_known=maybe_known)
        self._left -= 1
        if self._left == 0:
            raise KeyboardInterrupt("the invocation died here")
        return taken


@contextmanager
def artconnect_tasks(monkeypatch: pytest.MonkeyPatch, **server: Any) -> Iterator[ArtConnectTasks]:
    # The invoice import writes from several threads (max_in_flight); in-process moto must then apply each write
    # and transaction as one step, as DynamoDB does (a transaction copying a table while another thread's put
    # changes it raised "dictionary changed size during iteration" now and then).
    serialize_item_operations()
    with import_services(monkeypatch) as imports, ArtConnectServer(**server) as hub:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        invoices = InvoiceRepository(table=DynamoTable(table_name=TABLES["InvoicesTable"], dynamodb_client=dynamodb),
                                     sleep=lambda seconds: None)
        admin = AdminRepository(table=DynamoTable(table_name=TABLES["AdminTable"], dynamodb_client=dynamodb))
        tasks = ArtConnectTasks(imports=imports, hub=hub, invoices=invoices, secrets=MemorySecrets(), admin=admin)
        tasks.set_secret(PASSWORD_SECRET, "s3cret")
        yield tasks


