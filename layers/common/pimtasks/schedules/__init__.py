"""Schedules: from a task's frequency to EventBridge Scheduler, and when a schedule fires.

- ``expression``: ``schedule_spec(frequency, anchor=...)`` turns one of the six frequencies into the
  expression (``at``/``rate``/``cron``), time zone and start date of an EventBridge Scheduler schedule.
- ``expression_parser``: ``parse_expression`` reads the EventBridge Scheduler expression language
  (the AWS six-field cron syntax, rate, at); invalid expressions raise ``ValueError``.
- ``evaluator``: ``next_fire_time`` and ``fire_times_between`` evaluate any such expression in its time
  zone, with EventBridge Scheduler's daylight-saving rules (see that module's docstring). The local
  schedule runner uses them to fire schedules; the task service uses them for ``next_run_at``.
- ``next_run``: ``next_run_at(frequency, now=..., anchor=...)``, the two steps above in one.

Pure Python: no I/O, no AWS.
"""

from pimtasks.schedules.evaluator import fire_times_between, next_fire_time
from pimtasks.schedules.expression import ScheduleSpec, schedule_expression, schedule_spec
from pimtasks.schedules.expression_parser import (
    AtExpression,
    CronExpression,
    RateExpression,
    ScheduleExpression,
    parse_expression,
)
from pimtasks.schedules.next_run import next_run_at

__all__ = [
    "AtExpression",
    "CronExpression",
    "RateExpression",
    "ScheduleExpression",
    "ScheduleSpec",
    "fire_times_between",
    "next_fire_time",
    "next_run_at",
    "parse_expression",
    "schedule_expression",
    "schedule_spec",
]
