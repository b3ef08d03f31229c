"""When does an EventBridge Scheduler schedule fire? ``cron``, ``rate`` and ``at`` with a time zone.

Used to compute a task's ``next_run_at`` and by the local schedule runner to decide when a schedule falls
due, so it answers exactly as EventBridge Scheduler documents its behaviour, and it is cheap: it walks the
candidate days, hours and minutes of a cron expression, never minute by minute over a long span.

Daylight saving time
    ``cron`` and ``at`` are read in wall-clock time of the schedule's time zone (its
    ``ScheduleExpressionTimezone``); ``rate`` counts absolute time. EventBridge Scheduler documents
    (User Guide, "Schedule types on EventBridge Scheduler", section "Daylight savings time on
    EventBridge Scheduler",
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time;
    repeated in https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst):

        "EventBridge Scheduler automatically adjusts your schedule for Daylight Saving Time. When the time
        shifts forward in Spring, your schedule invocation gets skipped if the cron expression falls on a
        non-existent date and time. When the time shifts back in the Fall, your schedule runs only once and
        doesn't repeat its invocation." For rate schedules in days, "days represents a 24-hour duration".

    What this module does, case by case:

    - cron, wall time that does not exist (spring-forward gap): that occurrence is **skipped** (documented).
      A daily 02:30 in Europe/Amsterdam does not run on 29 March 2026.
    - cron, wall time that occurs twice (fall-back): it runs **once** (documented). The documentation does
      not say which of the two instants; we take the **first** occurrence (still on summer time).
      Minutes of the repeated hour in a ``cron(0/5 * ...)`` therefore run once each, in the first pass.
    - at, wall time that does not exist: the documentation is silent; a one-time schedule that silently
      never fires would lose the run, so it fires at the **first instant after the gap** (02:30 on
      29 March 2026 in Europe/Amsterdam fires at 03:00+02:00).
    - at, wall time that occurs twice: the documentation is silent; it fires once, at the first occurrence.
    - rate: absolute time (``start_date + k * interval``); DST does not move it.

Start and end dates (CreateSchedule API reference)
    ``StartDate`` is "the date, in UTC, after which the schedule can begin invoking its target": a fire time
    is never before ``start_date`` (it may equal it). ``EndDate`` is "the date, in UTC, before which the
    schedule can invoke its target": a fire time is always strictly before ``end_date``. "EventBridge
    Scheduler ignores StartDate [and EndDate] for one-time schedules", and so does this module for ``at``.

Rate without a start date
    EventBridge Scheduler then starts "immediately", at creation, which an evaluator cannot know. Here the
    rate grid is aligned to the Unix epoch (1970-01-01T00:00:00Z): ``rate(15 minutes)`` fires at :00, :15,
    :30 and :45 UTC. That rule is deterministic, so repeated calls agree (``after + interval`` would move
    with every call and never fall due). Our own code always passes a start date.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pimtasks.schedules.expression_parser import (
    AtExpression,
    CronExpression,
    RateExpression,
    ScheduleExpression,
    parse_expression,
)

UTC = dt.UTC
RATE_ORIGIN_WITHOUT_START_DATE = dt.datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = dt.timedelta(seconds=1)


def next_fire_time(
    *,
    expression: str,
    timezone: str,
    after: dt.datetime,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
) -> dt.datetime | None:
    """The first time the schedule fires strictly after ``after``, or None if it never fires again.

    The result is an aware datetime in the schedule's time zone (with the UTC offset of that instant).
    All datetime arguments must be timezone-aware. Raises ``ValueError`` for an invalid expression or an
    unknown time zone.
    """
    fire_times = _fire_times(
        expression=expression, timezone=timezone, after=after, start_date=start_date, end_date=end_date
    )
    return next(fire_times, None)


def fire_times_between(
    *,
    expression: str,
    timezone: str,
    start: dt.datetime,
    end: dt.datetime,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    limit: int = 1000,
) -> list[dt.datetime]:
    """The times the schedule fires in ``(start, end]``, ascending, at most ``limit`` of them.

    Times are aware datetimes in the schedule's time zone; arguments as for ``next_fire_time``.
    """
    _require_aware(end, "end")
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    fire_times = _fire_times(
        expression=expression, timezone=timezone, after=start, start_date=start_date, end_date=end_date
    )
    within = itertools.takewhile(lambda fire_time: fire_time <= end, fire_times)
    return list(itertools.islice(within, limit))


def _fire_times(
    *,
    expression: str,
    timezone: str,
    after: dt.datetime,
    start_date: dt.datetime | None,
    end_date: dt.datetime | None,
) -> Iterator[dt.datetime]:
    """Fire times strictly after ``after`` within the start/end window, ascending, in the schedule's zone."""
    _require_aware(after, "after")
    _require_aware(start_date, "start_date")
    _require_aware(end_date, "end_date")
    parsed: ScheduleExpression = parse_expression(expression)
    zone = _zone(timezone)
    instants = _instants(parsed, zone=zone, after=after.astimezone(UTC), start_date=start_date)
    for instant in instants:
        if end_date is not None and instant >= end_date and not isinstance(parsed, AtExpression):
            return
        yield instant.astimezone(zone)


