"""The run engine: what every task function does with a trigger, whatever the task type.

- ``schedule``: register the run for (task, scheduled time) exactly once, take the task's lease, join the
  environment's minute slot and arrive there: the minute's first run settles and starts the lowest sequence
  no, the others return at once (see ``pimtasks.services.sequencer``).
- ``manual`` / ``upload`` / ``predecessor`` / ``sequence``: execute the queued run named in the event.
- ``continuation``: resume a running run from its checkpoint in a fresh invocation.
Execution drives the type's worker and ends the run through the finisher whatever happens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pimtasks.clock import Clock, parse_iso
from pimtasks.domain.identifiers import scheduled_run_id
from pimtasks.domain.run import MessageLevel, Run, RunMessage, RunStatus, Trigger
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import FUNCTION_FOR_TYPE, TaskType
from pimtasks.domain.trigger import TaskTriggerEvent, TriggerKind
from pimtasks.errors import LeaseTakenError, RunExistsError
from pimtasks.observability import logger
from pimtasks.services.ports import FunctionInvoker, RunStore, SecretReader, TaskStore
from pimtasks.services.run_finisher import RunFinisher
from pimtasks.services.run_job import ContinueLater, LeaseLost, RunJob, StopRequested, WorkerFailure
from pimtasks.services.sequencer import Sequencer, slot_of
from pimtasks.workers import WorkerFactory

RemainingMs = Callable[[], int]


class RunEngine:
    def __init__(self, *, tasks: TaskStore, runs: RunStore, workers: WorkerFactory, finisher: RunFinisher,
                 sequencer: Sequencer, invoker: FunctionInvoker, secrets: SecretReader | None, clock: Clock,
                 heartbeat_seconds: float, stale_after_seconds: float, queued_timeout_seconds: float,
                 continuation_margin_seconds: float) -> None:
        self._tasks = tasks
        self._runs = runs
        self._workers = workers
        self._finisher = finisher
        self._sequencer = sequencer
        self._invoker = invoker
        self._secrets = secrets
        self._clock = clock
        self._heartbeat_seconds = heartbeat_seconds
        self._stale_after = stale_after_seconds
        self._queued_timeout = dt.timedelta(seconds=queued_timeout_seconds)
        self._margin = continuation_margin_seconds

    def handle(self, event: TaskTriggerEvent, *, remaining_ms: RemainingMs) -> Run | None:
        """Handle one trigger; returns the run it concerned (None for an ignored duplicate)."""
        if event.trigger is TriggerKind.SCHEDULE:
            return self._handle_scheduled(event, remaining_ms=remaining_ms)
        if event.run_id is None:
            raise ValueError(f"a {event.trigger.value} trigger must name its run_id")
        return self.execute(environment=event.environment, run_id=event.run_id, remaining_ms=remaining_ms,
                            continuation=event.invocation if event.trigger is TriggerKind.CONTINUATION else None)

    # --- scheduled triggers -------------------------------------------------------------------
    def _handle_scheduled(self, event: TaskTriggerEvent, *, remaining_ms: RemainingMs) -> Run | None:
        if event.scheduled_time is None:
            raise ValueError("a schedule trigger must carry scheduled_time")
        scheduled_time = parse_iso(event.scheduled_time)
        task = self._tasks.find(environment=event.environment, task_id=event.task_id)
        if task is None:
            logger.warning("scheduled trigger for a deleted task", extra={"task_id": event.task_id})
            return None
        run = self.register_scheduled_run(task, scheduled_time=scheduled_time)
        if run is None or run.status is not RunStatus.QUEUED or run.slot is None:
            return run
        self._sequencer.arrive(run, scheduled_time=scheduled_time, remaining_ms=remaining_ms)
        return run

    def register_scheduled_run(self, task: Task, *, scheduled_time: dt.datetime) -> Run | None:
        """The run of (task, scheduled time): created once; None when this trigger is a duplicate."""
        now = self._clock.now()
        run = Run(
            run_id=scheduled_run_id(environment=task.environment, task_id=task.task_id,
                                    scheduled_time=scheduled_time.isoformat()),
            environment=task.environment, task_id=task.task_id, task_type=task.spec.type,
            trigger=Trigger.SCHEDULE, status=RunStatus.QUEUED, scheduled_time=scheduled_time, created_at=now,
            sequence_no=task.spec.sequence_no, slot=slot_of(scheduled_time),
        )
        if not task.spec.active:
            return self._record_skipped(run, reason="the task is inactive")
        try:
            self._runs.create_with_lease(run, lease_until=now + self._queued_timeout, now=now)
        except RunExistsError:
            return None
        except LeaseTakenError as taken:
            return self._record_skipped(run, reason=f"the previous run {taken.holder_run_id} is still active")
        self._runs.join_slot(environment=run.environment, slot=run.slot or "", run_id=run.run_id,
                             task_id=task.task_id, sequence_no=task.spec.sequence_no,
                             function=FUNCTION_FOR_TYPE[task.type].value, now=now)
        return run

    def _record_skipped(self, run: Run, *, reason: str) -> Run | None:
        now = self._clock.now()
        skipped = run.model_copy(update={
            "status": RunStatus.SKIPPED, "slot": None, "started_at": now, "ended_at": now,
            "messages": [RunMessage(level=MessageLevel.WARNING, text=f"Skipped: {reason}.")],
        })
        try:
            self._runs.create(skipped)
        except RunExistsError:
            return None
        task = self._tasks.find(environment=run.environment, task_id=run.task_id)
        if task is not None:
            self._tasks.record_last_run(environment=run.environment, task_id=run.task_id, summary=skipped.summary())
        return skipped

    # --- execution ----------------------------------------------------------------------------
    def execute(self, *, environment: str, run_id: str, remaining_ms: RemainingMs,
                continuation: int | None = None) -> Run | None:
        """Run (or resume) a run's work in this invocation. Duplicate deliveries are ignored."""
        run = self._runs.find(environment=environment, run_id=run_id)
        if run is None or not run.status.is_active:
            return run
        claimed = self._claim(run, continuation=continuation)
        if claimed is None:
            return None
        task = self._tasks.find(environment=environment, task_id=run.task_id)
        if task is None:
            self._finisher.finish(claimed, status=RunStatus.FAILED, error="The task was deleted.")
            return claimed
        return self._drive(task, claimed, remaining_ms=remaining_ms)

    def _claim(self, run: Run, *, continuation: int | None) -> Run | None:
        """Move the run to running (first invocation) or count the continuation; None when not ours."""
        now = self._clock.now()
        if run.status is RunStatus.QUEUED:
            if continuation is not None:
                return None
            if run.slot and not self._sequencer.is_turn_of(environment=run.environment, slot=run.slot,
                                                           run_id=run.run_id):
                return None
            claimed = run.model_copy(update={"status": RunStatus.RUNNING, "started_at": now, "heartbeat_at": now,
                                             "invocations": 1})
            return claimed if self._runs.save(claimed, expected=(RunStatus.QUEUED,)) else None
        if continuation is None or continuation != run.invocations + 1:
            return None
        claimed = run.model_copy(update={"invocations": continuation, "heartbeat_at": now})
        return claimed if self._runs.save(claimed, expected=(RunStatus.RUNNING,)) else None

    def _drive(self, task: Task, run: Run, *, remaining_ms: RemainingMs) -> Run:
        job = RunJob(task=task, run=run, runs=self._runs, clock=self._clock, secrets=self._secrets,
                     remaining_ms=remaining_ms, heartbeat_seconds=self._heartbeat_seconds,
                     lease_seconds=self._stale_after, continuation_margin_seconds=self._margin)
        try:
            status = self._workers(task.type).run(job)
        except StopRequested:
            job.message(MessageLevel.WARNING, "Stopped by request; work committed before the stop stays committed.")
            self._finisher.finish(job.run, status=RunStatus.CANCELLED)
        except ContinueLater:
            self._continue(job.run)
        except LeaseLost:
            logger.warning("run lost its lease; leaving it to whoever took over", extra={"run_id": run.run_id})
        except WorkerFailure as failure:
            self._finisher.finish(job.run, status=RunStatus.FAILED, error=str(failure))
        except Exception as exc:  # noqa: BLE001 (the run must end whatever went wrong; details go to the log)
            logger.exception("task worker crashed", extra={"run_id": run.run_id, "task_type": task.spec.type})
            self._finisher.finish(job.run, status=RunStatus.FAILED,
                                  error=f"Internal error ({type(exc).__name__}); the operators were alerted.")
        else:
            self._finisher.finish(job.run, status=status or _derived_status(job.run))
        return job.run

    def _continue(self, run: Run) -> None:
        """Hand the run to a fresh invocation of the same function (the checkpoint is already saved)."""
        self._invoker.invoke_async(function=FUNCTION_FOR_TYPE[TaskType(run.task_type)].value, payload={
            "environment": run.environment, "task_id": run.task_id, "trigger": TriggerKind.CONTINUATION.value,
            "run_id": run.run_id, "invocation": run.invocations + 1,
        })
        logger.info("run continues in a fresh invocation", extra={"run_id": run.run_id,
                                                                  "invocation": run.invocations + 1})


def _derived_status(run: Run) -> RunStatus:
    has_errors = run.counts.rejected > 0 or any(m.level is MessageLevel.ERROR for m in run.messages)
    return RunStatus.PARTIALLY_SUCCEEDED if has_errors else RunStatus.SUCCEEDED
