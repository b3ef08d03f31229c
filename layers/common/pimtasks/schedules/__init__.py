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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "fire_times_between": "evaluator", "next_fire_time": "evaluator",
    "ScheduleSpec": "expression", "schedule_expression": "expression", "schedule_spec": "expression",
    "AtExpression": "expression_parser", "CronExpression": "expression_parser", "RateExpression": "expression_parser",
    "ScheduleExpression": "expression_parser", "parse_expression": "expression_parser",
    "next_run_at": "next_run",
}
"""Each name's module, imported when the name is first read (PEP 562): the scheduler sync function only
turns frequencies into expressions and never loads the parser and evaluator (``bench_handler_imports``)."""


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


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
