"""Import ETIM on moto: the core services (tables from the template), Secrets Manager, the fake ETIM API on
127.0.0.1 (a free port), the ETIM repository on the catalog table and the worker, wired like ``pimtasks.wiring``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.etim_api import EtimApiClient
from pimtasks.adapters.etim_repository import EtimRepository
from pimtasks.adapters.secret_store import SecretStore
from pimtasks.domain.etim import EtimKind
from pimtasks.domain.run import Run
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportEtimSettings, TaskType
from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.services.etim_model import EtimModelReader
from pimtasks.services.run_engine import RunEngine
from pimtasks.workers import NotAvailableWorker, TaskWorker
from pimtasks.workers.etim_worker import EtimWorker
from pimtasks_local.etim_fake_model import FakeModel, generate_model
from pimtasks_local.etim_server import FakeEtimApi, FakeEtimServer

from tests.integration.core.harness import REGION, TABLES, Core, core_services
from tests.integration.core.specs import etim_daily

ENV = "000001"
CLIENT_ID = "pimtasks-test"
SECRET_NAME = "etim-secret"
SECRET_VALUE = "s3cret-value"
LANGUAGES = ("EN", "nl-NL")


class WriteCounter:
    """Counts DynamoDB write requests (and the items in them) to the catalog table, through botocore events."""

    def __init__(self, client: Any) -> None:
        self.items = 0
        client.meta.events.register("before-parameter-build.dynamodb.*", self._count)

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        name = model.name
        if name in ("PutItem", "UpdateItem", "DeleteItem") and params.get("TableName") == TABLES["CatalogTable"]:
            self.items += 1
        elif name == "BatchWriteItem":
            self.items += len(params.get("RequestItems", {}).get(TABLES["CatalogTable"], []))


@dataclass
class Etim:
    core: Core
    api: FakeEtimApi
    url: str
    repository: EtimRepository
    reader: EtimModelReader
    secrets: SecretStore
    writes: WriteCounter
    hooks: list[Callable[[str], None]] = field(default_factory=list)

    @property
    def model(self) -> FakeModel:
        return self.api.model

    def source(self, settings: ImportEtimSettings, client_secret: str) -> EtimApiClient:
        client = EtimApiClient(api_url=str(settings.api_url), auth_url=str(settings.auth_url),
                               client_id=settings.client_id, client_secret=client_secret, clock=self.core.clock,
                               timeout_seconds=settings.request_timeout_seconds)
        if self.hooks:
            return _Hooked(client, self.hooks)  # type: ignore[return-value]
        return client

    def worker(self) -> EtimWorker:
        return EtimWorker(store=self.repository, source_factory=self.source, clock=self.core.clock)

    def workers(self, task_type: TaskType) -> TaskWorker:
        return self.worker() if task_type is TaskType.IMPORT_ETIM else NotAvailableWorker(task_type)

    def engine(self) -> RunEngine:
        core = self.core
        return RunEngine(tasks=core.task_store, runs=core.run_store, workers=self.workers, finisher=core.finisher,
                         sequencer=core.sequencer, invoker=core.invoker, secrets=self.secrets, clock=core.clock,
                         heartbeat_seconds=3, stale_after_seconds=300, queued_timeout_seconds=3600,
                         continuation_margin_seconds=60)

    def create_task(self, **settings: Any) -> Task:
        document = {"client_id": CLIENT_ID, "client_secret": SECRET_NAME, "languages": list(LANGUAGES),
                    "api_url": self.url, "auth_url": self.url, **settings}
        return self.core.tasks.create(environment=ENV, spec=etim_daily(
            settings=document, notification={"emails": ["pim@example.com"], "when": "always"}))

    def run(self, task: Task, *, remaining_ms: Callable[[], int] = lambda: 900_000) -> Run:
        """Start the task by hand and deliver every invocation (continuations included); the run as it ended."""
        run = self.core.runs.start(environment=ENV, task_id=task.task_id)
        self.pump(remaining_ms=remaining_ms)
        return self.core.runs.get(environment=ENV, run_id=run.run_id)

    def pump(self, *, remaining_ms: Callable[[], int] = lambda: 900_000) -> int:
        delivered = 0
        while self.core.invoker.calls:
            _, payload = self.core.invoker.calls.pop(0)
            delivered += 1
            self.engine().handle(TaskTriggerEvent.model_validate(payload), remaining_ms=remaining_ms)
        return delivered

    def current_generation(self) -> str | None:
        model = self.repository.current(environment=ENV, release="ETIM-9.0")
        return model.generation if model else None

    def messages(self, run: Run) -> list[str]:
        return [m.text for m in run.messages]

    def kind_line(self, run: Run, kind: EtimKind) -> str:
        prefix = f"{kind.plural.capitalize()}:"
        return next(text for text in self.messages(run) if text.startswith(prefix))


class _Hooked:
    """The client with hooks called before every search (to stop a run, or break the API, part-way)."""

    def __init__(self, inner: EtimApiClient, hooks: list[Callable[[str], None]]) -> None:
        self._inner = inner
        self._hooks = hooks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def search(self, **kwargs: Any) -> Any:
        for hook in self._hooks:
            hook(f"{kwargs['kind'].value}/{kwargs['language']}/{kwargs['offset']}")
        return self._inner.search(**kwargs)

    @property
    def requests_made(self) -> int:
        return self._inner.requests_made


@contextmanager
def etim_services(monkeypatch: pytest.MonkeyPatch, *, model: FakeModel | None = None,
                  account_languages: tuple[str, ...] | None = None) -> Iterator[Etim]:
    with core_services(monkeypatch) as core:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        writes = WriteCounter(dynamodb)
        repository = EtimRepository(table=DynamoTable(table_name=TABLES["CatalogTable"], dynamodb_client=dynamodb))
        secrets = SecretStore(prefix="pimtasks", secrets_client=boto3.client("secretsmanager", region_name=REGION))
        secrets.put(environment=ENV, name=SECRET_NAME, value=SECRET_VALUE)
        api = FakeEtimApi(model=model or generate_model(languages=("EN", "nl-NL", "de-DE")))
        api.add_account(CLIENT_ID, SECRET_VALUE, account_languages or api.model.languages)
        with FakeEtimServer(api) as url:
            yield Etim(core=core, api=api, url=url, repository=repository,
                       reader=EtimModelReader(store=repository), secrets=secrets, writes=writes)
