"""A task's EventBridge Scheduler schedule as we want it, and its deterministic names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def schedule_group_name(*, prefix: str, environment: str) -> str:
    """One schedule group per environment: ``<prefix>-<env>``."""
    return f"{prefix}-{environment}"


def schedule_name(task_id: str) -> str:
    """One schedule per task: ``task-<task_id>``."""
    return f"task-{task_id}"


@dataclass(frozen=True)
class DesiredSchedule:
    """Everything a task's schedule should be."""

    group: str
    name: str
    expression: str
    timezone: str
    start_date: dt.datetime | None
    enabled: bool
    target_arn: str
    target_input: str
    description: str
    version: int

    def same_schedule_as(self, other: DesiredSchedule) -> bool:
        """Equal in everything EventBridge Scheduler stores (the task version alone does not count)."""
        return self.__dict__ | {"version": 0} == other.__dict__ | {"version": 0}
