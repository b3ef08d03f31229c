"""Parse EventBridge Scheduler schedule expressions (``cron(...)``, ``rate(...)``, ``at(...)``) into models.

The cron syntax is the six-field AWS one: ``cron(minutes hours day-of-month month day-of-week year)``.

- ``*`` every value, ``,`` lists, ``-`` ranges, ``/`` steps (``0/15``, ``*/10``, ``10-40/5``).
- Month names ``JAN``-``DEC`` and weekday names ``SUN``-``SAT`` (case-insensitive); weekdays are numbered the
  AWS way, ``1`` = Sunday ... ``7`` = Saturday.
- ``?`` in exactly one of day-of-month and day-of-week ("any"): AWS does not allow both day fields at once.
- Day-of-month: ``L`` (last day of the month), ``nW`` (the weekday nearest to day n, within the month),
  ``LW`` (the last weekday of the month).
- Day-of-week: ``L`` (Saturday, the last day of the week), ``nL`` (the last weekday n of the month, ``6L`` =
  last Friday), ``n#k`` (the k-th weekday n of the month, ``2#1`` = first Monday).
- Year: 1970-2199.
- A range whose start is after its end wraps around (``FRI-MON``, ``22-2``), as in Quartz; not in the year.

Invalid expressions raise ``ValueError`` with a message that names the field and what is wrong.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Protocol

MIN_YEAR = 1970
MAX_YEAR = 2199

_EXPRESSION = re.compile(r"^\s*(?P<kind>cron|rate|at)\((?P<body>[^()]*)\)\s*$")
_RATE = re.compile(r"^\s*(?P<value>\d+)\s+(?P<unit>minutes?|hours?|days?)\s*$")
_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_NEAREST_WEEKDAY = re.compile(r"^(?P<day>\d+)W$")
_LAST_WEEKDAY = re.compile(r"^(?P<weekday>[0-9A-Z]+)L$")
_NTH_WEEKDAY = re.compile(r"^(?P<weekday>[0-9A-Z]+)#(?P<nth>\d+)$")

_RATE_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTH_NAMES = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_WEEKDAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_AWS_SATURDAY = 7


# --- day rules: which days of a given month match --------------------------------------------------


class DayRule(Protocol):
    """Which days of a month a cron expression's day fields select."""

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """Matching days of ``month`` in ``year``, ascending."""
        ...


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _python_weekday(aws_weekday: int) -> int:
    """AWS numbering (1 = Sunday .. 7 = Saturday) to Python's (0 = Monday .. 6 = Sunday)."""
    return (aws_weekday + 5) % 7


@dataclass(frozen=True)
class EveryDay:
    """``*`` in a day field: every day of the month."""

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """All days of the month."""
        return tuple(range(1, _month_length(year, month) + 1))


@dataclass(frozen=True)
class DaysOfMonth:
    """Listed days of the month; days the month does not have are skipped (31 in April)."""

    values: tuple[int, ...]

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """The listed days that exist in this month."""
        length = _month_length(year, month)
        return tuple(day for day in self.values if day <= length)


@dataclass(frozen=True)
class LastDayOfMonth:
    """``L`` in day-of-month."""

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """The month's last day."""
        return (_month_length(year, month),)


@dataclass(frozen=True)
class NearestWeekday:
    """``nW`` (``LW`` when ``day`` is None): the Monday-Friday nearest to day n, within the month."""

    day: int | None

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """The nearest weekday, or nothing when the month has no day n."""
        length = _month_length(year, month)
        day = length if self.day is None else self.day
        if day > length:
            return ()
        weekday = calendar.weekday(year, month, day)
        if weekday == calendar.SATURDAY:
            return (day - 1,) if day > 1 else (day + 2,)
        if weekday == calendar.SUNDAY:
            return (day + 1,) if day < length else (day - 2,)
        return (day,)


