"""A task's next run: its frequency's schedule, evaluated the way EventBridge Scheduler fires it."""

from __future__ import annotations

import datetime as dt

from pimtasks.domain.frequency import Frequency
from pimtasks.schedules.evaluator import next_fire_time
from pimtasks.schedules.expression import schedule_spec


def next_run_at(frequency: Frequency, *, now: dt.datetime, anchor: dt.datetime) -> dt.datetime | None:
    """When a task with this frequency runs next, strictly after ``now``; None if it never runs again.

    The result is timezone-aware, in the frequency's time zone. ``anchor`` is as for ``schedule_spec``
    (the start of a ``minutes`` interval). A ``once`` frequency in the past gives None.
    """
    spec = schedule_spec(frequency, anchor=anchor)
    return next_fire_time(
        expression=spec.expression, timezone=spec.timezone, after=now, start_date=spec.start_date
    )
