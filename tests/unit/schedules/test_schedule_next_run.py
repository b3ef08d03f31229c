"""next_run_at: a task's next run from its frequency, in the frequency's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pimtasks.domain.frequency import (
    DayFrequency,
    Frequency,
    HourFrequency,
    MinutesFrequency,
    MonthFrequency,
    OnceFrequency,
    WeekFrequency,
)
from pimtasks.schedules import next_run_at

AMS = ZoneInfo("Europe/Amsterdam")
ANCHOR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def run_iso(frequency: Frequency, now: dt.datetime, anchor: dt.datetime = ANCHOR) -> str | None:
    result = next_run_at(frequency, now=now, anchor=anchor)
    return None if result is None else result.isoformat()


def test_weekly_monday_over_the_spring_forward_weekend() -> None:
    # given a weekly Monday 12:53 task, on Friday 27 March 2026 (clocks go forward on Sunday 29 March)
    frequency = WeekFrequency(days=["MON"], time="12:53")
    # when / then: still 12:53 local, now on summer time
    assert run_iso(frequency, dt.datetime(2026, 3, 27, 9, 0, tzinfo=AMS)) == "2026-03-30T12:53:00+02:00"


def test_weekly_monday_over_the_fall_back_weekend() -> None:
    frequency = WeekFrequency(days=["MON"], time="12:53")
    assert run_iso(frequency, dt.datetime(2026, 10, 23, 9, 0, tzinfo=AMS)) == "2026-10-26T12:53:00+01:00"


def test_weekly_several_days() -> None:
    frequency = WeekFrequency(days=["FRI", "MON"], time="08:00")
    assert run_iso(frequency, dt.datetime(2026, 6, 1, 9, 0, tzinfo=AMS)) == "2026-06-05T08:00:00+02:00"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # spring forward: 29 March has no 02:30, so that day is skipped
        (dt.datetime(2026, 3, 28, 3, 0, tzinfo=AMS), "2026-03-30T02:30:00+02:00"),
        # fall back: 25 October has 02:30 twice; it runs once, the first time
        (dt.datetime(2026, 10, 24, 3, 0, tzinfo=AMS), "2026-10-25T02:30:00+02:00"),
        (dt.datetime(2026, 10, 25, 2, 30, tzinfo=AMS), "2026-10-26T02:30:00+01:00"),
    ],
)
def test_daily_at_0230_across_daylight_saving_changes(now: dt.datetime, expected: str) -> None:
    assert run_iso(DayFrequency(time="02:30"), now) == expected


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        ("America/New_York", (2026, 3, 6, 9), "2026-03-09T12:53:00-04:00"),
        ("America/New_York", (2026, 10, 30, 9), "2026-11-02T12:53:00-05:00"),
        ("Asia/Tokyo", (2026, 3, 27, 9), "2026-03-30T12:53:00+09:00"),
        ("Asia/Tokyo", (2026, 10, 23, 9), "2026-10-26T12:53:00+09:00"),
    ],
)
def test_weekly_in_other_time_zones(zone: str, now: tuple[int, int, int, int], expected: str) -> None:
    frequency = WeekFrequency(days=["MON"], time="12:53", timezone=zone)
    result = next_run_at(frequency, now=dt.datetime(*now, tzinfo=ZoneInfo(zone)), anchor=ANCHOR)
    assert result is not None
    assert result.isoformat() == expected
    assert result.tzinfo == ZoneInfo(zone)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2028, 2, 1, tzinfo=AMS), "2028-02-29T23:00:00+01:00"),  # leap year
        (dt.datetime(2026, 2, 1, tzinfo=AMS), "2026-02-28T23:00:00+01:00"),
        (dt.datetime(2026, 4, 30, 23, 0, tzinfo=AMS), "2026-05-31T23:00:00+02:00"),
    ],
)
def test_monthly_on_the_last_day(now: dt.datetime, expected: str) -> None:
    frequency = MonthFrequency(day_of_month="last", time="23:00")
    assert run_iso(frequency, now) == expected


def test_monthly_on_day_31_skips_short_months() -> None:
    frequency = MonthFrequency(day_of_month=31, time="06:00")
    assert run_iso(frequency, dt.datetime(2026, 1, 31, 7, 0, tzinfo=AMS)) == "2026-03-31T06:00:00+02:00"
    assert run_iso(frequency, dt.datetime(2026, 4, 1, tzinfo=AMS)) == "2026-05-31T06:00:00+02:00"


def test_hourly_at_minute_m() -> None:
    frequency = HourFrequency(minute=15)
    assert run_iso(frequency, dt.datetime(2026, 6, 1, 10, 20, tzinfo=AMS)) == "2026-06-01T11:15:00+02:00"
    assert run_iso(frequency, dt.datetime(2026, 6, 1, 10, 14, 59, tzinfo=AMS)) == "2026-06-01T10:15:00+02:00"


def test_hourly_across_fall_back_skips_the_repeated_hour() -> None:
    # 02:15 on summer time has run; 02:15 on winter time does not run again
    frequency = HourFrequency(minute=15)
    assert run_iso(frequency, dt.datetime(2026, 10, 25, 2, 15, tzinfo=AMS)) == "2026-10-25T03:15:00+01:00"


def test_minutes_counts_from_the_anchor_rounded_up() -> None:
    # given every 30 minutes, anchored at 10:00:20 UTC (so starting 10:01 UTC)
    frequency = MinutesFrequency(interval=30)
    anchor = dt.datetime(2026, 6, 1, 10, 0, 20, tzinfo=dt.UTC)
    # then before the anchor, the first run is the start; later ones are on the 30-minute grid
    assert (
        run_iso(frequency, dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC), anchor)
        == "2026-06-01T12:01:00+02:00"
    )
    assert (
        run_iso(frequency, dt.datetime(2026, 6, 1, 10, 45, tzinfo=dt.UTC), anchor)
        == "2026-06-01T13:01:00+02:00"
    )


def test_minutes_are_absolute_time_across_fall_back() -> None:
    # given every 720 minutes from 2026-10-24 12:00 Amsterdam (10:00 UTC)
    frequency = MinutesFrequency(interval=720)
    anchor = dt.datetime(2026, 10, 24, 10, 0, tzinfo=dt.UTC)
    # then two intervals later the wall clock shows 11:00 (the 25-hour day)
    now = dt.datetime(2026, 10, 25, 0, 0, tzinfo=AMS)
    assert run_iso(frequency, now, anchor) == "2026-10-25T11:00:00+01:00"


def test_once_in_the_future_and_in_the_past() -> None:
    frequency = OnceFrequency(date=dt.date(2026, 12, 1), time="12:53")
    assert run_iso(frequency, dt.datetime(2026, 6, 1, tzinfo=AMS)) == "2026-12-01T12:53:00+01:00"
    assert run_iso(frequency, dt.datetime(2026, 12, 1, 12, 53, tzinfo=AMS)) is None
    assert run_iso(frequency, dt.datetime(2027, 1, 1, tzinfo=AMS)) is None
