"""The part every harness of a task family with credentials shares (Magento, Import 2BA): secrets in memory,
an engine that can read them, and a run driven through all its invocations (continuations too)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pimtasks.adapters.admin_repository import AdminRepository
from pimtasks.domain.run import Run
from pimtasks.domain.task import Task
from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.errors import NotFoundError
from pimtasks.services.run_engine import RunEngine
from pimtasks.workers import WorkerFactory

from tests.integration.imports.harness import ENV, Imports


@dataclass
class MemorySecrets:
    values: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, *, environment: str, name: str) -> str:
        try:
            return self.values[(environment, name)]
        except KeyError:
            raise NotFoundError(f"secret {name!r} is not set for environment {environment}") from None


@dataclass
class TaskHarness:
    imports: Imports
    secrets: MemorySecrets
    admin: AdminRepository

    @property
    def core(self) -> Any:
        return self.imports.core

    def set_secret(self, name: str, value: str) -> None:
        self.secrets.values[(ENV, name)] = value
        self.admin.record_secret(environment=ENV, name=name, updated_at="2026-11-23T10:00:00.000Z")

    def workers(self) -> WorkerFactory:
        raise NotImplementedError

    def engine(self, workers: WorkerFactory) -> RunEngine:
        core = self.core
        return RunEngine(tasks=core.task_store, runs=core.run_store, workers=workers, finisher=core.finisher,
                         sequencer=core.sequencer, invoker=core.invoker, secrets=self.secrets, clock=core.clock,
                         heartbeat_seconds=3, stale_after_seconds=300, queued_timeout_seconds=3600,
                         continuation_margin_seconds=60)

    def run(self, task: Task, *, workers: WorkerFactory | None = None,
            remaining_ms: Callable[[], int] = lambda: 900_000) -> Run:
        """Start the task by hand and deliver every invocation (continuations too); the run as it ended."""
        started = self.core.runs.start(environment=ENV, task_id=task.task_id)
        factory = workers or self.workers()
        while self.core.invoker.calls:
            _, payload = self.core.invoker.calls.pop(0)
            self.engine(factory).handle(TaskTriggerEvent.model_validate(payload), remaining_ms=remaining_ms)
        self.core.clock.advance(seconds=5)
        return self.core.runs.get(environment=ENV, run_id=started.run_id)
