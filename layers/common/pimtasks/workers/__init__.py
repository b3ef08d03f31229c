"""The work of each task type, behind one small protocol the run engine drives.

A worker gets a ``RunJob`` (the task, the run, a checkpoint from a previous invocation) and calls
``job.keep_alive(checkpoint)`` at every safe point: that is where Stop and the Lambda time budget are
honoured. A type a function does not run gets ``NotAvailableWorker``: its runs fail honestly.
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
    """For a task type a function does not run (an invocation sent to another type's function, or a harness
    that builds one type only): the run fails saying so, never a fake success."""

    def __init__(self, task_type: TaskType) -> None:
        self._task_type = task_type

    def run(self, job: RunJob) -> RunStatus | None:
        raise WorkerFailure(f"Task type '{self._task_type.value}' is not available in this function: the "
                            "invocation was sent to a function that does not run this type.")


WorkerFactory = Callable[[TaskType], TaskWorker]


def not_available_workers(task_type: TaskType) -> TaskWorker:
    return NotAvailableWorker(task_type)
