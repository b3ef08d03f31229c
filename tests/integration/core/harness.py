"""The core services wired to moto (in-process), on resources provisioned from infra/template.yaml by the
local stack's deployer (so tests cannot drift from the infrastructure)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from pimtasks.adapters.admin_repository import AdminRepository
from pimtasks.adapters.aws_clients import reset_clients
from pimtasks.adapters.dynamo import DynamoTable
from pimtasks.adapters.mailer import SesMailer
from pimtasks.adapters.run_repository import RunRepository
from pimtasks.adapters.scheduler_gateway import SchedulerGateway
from pimtasks.adapters.task_repository import TaskRepository
from pimtasks.domain.task_types import TaskFunction
from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.services.access import AccessService
from pimtasks.services.ports import SecretReader
from pimtasks.services.run_engine import RunEngine
from pimtasks.services.run_finisher import RunFinisher
from pimtasks.services.run_sweeper import RunSweeper
from pimtasks.services.runs import RunService
from pimtasks.services.schedule_sync import ScheduleSync
from pimtasks.services.sequencer import Sequencer
from pimtasks.services.tasks import TaskService
from pimtasks.workers import WorkerFactory, not_available_workers

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"
REGION = "eu-west-1"
SENDER = "pimtasks@example.com"
STACK = "test"
TABLES = {name: f"{STACK}-{name}" for name in ("TasksTable", "RunsTable", "AdminTable", "CatalogTable",
                                                          "InvoicesTable")}
FILES_BUCKET = f"{STACK}-files-123456789012-{REGION}"


def deploy_stack() -> Any:
    """Provision the template into the active moto mock; returns the deployment (physical names, ARNs)."""
    from pimtasks_local.deployer import deploy_template

    deployment = deploy_template(TEMPLATE, stack_name=STACK, parameters={"MailSender": SENDER},
                                 clients=lambda service: boto3.client(service, region_name=REGION), region=REGION)
    assert deployment.names_of_type("AWS::DynamoDB::Table") == TABLES
    return deployment


class _TemplateLoader(yaml.SafeLoader):
    """Reads the template's short-form intrinsics as plain data (only table definitions are used here)."""


_TemplateLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def template_tables() -> dict[str, dict[str, Any]]:
    resources = yaml.load(TEMPLATE.read_text(), Loader=_TemplateLoader)["Resources"]
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}