def _instants(
    parsed: ScheduleExpression, *, zone: ZoneInfo, after: dt.datetime, start_date: dt.datetime | None
) -> Iterator[dt.datetime]:
    """UTC fire instants strictly after ``after`` (and not before ``start_date``), ascending, unbounded."""
    if isinstance(parsed, AtExpression):
        return _at_instants(parsed, zone=zone, after=after)
    if isinstance(parsed, RateExpression):
        return _rate_instants(parsed, after=after, start_date=start_date)
    return _cron_instants(parsed, zone=zone, after=after, start_date=start_date)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {timezone!r}; use an IANA name such as 'Europe/Amsterdam'"
        ) from exc


def _require_aware(value: dt.datetime | None, name: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}")


# --- at ------------------------------------------------------------------------------------------------


def _at_instants(parsed: AtExpression, *, zone: ZoneInfo, after: dt.datetime) -> Iterator[dt.datetime]:
    instant = _wall_to_instant(parsed.wall_time, zone) or _first_instant_after_gap(parsed.wall_time, zone)
    if instant > after:
        yield instant


def _first_instant_after_gap(wall_time: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The transition that skipped ``wall_time``: the first instant whose wall clock is past the gap.

    Both folds of a wall time in a gap map to instants on either side of the transition (PEP 495); a binary
    search over whole seconds between them finds it (tz transitions fall on whole seconds).
    """
    earlier, later = sorted(wall_time.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    offset_after = later.astimezone(zone).utcoffset()
    while later - earlier > _ONE_SECOND:
        middle = earlier + _ONE_SECOND * (((later - earlier) // _ONE_SECOND) // 2)
        if middle.astimezone(zone).utcoffset() == offset_after:
            later = middle
        else:
            earlier = middle
    return later


# --- rate ----------------------------------------------------------------------------------------------


def _rate_instants(
    parsed: RateExpression, *, after: dt.datetime, start_date: dt.datetime | None
) -> Iterator[dt.datetime]:
    origin = RATE_ORIGIN_WITHOUT_START_DATE if start_date is None else start_date.astimezone(UTC)
    step = max(0, (after - origin) // parsed.interval + 1)
    while True:
        yield origin + parsed.interval * step
        step += 1


# --- cron ----------------------------------------------------------------------------------------------


def _cron_instants(
    parsed: CronExpression, *, zone: ZoneInfo, after: dt.datetime, start_date: dt.datetime | None
) -> Iterator[dt.datetime]:
    lower = after if start_date is None else max(after, start_date.astimezone(UTC))
    first_wall = lower.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    for wall_time in _cron_wall_times(parsed, first_wall):
        instant = _wall_to_instant(wall_time, zone)
        if instant is None:
            continue  # spring forward: a cron time that does not exist is skipped
        if instant > after and (start_date is None or instant >= start_date):
            yield instant


def _wall_to_instant(wall_time: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a wall-clock time: the first one if it occurs twice, None if it does not exist."""
    instant = wall_time.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall_time:
        return None
    return instant


def _cron_wall_times(parsed: CronExpression, first: dt.datetime) -> Iterator[dt.datetime]:
    """Naive wall-clock times matching the expression from ``first`` (inclusive), ascending.

    Mapping wall times to instants with the first occurrence keeps them in ascending order, so callers
    can stop at the first instant that qualifies.
    """
    first_day, first_hour = first.date(), (first.date(), first.hour)
    for day in _cron_days(parsed, first_day):
        hours = parsed.hours if day > first_day else _from(parsed.hours, first.hour)
        for hour in hours:
            minutes = parsed.minutes if (day, hour) > first_hour else _from(parsed.minutes, first.minute)
            for minute in minutes:
                yield dt.datetime(day.year, day.month, day.day, hour, minute)


def _cron_days(parsed: CronExpression, first: dt.date) -> Iterator[dt.date]:
    """Dates matching the day, month and year fields from ``first`` (inclusive), ascending, up to 2199."""
    for year in _from(parsed.years, first.year):
        months = parsed.months if year > first.year else _from(parsed.months, first.month)
        for month in months:
            days = parsed.day_rule.days(year, month)
            if (year, month) == (first.year, first.month):
                days = _from(days, first.day)
            for day in days:
                yield dt.date(year, month, day)


def _from(values: tuple[int, ...], lowest: int) -> tuple[int, ...]:
    """The sorted ``values`` that are at least ``lowest``."""
    return values[bisect.bisect_left(values, lowest) :]
