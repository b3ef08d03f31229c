"""The work of each task type, behind one small protocol the run engine drives.

A worker gets a ``RunJob`` (the task, the run, a checkpoint from a previous invocation) and calls
``job.keep_alive(checkpoint)`` at every safe point: that is where Stop and the Lambda time budget are
honoured. Types whose work is not built yet get ``NotAvailableWorker``: their runs fail honestly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import TaskType
from pimtasks.services.run_job import RunJob, WorkerFailure


class TaskWorker(Protocol):
    def run(self, job: RunJob) -> RunStatus | None:
        """Do the work; return a final status, or None to derive it from counts and messages."""
        ...


class NotAvailableWorker:
    """For task types whose work is not built yet: accepted and scheduled, but never a fake success."""

    def __init__(self, task_type: TaskType) -> None:
        self._task_type = task_type

    def run(self, job: RunJob) -> RunStatus | None:
        raise WorkerFailure(f"Task type '{self._task_type.value}' is not available yet: this version of pimtasks "
                            "accepts and schedules it, but cannot execute it.")


WorkerFactory = Callable[[TaskType], TaskWorker]


def not_available_workers(task_type: TaskType) -> TaskWorker:
    return NotAvailableWorker(task_type)