def create_table(client: Any, name: str, properties: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {k: properties[k] for k in ("AttributeDefinitions", "KeySchema", "BillingMode")}
    if "GlobalSecondaryIndexes" in properties:
        kwargs["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    if "StreamSpecification" in properties:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    client.create_table(TableName=name, **kwargs)


class FakeClock:
    """A clock tests move by hand; ``sleep`` advances it instead of waiting, and first runs what a test queued
    in ``while_sleeping`` (what happens elsewhere meanwhile, e.g. other triggers arriving during a settle)."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start
        self.while_sleeping: list[Callable[[], object]] = []

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        meanwhile, self.while_sleeping = self.while_sleeping, []
        for happening in meanwhile:
            happening()
        self.current += dt.timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)


@dataclass
class RecordingInvoker:
    """Records async invocations; ``pump`` delivers them to the engine like Lambda would."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke_async(self, *, function: str, payload: dict[str, Any]) -> None:
        self.calls.append((function, json.loads(json.dumps(payload))))

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        taken, self.calls = self.calls, []
        return taken


@dataclass
class Core:
    """The services wired to moto, a fake clock and a recording invoker."""

    clock: FakeClock
    invoker: RecordingInvoker
    access: AccessService
    tasks: TaskService
    task_store: TaskRepository
    run_store: RunRepository
    runs: RunService
    finisher: RunFinisher
    sequencer: Sequencer
    sweeper: RunSweeper
    sync: ScheduleSync
    scheduler: Any
    ses: Any
    deployment: Any
    workers: WorkerFactory = not_available_workers

    def engine(self, workers: WorkerFactory | None = None, secrets: SecretReader | None = None) -> RunEngine:
        return RunEngine(tasks=self.task_store, runs=self.run_store, workers=workers or self.workers,
                         finisher=self.finisher, sequencer=self.sequencer, invoker=self.invoker, secrets=secrets,
                         clock=self.clock, heartbeat_seconds=3, stale_after_seconds=300,
                         queued_timeout_seconds=3600, continuation_margin_seconds=60)

    def pump(self, workers: WorkerFactory | None = None, remaining_ms: int = 900_000,
             secrets: SecretReader | None = None) -> list[dict[str, Any]]:
        """Deliver every recorded invocation (and those they cause) to the engine, in order."""
        delivered = []
        while self.invoker.calls:
            _, payload = self.invoker.calls.pop(0)
            delivered.append(payload)
            self.engine(workers, secrets).handle(TaskTriggerEvent.model_validate(payload),
                                                 remaining_ms=lambda: remaining_ms)
        return delivered

    def cold_sync(self) -> ScheduleSync:
        """A schedule sync as a freshly started function has it (no groups known yet)."""
        gateway = SchedulerGateway(role_arn="arn:aws:iam::123456789012:role/scheduler",
                                   dead_letter_arn=self.deployment.attribute("SchedulesDeadLetterQueue", "Arn"),
                                   scheduler_client=self.scheduler)
        return ScheduleSync(gateway=gateway, group_prefix="pimtasks", function_arn=_function_arn,
                            clock_now=self.clock.now)

    def sent_mail(self) -> list[Any]:
        from moto.backends import get_backend

        return list(get_backend("ses")["123456789012"][REGION].sent_messages)


def _function_arn(function: TaskFunction) -> str:
    return f"arn:aws:lambda:{REGION}:123456789012:function:pimtasks-task-{function.value}"


@contextmanager
def core_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[Core]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        reset_clients()
        deployment = deploy_stack()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        ses = boto3.client("ses", region_name=REGION)
        scheduler = boto3.client("scheduler", region_name=REGION)
        dlq_arn = deployment.attribute("SchedulesDeadLetterQueue", "Arn")

        clock = FakeClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))
        invoker = RecordingInvoker()
        admin = AdminRepository(table=DynamoTable(table_name=TABLES["AdminTable"], dynamodb_client=dynamodb))
        task_store = TaskRepository(table=DynamoTable(table_name=TABLES["TasksTable"], dynamodb_client=dynamodb))
        run_store = RunRepository(table=DynamoTable(table_name=TABLES["RunsTable"], dynamodb_client=dynamodb))
        sequencer = Sequencer(runs=run_store, invoker=invoker, clock=clock, settle_seconds=10)
        finisher = RunFinisher(runs=run_store, tasks=task_store,
                               mailer=SesMailer(sender=SENDER, ses_client=boto3.client("sesv2", region_name=REGION)),
                               clock=clock, advance_slot=sequencer.advance)
        access = AccessService(store=admin, clock=clock)
        access.create_environment(environment="000001", name="Demo", timezone="Europe/Amsterdam")
        access.create_environment(environment="000002", name="Other", timezone="America/New_York")
        for environment in ("000001", "000002"):  # the credential the ETIM specs name (specs.ETIM)
            admin.record_secret(environment=environment, name="etim-secret", updated_at="2026-11-23T10:00:00.000Z")
        gateway = SchedulerGateway(role_arn="arn:aws:iam::123456789012:role/scheduler",
                                   dead_letter_arn=dlq_arn, scheduler_client=scheduler)

        yield Core(
            clock=clock, invoker=invoker, access=access,
            tasks=TaskService(tasks=task_store, environments=admin, clock=clock, secrets=admin),
            task_store=task_store, run_store=run_store,
            runs=RunService(tasks=task_store, runs=run_store, invoker=invoker, finisher=finisher, clock=clock,
                            queued_timeout_seconds=3600),
            finisher=finisher, sequencer=sequencer,
            sweeper=RunSweeper(runs=run_store, finisher=finisher, sequencer=sequencer, clock=clock,
                               stale_after_seconds=300, queued_timeout_seconds=3600, stall_seconds=120),
            sync=ScheduleSync(gateway=gateway, group_prefix="pimtasks", function_arn=_function_arn,
                              clock_now=clock.now),
            scheduler=scheduler, ses=ses, deployment=deployment,
        )
        reset_clients()
