"""The event a task function receives (from EventBridge Scheduler, the API, or another run)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from pimtasks.domain.identifiers import EnvironmentId


class TriggerKind(StrEnum):
    SCHEDULE = "schedule"        # EventBridge Scheduler: creates the run (idempotent per scheduled time)
    MANUAL = "manual"            # API Start: the run exists, queued
    UPLOAD = "upload"            # AutoImport: the run exists, queued
    PREDECESSOR = "predecessor"  # an interdependent import's predecessor succeeded: the run exists, queued
    SEQUENCE = "sequence"        # its turn in the environment's minute slot came: the run exists, queued
    CONTINUATION = "continuation"  # the previous invocation ran out of time: the run is running


class TaskTriggerEvent(BaseModel):
    """Input of every task function. Scheduler sends ``scheduled_time``; the others name the ``run_id``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    environment: EnvironmentId
    task_id: str
    trigger: TriggerKind
    scheduled_time: str | None = None
    run_id: str | None = None
    invocation: int | None = None
