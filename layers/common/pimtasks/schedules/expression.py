"""From a task's frequency to an EventBridge Scheduler schedule: expression, time zone and start date.

- once 2026-12-01 12:53      -> ``at(2026-12-01T12:53:00)``
- every N minutes           -> ``rate(N minutes)``, starting at the anchor rounded up to a whole minute
- hourly at minute M        -> ``cron(M * * * ? *)``
- daily at HH:MM            -> ``cron(MM HH * * ? *)``
- weekly MON,WED at HH:MM   -> ``cron(MM HH ? * MON,WED *)``
- monthly on D / last HH:MM -> ``cron(MM HH D * ? *)`` / ``cron(MM HH L * ? *)``

Every expression is read in the frequency's time zone (``ScheduleExpressionTimezone``), so wall-clock
times stay put across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import assert_never

from pimtasks.domain.frequency import (
    DayFrequency,
    Frequency,
    HourFrequency,
    MinutesFrequency,
    MonthFrequency,
    OnceFrequency,
    Weekday,
    WeekFrequency,
)

_WEEK_ORDER = list(Weekday)


@dataclass(frozen=True)
class ScheduleSpec:
    """When a schedule fires, as EventBridge Scheduler takes it.

    ``expression`` is ``ScheduleExpression``, ``timezone`` is ``ScheduleExpressionTimezone`` and
    ``start_date`` (timezone-aware UTC, or None) is ``StartDate``.
    """

    expression: str
    timezone: str
    start_date: dt.datetime | None = None


def schedule_spec(frequency: Frequency, *, anchor: dt.datetime) -> ScheduleSpec:
    """The EventBridge Scheduler schedule of a frequency.

    ``anchor`` (timezone-aware) is when an interval schedule starts counting, typically the moment the
    task was created or its frequency changed; only ``minutes`` frequencies use it: their first run is at
    the anchor rounded up to a whole minute, and every ``interval`` minutes after that.
    """
    if anchor.utcoffset() is None:
        raise ValueError(f"anchor must be a timezone-aware datetime, got naive {anchor.isoformat()}")
    return ScheduleSpec(
        expression=schedule_expression(frequency),
        timezone=frequency.timezone,
        start_date=_ceil_to_minute(anchor) if isinstance(frequency, MinutesFrequency) else None,
    )


def schedule_expression(frequency: Frequency) -> str:
    """The ``at``/``rate``/``cron`` expression of a frequency (read in the frequency's time zone)."""
    if isinstance(frequency, OnceFrequency):
        hour, minute = frequency.hour_minute()
        return f"at({frequency.date.isoformat()}T{hour:02d}:{minute:02d}:00)"
    if isinstance(frequency, MinutesFrequency):
        return f"rate({frequency.interval} minutes)"
    if isinstance(frequency, HourFrequency):
        return _cron(minute=frequency.minute, hour="*", day_of_month="*", day_of_week="?")
    if isinstance(frequency, DayFrequency):
        hour, minute = frequency.hour_minute()
        return _cron(minute=minute, hour=hour, day_of_month="*", day_of_week="?")
    if isinstance(frequency, WeekFrequency):
        hour, minute = frequency.hour_minute()
        return _cron(minute=minute, hour=hour, day_of_month="?", day_of_week=_weekdays(frequency.days))
    if isinstance(frequency, MonthFrequency):
        hour, minute = frequency.hour_minute()
        day = "L" if frequency.day_of_month == "last" else frequency.day_of_month
        return _cron(minute=minute, hour=hour, day_of_month=day, day_of_week="?")
    assert_never(frequency)


def _cron(*, minute: int, hour: int | str, day_of_month: int | str, day_of_week: str) -> str:
    return f"cron({minute} {hour} {day_of_month} * {day_of_week} *)"


def _weekdays(days: list[Weekday]) -> str:
    return ",".join(day.value for day in sorted(set(days), key=_WEEK_ORDER.index))


def _ceil_to_minute(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC, rounded up to the next whole minute (unchanged when it is one already)."""
    utc = moment.astimezone(dt.UTC)
    floor = utc.replace(second=0, microsecond=0)
    return floor if floor == utc else floor + dt.timedelta(minutes=1)
