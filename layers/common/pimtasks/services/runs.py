"""Runs as the API sees them: start and stop by hand, list a task's history, read one run."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.clock import Clock
from pimtasks.domain.identifiers import new_run_id
from pimtasks.domain.run import MessageLevel, Run, RunMessage, RunStatus, Trigger
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import FUNCTION_FOR_TYPE, TaskType
from pimtasks.domain.trigger import TriggerKind
from pimtasks.errors import (
    LeaseTakenError,
    NothingToStopError,
    RunAlreadyActiveError,
    ValidationFailedError,
)
from pimtasks.services.page_tokens import decode_page_token, encode_page_token
from pimtasks.services.ports import FunctionInvoker, RunStore, TaskStore
from pimtasks.services.run_finisher import RunFinisher

MAX_PAGE_SIZE = 100


class RunPagePosition(BaseModel):
    """Where a page of a task's runs starts: the last run's key in the ``runs_by_task`` index."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pk: str = Field(pattern=r"^ENV#[0-9]{6}#RUN#[0-9a-f]{32}$")
    sk: Literal["RUN"]
    task_pk: str = Field(max_length=100)
    task_sk: str = Field(pattern=r"^[0-9T:.+Z-]{1,40}#[0-9a-f]{32}$")


class RunService:
    def __init__(self, *, tasks: TaskStore, runs: RunStore, invoker: FunctionInvoker, finisher: RunFinisher,
                 clock: Clock, queued_timeout_seconds: float) -> None:
        self._tasks = tasks
        self._runs = runs
        self._invoker = invoker
        self._finisher = finisher
        self._clock = clock
        self._queued_timeout = dt.timedelta(seconds=queued_timeout_seconds)

    def start(self, *, environment: str, task_id: str, trigger: Trigger = Trigger.MANUAL,
              details: dict[str, Any] | None = None) -> Run:
        """Start a run now, whatever the schedule or Active flag; ``RunAlreadyActiveError`` while one runs."""
        task = self._tasks.get(environment=environment, task_id=task_id)
        run = self.queue_run(task, trigger=trigger)
        self.dispatch(run, details=details)
        return run

    def queue_run(self, task: Task, *, trigger: Trigger, run_id: str | None = None,
                  checkpoint: dict[str, Any] | None = None) -> Run:
        """Create a queued run holding the task's lease (not yet dispatched).

        ``checkpoint`` is what the worker finds on its first invocation (e.g. the upload an AutoImport run is
        for); a deterministic ``run_id`` makes a redelivered trigger raise ``RunExistsError``.
        """
        now = self._clock.now()
        run = Run(run_id=run_id or new_run_id(), environment=task.environment, task_id=task.task_id,
                  task_type=task.spec.type, trigger=trigger, status=RunStatus.QUEUED, created_at=now,
                  sequence_no=task.spec.sequence_no, checkpoint=checkpoint)
        try:
            self._runs.create_with_lease(run, lease_until=now + self._queued_timeout, now=now)
        except LeaseTakenError as taken:
            raise RunAlreadyActiveError(task_id=task.task_id, run_id=taken.holder_run_id or "?") from taken
        return run

    def dispatch(self, run: Run, *, details: dict[str, Any] | None = None) -> None:
        """Invoke the run's task function; a failed invoke ends the run ``failed`` instead of leaving it queued."""
        payload = {"environment": run.environment, "task_id": run.task_id, "run_id": run.run_id,
                   "trigger": TriggerKind(run.trigger.value).value, **(details or {})}
        try:
            self._invoker.invoke_async(function=FUNCTION_FOR_TYPE[TaskType(run.task_type)].value, payload=payload)
        except Exception as exc:  # any invoke failure: record it on the run, then let the caller see it
            self._finisher.finish(run, status=RunStatus.FAILED, error=f"Could not start the task function: {exc}")
            raise

    def stop(self, *, environment: str, task_id: str) -> Run:
        """Stop the task's active run: a queued run is cancelled at once, a running one at its next safe point."""
        self._tasks.get(environment=environment, task_id=task_id)
        holder = self._runs.lease_holder(environment=environment, task_id=task_id)
        run = self._runs.find(environment=environment, run_id=holder) if holder else None
        if run is None or not run.status.is_active:
            raise NothingToStopError(task_id=task_id)
        if run.status is RunStatus.QUEUED:
            run.messages.append(RunMessage(level=MessageLevel.WARNING, text="Stopped by request before it started."))
            if self._finisher.finish(run, status=RunStatus.CANCELLED, expected=(RunStatus.QUEUED,)):
                return run
            run = self._runs.get(environment=environment, run_id=run.run_id)
        if not self._runs.request_cancel(environment=environment, run_id=run.run_id):
            raise NothingToStopError(task_id=task_id)
        return self._runs.get(environment=environment, run_id=run.run_id)

    def get(self, *, environment: str, run_id: str) -> Run:
        return self._runs.get(environment=environment, run_id=run_id)

    def list_for_task(self, *, environment: str, task_id: str, limit: int,
                      next_token: str | None) -> tuple[list[Run], str | None]:
        """A page of the task's runs, newest first, and the token of the next page."""
        self._tasks.get(environment=environment, task_id=task_id)
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        start_key = _decode_token(next_token, environment=environment, task_id=task_id)
        runs, last = self._runs.list_for_task(environment=environment, task_id=task_id, limit=limit,
                                              start_key=start_key)
        return runs, _encode_token(last) if last else None


def _encode_token(key: dict[str, Any]) -> str:
    return encode_page_token(RunPagePosition.model_validate(key))


def _decode_token(token: str | None, *, environment: str, task_id: str) -> dict[str, Any] | None:
    """The start key in a page token; it must belong to this task (a token is not a way into other data)."""
    position = decode_page_token(token, position=RunPagePosition)
    if position is None:
        return None
    if position.task_pk != f"ENV#{environment}#TASK#{task_id}":
        raise ValidationFailedError(field="next_token", message="not a token of this task's runs")
    return position.model_dump()