@dataclass(frozen=True)
class DaysOfWeek:
    """Listed weekdays (Python numbering, 0 = Monday)."""

    weekdays: frozenset[int]

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """Every day of the month that falls on one of the weekdays."""
        first = calendar.weekday(year, month, 1)
        length = _month_length(year, month)
        return tuple(day for day in range(1, length + 1) if (first + day - 1) % 7 in self.weekdays)


@dataclass(frozen=True)
class LastWeekdayOfMonth:
    """``nL`` in day-of-week: the last weekday n of the month (Python numbering)."""

    weekday: int

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """The last day of the month that falls on the weekday."""
        length = _month_length(year, month)
        back = (calendar.weekday(year, month, length) - self.weekday) % 7
        return (length - back,)


@dataclass(frozen=True)
class NthWeekdayOfMonth:
    """``n#k`` in day-of-week: the k-th weekday n of the month (Python numbering); none if no k-th."""

    weekday: int
    nth: int

    def days(self, year: int, month: int) -> tuple[int, ...]:
        """The k-th occurrence of the weekday, or nothing (a fifth Monday is rare)."""
        first = (self.weekday - calendar.weekday(year, month, 1)) % 7 + 1
        day = first + 7 * (self.nth - 1)
        return (day,) if day <= _month_length(year, month) else ()


# --- parsed expressions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CronExpression:
    """A parsed ``cron(...)``: sorted allowed values per field, and the rule that picks the days."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    years: tuple[int, ...]
    day_rule: DayRule


@dataclass(frozen=True)
class RateExpression:
    """A parsed ``rate(...)``: a fixed interval of absolute time."""

    interval: dt.timedelta


@dataclass(frozen=True)
class AtExpression:
    """A parsed ``at(...)``: one wall-clock date and time (naive; read in the schedule's time zone)."""

    wall_time: dt.datetime


ScheduleExpression = CronExpression | RateExpression | AtExpression


@functools.lru_cache(maxsize=4096)
def parse_expression(expression: str) -> ScheduleExpression:
    """Parse an EventBridge Scheduler schedule expression; ``ValueError`` says what is wrong with it."""
    match = _EXPRESSION.match(expression)
    if match is None:
        raise ValueError(
            f"invalid schedule expression {expression!r}: expected cron(...), rate(...) or at(...)"
        )
    kind, body = match["kind"], match["body"]
    if kind == "rate":
        return _parse_rate(body)
    if kind == "at":
        return _parse_at(body)
    return _parse_cron(body)


def _parse_rate(body: str) -> RateExpression:
    match = _RATE.match(body)
    if match is None:
        raise ValueError(f"invalid rate expression rate({body}): expected rate(value minutes|hours|days)")
    value = int(match["value"])
    if value < 1:
        raise ValueError(f"invalid rate expression rate({body}): the value must be a positive number")
    seconds = _RATE_UNIT_SECONDS[match["unit"].removesuffix("s")]
    return RateExpression(interval=dt.timedelta(seconds=value * seconds))


def _parse_at(body: str) -> AtExpression:
    text = body.strip()
    if _AT.match(text) is None:
        raise ValueError(f"invalid at expression at({body}): expected at(yyyy-mm-ddThh:mm:ss)")
    try:
        wall_time = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        raise ValueError(f"invalid at expression at({body}): {exc}") from exc
    return AtExpression(wall_time=wall_time)


# --- cron fields -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]
    wraps: bool = True


_MINUTES = _Field("minutes", 0, 59, {})
_HOURS = _Field("hours", 0, 23, {})
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, {})
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, _WEEKDAY_NAMES)
_YEAR = _Field("year", MIN_YEAR, MAX_YEAR, {}, wraps=False)


def _parse_cron(body: str) -> CronExpression:
    fields = body.split()
    if len(fields) != 6:
        raise ValueError(
            f"invalid cron expression cron({body}): expected 6 fields "
            f"(minutes hours day-of-month month day-of-week year), got {len(fields)}"
        )
    minutes, hours, day_of_month, month, day_of_week, year = (field.upper() for field in fields)
    return CronExpression(
        minutes=_values(minutes, _MINUTES),
        hours=_values(hours, _HOURS),
        months=_values(month, _MONTH),
        years=_values(year, _YEAR),
        day_rule=_day_rule(day_of_month, day_of_week),
    )


