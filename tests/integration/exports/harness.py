"""Export tasks on moto through the real task functions: the template's tables and bucket, the settings the
functions read from their environment, the import and export handlers invoked like Lambda invokes them (the
recorded invocations of a run are delivered to ``functions/<family>_handler/app.handler``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pimtasks.domain.run import Run
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.wiring import access_service, clear_caches, run_service, task_service
from pimtasks_local.functions import lambda_context
from pydantic import TypeAdapter

from tests.integration.core.harness import FILES_BUCKET, REGION, SENDER, TABLES, deploy_stack

ENV = "000001"
DEMO_DIR = Path(__file__).resolve().parents[3] / "local" / "pimtasks_local"
_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec)


@dataclass
class Invocations:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke_async(self, *, function: str, payload: dict[str, Any]) -> None:
        self.calls.append((function, json.loads(json.dumps(payload))))


@dataclass
class ExportStack:
    invocations: Invocations
    s3: Any

    def create(self, document: dict[str, Any]) -> Task:
        return task_service().create(environment=ENV, spec=_SPEC.validate_python(document))

    def run(self, task: Task) -> Run:
        """Start the task by hand and deliver every invocation to its function's handler; the ended run."""
        from functions.export_handler.app import handler as export_handler
        from functions.import_handler.app import handler as import_handler

        handlers = {"import": import_handler, "export": export_handler}
        started = run_service().start(environment=ENV, task_id=task.task_id)
        while self.invocations.calls:
            function, payload = self.invocations.calls.pop(0)
            handlers[function](payload, lambda_context(f"pimtasks-task-{function}", timeout_seconds=900))
        return run_service().get(environment=ENV, run_id=started.run_id)

    def put(self, relative_key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=FILES_BUCKET, Key=f"environments/{ENV}/{relative_key}", Body=data)

    def read(self, relative_key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=FILES_BUCKET, Key=f"environments/{ENV}/{relative_key}")["Body"].read())

    def keys(self, folder: str) -> list[str]:
        prefix = f"environments/{ENV}/"
        listed = self.s3.list_objects_v2(Bucket=FILES_BUCKET, Prefix=prefix + folder).get("Contents", [])
        return sorted(item["Key"].removeprefix(prefix) for item in listed)

    def sent_mail(self) -> list[Any]:
        from moto.backends import get_backend

        return list(get_backend("ses")["123456789012"][REGION].sent_messages)


def demo_task(description: str) -> dict[str, Any]:
    """A task of the demo environment (``demo_tasks.json``) by its description."""
    tasks = json.loads((DEMO_DIR / "demo_tasks.json").read_text(encoding="utf-8"))
    return next(task for task in tasks if task["description"] == description)


@contextmanager
def export_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[ExportStack]:
    variables = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "TASKS_TABLE": TABLES["TasksTable"], "RUNS_TABLE": TABLES["RunsTable"],
                 "ADMIN_TABLE": TABLES["AdminTable"], "CATALOG_TABLE": TABLES["CatalogTable"],
                 "FILES_BUCKET": FILES_BUCKET, "MAIL_SENDER": SENDER, "FUNCTION_NAME_PREFIX": "pimtasks-task-",
                 "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "Pimtasks"}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    invocations = Invocations()
    with mock_aws():
        clear_caches()
        monkeypatch.setattr("pimtasks.wiring.function_invoker", lambda: invocations)
        deploy_stack()
        access_service().create_environment(environment=ENV, name="Demo", timezone="Europe/Amsterdam")
        try:
            yield ExportStack(invocations=invocations, s3=boto3.client("s3", region_name=REGION))
        finally:
            clear_caches()
