"""When a task runs: the six frequencies of the domain, as a discriminated union on ``every``.

Times are wall-clock times in an IANA time zone, so "Mondays 12:53" stays 12:53 across daylight-saving
changes. The translation to EventBridge Scheduler expressions lives in ``pimtasks.schedules``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_TIMEZONE = "Europe/Amsterdam"
MIN_INTERVAL_MINUTES = 5
MAX_INTERVAL_MINUTES = 720


class Weekday(StrEnum):
    """Days of the week with the three-letter names EventBridge Scheduler cron expressions use."""

    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"


TimeOfDay = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Wall-clock time HH:MM", examples=["12:53"]),
]


class _FrequencyBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        description="IANA time zone of the wall-clock time",
        examples=["Europe/Amsterdam"],
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Amsterdam'") from exc
        if value not in _timezones():
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Amsterdam'")
        return value


def _timezones() -> set[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = available_timezones() | {"UTC"}
    return _TIMEZONES


_TIMEZONES: set[str] | None = None


class _TimedFrequency(_FrequencyBase):
    """A frequency with a wall-clock time of day."""

    time: TimeOfDay

    def hour_minute(self) -> tuple[int, int]:
        """(hour, minute) of ``time``."""
        hour, minute = self.time.split(":")
        return int(hour), int(minute)


class OnceFrequency(_TimedFrequency):
    """Once, on a date at a time."""

    every: Literal["once"] = "once"
    date: dt.date = Field(description="Calendar date (YYYY-MM-DD)")


class MinutesFrequency(_FrequencyBase):
    """Every N minutes (N in 5..720)."""

    every: Literal["minutes"] = "minutes"
    interval: int = Field(ge=MIN_INTERVAL_MINUTES, le=MAX_INTERVAL_MINUTES, description="Minutes between runs")


class HourFrequency(_FrequencyBase):
    """Every hour at minute M."""

    every: Literal["hour"] = "hour"
    minute: int = Field(ge=0, le=59, description="Minute past the hour")


class DayFrequency(_TimedFrequency):
    """Every day at HH:MM."""

    every: Literal["day"] = "day"


class WeekFrequency(_TimedFrequency):
    """On chosen weekdays at HH:MM."""

    every: Literal["week"] = "week"
    days: list[Weekday] = Field(min_length=1, max_length=7, description="Weekdays, e.g. ['MON']")

    @field_validator("days")
    @classmethod
    def _unique_days_in_week_order(cls, value: list[Weekday]) -> list[Weekday]:
        order = list(Weekday)
        return sorted(set(value), key=order.index)


class MonthFrequency(_TimedFrequency):
    """On day D of the month (1-31, or "last") at HH:MM.

    Days 29-31 only fire in months that have them (as a cron schedule does); use "last" for month-end.
    """

    every: Literal["month"] = "month"
    day_of_month: int | Literal["last"] = Field(description="1-31, or 'last' for the month's last day")

    @field_validator("day_of_month")
    @classmethod
    def _day_in_range(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 31:
            raise ValueError("day_of_month must be 1..31 or 'last'")
        return value


Frequency = Annotated[
    OnceFrequency | MinutesFrequency | HourFrequency | DayFrequency | WeekFrequency | MonthFrequency,
    Field(discriminator="every"),
]
"""Any of the six frequencies, chosen by ``every``."""

FREQUENCY_KINDS: tuple[str, ...] = ("once", "minutes", "hour", "day", "week", "month")
