"""Ending a run, in one place for the engine, Stop and the sweeper: store the outcome, free the lease,
move the environment's sequence on, record the task's last run, mail the report, count the metric."""

from __future__ import annotations

from collections.abc import Callable

from pimtasks.clock import Clock
from pimtasks.domain.run import ACTIVE_STATUSES, MessageLevel, Run, RunMessage, RunStatus
from pimtasks.domain.task import Task
from pimtasks.observability import logger, put_stack_metric
from pimtasks.services.ports import Mailer, RunStore, TaskStore
from pimtasks.services.run_report import report_subject, report_text

RunListener = Callable[[Task, Run], None]

_METRIC_FOR_STATUS = {
    RunStatus.SUCCEEDED: "RunsSucceeded",
    RunStatus.PARTIALLY_SUCCEEDED: "RunsPartiallySucceeded",
    RunStatus.FAILED: "RunsFailed",
    RunStatus.CANCELLED: "RunsCancelled",
    RunStatus.SKIPPED: "RunsSkipped",
}


class RunFinisher:
    def __init__(self, *, runs: RunStore, tasks: TaskStore, mailer: Mailer | None, clock: Clock,
                 advance_slot: Callable[[str, str], object]) -> None:
        self._runs = runs
        self._tasks = tasks
        self._mailer = mailer
        self._clock = clock
        self._advance_slot = advance_slot
        self._listeners: list[RunListener] = []

    def add_listener(self, listener: RunListener) -> None:
        """Called after a run ended (e.g. to start interdependent imports)."""
        self._listeners.append(listener)

    def finish(self, run: Run, *, status: RunStatus, error: str | None = None,
               expected: tuple[RunStatus, ...] = ACTIVE_STATUSES) -> bool:
        """End ``run`` with ``status``; False when it had already ended (someone else finished it)."""
        run.status = status
        run.ended_at = self._clock.now()
        if error:
            run.error = error
            run.messages.append(RunMessage(level=MessageLevel.ERROR, text=error))
        if not self._runs.save(run, expected=expected):
            return False
        self._runs.release_lease(environment=run.environment, task_id=run.task_id, run_id=run.run_id)
        put_stack_metric(_METRIC_FOR_STATUS[status])  # FailedRunsAlarm watches RunsFailed
        logger.info("run ended", extra={"run_id": run.run_id, "task_id": run.task_id, "status": status.value,
                                        "environment": run.environment})
        if run.slot:
            self._advance_slot(run.environment, run.slot)
        task = self._tasks.find(environment=run.environment, task_id=run.task_id)
        if task is None:
            return True
        self._tasks.record_last_run(environment=run.environment, task_id=run.task_id, summary=run.summary())
        self._notify(task, run)
        for listener in self._listeners:
            listener(task, run)
        return True

    def _notify(self, task: Task, run: Run) -> None:
        notification = task.spec.notification
        if self._mailer is None or not notification.wants_report(failed=run.status.is_failure):
            return
        self._mailer.send(to=list(notification.emails), subject=report_subject(task, run), text=report_text(task, run))
