"""Interdependent imports: when an import run ends, the imports that wait for it start or are skipped.

A finisher listener (``RunFinisher.add_listener``). For every import task of the environment whose
``predecessor_task_id`` is the task whose run just ended:
- the run ``succeeded`` or ``partially_succeeded``: the successor starts (trigger ``predecessor``). Partial
  success counts as success (**decision**): its data is committed and only some rows were rejected, which
  the run reports; holding back e.g. all prices because three articles had a bad GTIN would do more harm.
  The successor's first message names the predecessor's outcome;
- the run ``failed``, was ``cancelled`` or ``skipped``: the successor gets a ``skipped`` run whose message
  gives the reason; it ends through the finisher, so its own successors are skipped in turn and the
  notification settings apply;
- an inactive successor is skipped ("the task is inactive"), as a schedule would;
- a successor that is itself running is left alone (its own run's end moves the chain on).
Run ids derive from (successor, predecessor run), so a repeated notification starts nothing twice.
Cycles cannot occur: they are rejected when a task is saved (``TaskService``).
"""

from __future__ import annotations

from pimtasks.domain.identifiers import successor_run_id
from pimtasks.domain.run import MessageLevel, Run, RunMessage, RunStatus, Trigger
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportSettings, TaskType
from pimtasks.errors import RunAlreadyActiveError, RunExistsError
from pimtasks.observability import logger
from pimtasks.services.ports import RunStore, TaskStore
from pimtasks.services.run_finisher import RunFinisher
from pimtasks.services.runs import RunService

STARTS_SUCCESSORS = (RunStatus.SUCCEEDED, RunStatus.PARTIALLY_SUCCEEDED)


class ImportChain:
    """Starts or skips the successors of an import whose run ended."""

    def __init__(self, *, tasks: TaskStore, runs: RunService, run_store: RunStore, finisher: RunFinisher) -> None:
        self._tasks = tasks
        self._runs = runs
        self._run_store = run_store
        self._finisher = finisher

    def on_run_ended(self, task: Task, run: Run) -> None:
        """The finisher listener."""
        if task.type is not TaskType.IMPORT or run.status.is_active:
            return
        for successor in self.successors(task):
            try:
                self._move_on(successor, predecessor=task, run=run)
            except Exception:  # noqa: BLE001 - one successor must not keep the others (or the run's end) back
                logger.exception("could not start or skip an interdependent import",
                                 extra={"task_id": successor.task_id, "predecessor_run_id": run.run_id})

    def successors(self, task: Task) -> list[Task]:
        """The import tasks that name ``task`` as their predecessor."""
        return [candidate for candidate in self._tasks.list(environment=task.environment)
                if isinstance(candidate.spec.settings, ImportSettings)
                and candidate.spec.settings.predecessor_task_id == task.task_id]

    def _move_on(self, successor: Task, *, predecessor: Task, run: Run) -> None:
        name = f"'{predecessor.spec.description}' (run {run.run_id})"
        if run.status not in STARTS_SUCCESSORS:
            self._skip(successor, run=run, reason=f"its predecessor {name} ended {run.status.value}")
        elif not successor.spec.active:
            self._skip(successor, run=run, reason="the task is inactive")
        else:
            self._start(successor, run=run, note=f"Started because its predecessor {name} ended "
                                                  f"{run.status.value}.")

    def _queue(self, successor: Task, *, run: Run) -> Run | None:
        run_id = successor_run_id(environment=successor.environment, task_id=successor.task_id,
                                  predecessor_run_id=run.run_id)
        try:
            return self._runs.queue_run(successor, trigger=Trigger.PREDECESSOR, run_id=run_id)
        except RunExistsError:
            return None
        except RunAlreadyActiveError:
            logger.info("interdependent import is already running; its own end moves the chain on",
                        extra={"task_id": successor.task_id, "predecessor_run_id": run.run_id})
            return None

    def _start(self, successor: Task, *, run: Run, note: str) -> None:
        queued = self._queue(successor, run=run)
        if queued is None:
            return
        queued.messages.append(RunMessage(level=MessageLevel.INFO, text=note))
        self._run_store.save(queued, expected=(RunStatus.QUEUED,))
        self._runs.dispatch(queued, details={"predecessor_run_id": run.run_id})
        logger.info("interdependent import started", extra={"task_id": successor.task_id, "run_id": queued.run_id})

    def _skip(self, successor: Task, *, run: Run, reason: str) -> None:
        queued = self._queue(successor, run=run)
        if queued is None:
            return
        queued.messages.append(RunMessage(level=MessageLevel.WARNING, text=f"Skipped: {reason}."))
        queued.started_at = queued.created_at
        self._finisher.finish(queued, status=RunStatus.SKIPPED, expected=(RunStatus.QUEUED,))
