"""Keeping EventBridge Scheduler in step with the tasks table (fed by its stream).

One schedule per task (deterministic name, a group per environment), ENABLED while the task is active,
deleted with the task. Idempotent: a record whose desired schedule equals the previous image's (e.g. only
``last_run`` changed) costs nothing, and a redelivered or late record never overwrites a schedule made from a
newer task version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pimtasks.domain.frequency import OnceFrequency
from pimtasks.domain.schedule import DesiredSchedule, schedule_group_name, schedule_name
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import FUNCTION_FOR_TYPE, TaskFunction, TaskType
from pimtasks.schedules import schedule_spec

SCHEDULED_TIME_PLACEHOLDER = "<aws.scheduler.scheduled-time>"


class ScheduleGateway(Protocol):
    def create(self, desired: DesiredSchedule) -> bool: ...
    def stored_version(self, *, group: str, name: str) -> int | None: ...
    def upsert(self, desired: DesiredSchedule) -> None: ...
    def delete(self, *, group: str, name: str) -> None: ...


@dataclass(frozen=True)
class TaskChange:
    """One stream record, as tasks: ``old`` is None for an insert, ``new`` is None for a removal."""

    old: Task | None
    new: Task | None


def target_input(task: Task) -> str:
    """The input EventBridge Scheduler sends the task function (it fills in the scheduled time)."""
    return json.dumps({"environment": task.environment, "task_id": task.task_id, "trigger": "schedule",
                       "scheduled_time": SCHEDULED_TIME_PLACEHOLDER}, separators=(",", ":"))


class ScheduleSync:
    def __init__(self, *, gateway: ScheduleGateway, group_prefix: str,
                 function_arn: Callable[[TaskFunction], str], clock_now: Callable[[], dt.datetime]) -> None:
        self._gateway = gateway
        self._group_prefix = group_prefix
        self._function_arn = function_arn
        self._now = clock_now

    def desired(self, task: Task) -> DesiredSchedule:
        spec = schedule_spec(task.spec.frequency, anchor=task.schedule_anchor)
        frequency = task.spec.frequency
        in_past = isinstance(frequency, OnceFrequency) and _once_is_past(frequency, now=self._now())
        return DesiredSchedule(
            group=schedule_group_name(prefix=self._group_prefix, environment=task.environment),
            name=schedule_name(task.task_id),
            expression=spec.expression,
            timezone=spec.timezone,
            start_date=spec.start_date,
            enabled=task.spec.active and not in_past,
            target_arn=self._function_arn(FUNCTION_FOR_TYPE[TaskType(task.spec.type)]),
            target_input=target_input(task),
            description=task.spec.description,
            version=task.version,
        )

    def apply(self, change: TaskChange) -> str:
        """Bring the task's schedule in line with the change; returns what was done (for logs and tests)."""
        if change.new is None:
            if change.old is None:
                return "ignored"
            self._gateway.delete(group=schedule_group_name(prefix=self._group_prefix,
                                                           environment=change.old.environment),
                                 name=schedule_name(change.old.task_id))
            return "deleted"
        desired = self.desired(change.new)
        if change.old is not None and change.old.version == change.new.version:
            return "unchanged"  # only bookkeeping (e.g. last_run) changed
        if change.old is not None and self.desired(change.old).same_schedule_as(desired):
            return "unchanged"
        if change.old is None and self._gateway.create(desired):
            return "upserted"  # the common insert: one call
        stored = self._gateway.stored_version(group=desired.group, name=desired.name)
        if stored is not None and stored >= desired.version:
            return "stale"
        self._gateway.upsert(desired)
        return "upserted"


def _once_is_past(frequency: OnceFrequency, *, now: dt.datetime) -> bool:
    from zoneinfo import ZoneInfo

    hour, minute = frequency.hour_minute()
    when = dt.datetime.combine(frequency.date, dt.time(hour, minute), tzinfo=ZoneInfo(frequency.timezone))
    return when <= now