def _values(text: str, field: _Field) -> tuple[int, ...]:
    """All values of a field's list/range/step syntax, sorted."""
    if text == "?":
        raise ValueError(f"cron {field.name} field: '?' is only allowed in day-of-month or day-of-week")
    values: set[int] = set()
    for part in text.split(","):
        values.update(_part_values(part, field))
    return tuple(sorted(values))


def _part_values(part: str, field: _Field) -> list[int]:
    base, slash, step_text = part.partition("/")
    step = _step(step_text, field) if slash else 1
    if base == "*":
        return list(range(field.low, field.high + 1, step))
    start_text, dash, end_text = base.partition("-")
    start = _value(start_text, field)
    if dash:
        return _range(start, _value(end_text, field), step, field)
    return list(range(start, field.high + 1, step)) if slash else [start]


def _step(text: str, field: _Field) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"cron {field.name} field: step {text!r} must be a positive whole number")
    return int(text)


def _range(start: int, end: int, step: int, field: _Field) -> list[int]:
    if start <= end:
        return list(range(start, end + 1, step))
    if not field.wraps:
        raise ValueError(f"cron {field.name} field: range {start}-{end} starts after it ends")
    span = list(range(start, field.high + 1)) + list(range(field.low, end + 1))
    return span[::step]


def _value(text: str, field: _Field) -> int:
    if text in field.names:
        return field.names[text]
    if not text.isdigit():
        raise ValueError(f"cron {field.name} field: {text!r} is not a valid value")
    value = int(text)
    if not field.low <= value <= field.high:
        raise ValueError(f"cron {field.name} field: {value} is outside {field.low}-{field.high}")
    return value


def _day_rule(day_of_month: str, day_of_week: str) -> DayRule:
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError(
            "cron day fields: exactly one of day-of-month and day-of-week must be '?' "
            f"(got {day_of_month!r} and {day_of_week!r})"
        )
    if day_of_week == "?":
        return _day_of_month_rule(day_of_month)
    return _day_of_week_rule(day_of_week)


def _day_of_month_rule(text: str) -> DayRule:
    if text == "*":
        return EveryDay()
    if text == "L":
        return LastDayOfMonth()
    if text == "LW":
        return NearestWeekday(day=None)
    nearest = _NEAREST_WEEKDAY.match(text)
    if nearest is not None:
        return NearestWeekday(day=_value(nearest["day"], _DAY_OF_MONTH))
    if "L" in text or "W" in text:
        raise ValueError(f"cron day-of-month field: {text!r}; L and W cannot be combined with other values")
    return DaysOfMonth(values=_values(text, _DAY_OF_MONTH))


def _day_of_week_rule(text: str) -> DayRule:
    if text == "*":
        return EveryDay()
    if text == "L":
        return DaysOfWeek(weekdays=frozenset({_python_weekday(_AWS_SATURDAY)}))
    last = _LAST_WEEKDAY.match(text)
    if last is not None:
        return LastWeekdayOfMonth(weekday=_python_weekday(_value(last["weekday"], _DAY_OF_WEEK)))
    nth = _NTH_WEEKDAY.match(text)
    if nth is not None:
        return _nth_weekday_rule(nth["weekday"], nth["nth"])
    if "#" in text or text.endswith("L"):
        raise ValueError(f"cron day-of-week field: {text!r}; L and # cannot be combined with other values")
    weekdays = _values(text, _DAY_OF_WEEK)
    return DaysOfWeek(weekdays=frozenset(_python_weekday(day) for day in weekdays))


def _nth_weekday_rule(weekday_text: str, nth_text: str) -> DayRule:
    nth = int(nth_text)
    if not 1 <= nth <= 5:
        raise ValueError(f"cron day-of-week field: '#{nth_text}' must be #1 to #5")
    return NthWeekdayOfMonth(weekday=_python_weekday(_value(weekday_text, _DAY_OF_WEEK)), nth=nth)
