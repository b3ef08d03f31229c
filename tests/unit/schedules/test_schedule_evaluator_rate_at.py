"""next_fire_time / fire_times_between for rate and at expressions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pimtasks.schedules import fire_times_between, next_fire_time

AMS = "Europe/Amsterdam"
START = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def next_iso(expression: str, *, after: dt.datetime, zone: str = AMS, **dates: dt.datetime) -> str | None:
    fire_time = next_fire_time(expression=expression, timezone=zone, after=after, **dates)
    return None if fire_time is None else fire_time.isoformat()


# --- rate -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2026, 5, 1), "2026-06-01T12:00:00+02:00"),  # before the start date: the start date itself
        (START, "2026-06-01T12:15:00+02:00"),  # strictly after
        (utc(2026, 6, 1, 10, 7, 30), "2026-06-01T12:15:00+02:00"),
        (utc(2026, 6, 1, 10, 15), "2026-06-01T12:30:00+02:00"),
        (utc(2026, 6, 3, 23, 59), "2026-06-04T02:00:00+02:00"),
    ],
)
def test_rate_fires_at_the_start_date_and_every_interval_after_it(after: dt.datetime, expected: str) -> None:
    assert next_iso("rate(15 minutes)", after=after, start_date=START) == expected


def test_rate_counts_absolute_time_across_daylight_saving() -> None:
    # given a daily rate starting at 13:00 Amsterdam time, the day before spring forward
    start_date = utc(2026, 3, 28, 12, 0)
    fire_times = fire_times_between(
        expression="rate(1 day)",
        timezone=AMS,
        start=start_date,
        end=utc(2026, 3, 30, 12),
        start_date=start_date,
    )
    # then it runs every 24 hours, so the wall-clock time moves an hour
    assert [time.isoformat() for time in fire_times] == [
        "2026-03-29T14:00:00+02:00",
        "2026-03-30T14:00:00+02:00",
    ]


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(15 minutes)", utc(2026, 6, 1, 10, 7, 30), "2026-06-01T10:15:00+00:00"),
        ("rate(1 minute)", utc(2026, 6, 1, 10, 7, 30), "2026-06-01T10:08:00+00:00"),
        ("rate(1 hour)", utc(2026, 6, 1, 10, 0), "2026-06-01T11:00:00+00:00"),
        ("rate(2 hours)", utc(2026, 6, 1, 10, 0), "2026-06-01T12:00:00+00:00"),
        ("rate(1 day)", utc(2026, 6, 1, 10, 0), "2026-06-02T00:00:00+00:00"),
    ],
)
def test_rate_without_start_date_is_aligned_to_the_unix_epoch(
    expression: str, after: dt.datetime, expected: str
) -> None:
    # given no start date / when asked twice / then the same, epoch-aligned answer
    assert next_iso(expression, after=after, zone="UTC") == expected
    assert next_iso(expression, after=after + dt.timedelta(seconds=5), zone="UTC") == expected


def test_rate_stops_before_the_end_date() -> None:
    end_date = utc(2026, 6, 1, 10, 30)
    fire_times = fire_times_between(
        expression="rate(15 minutes)",
        timezone="UTC",
        start=utc(2026, 6, 1),
        end=utc(2026, 6, 2),
        start_date=START,
        end_date=end_date,
    )
    assert [time.isoformat() for time in fire_times] == [
        "2026-06-01T10:00:00+00:00",
        "2026-06-01T10:15:00+00:00",
    ]
    assert (
        next_iso("rate(15 minutes)", after=utc(2026, 6, 1, 10, 15), start_date=START, end_date=end_date)
        is None
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(0 minutes)", "positive number"),
        ("rate(5 weeks)", "expected rate"),
        ("rate(five minutes)", "expected rate"),
        ("rate(5)", "expected rate"),
        ("rate(-5 minutes)", "expected rate"),
    ],
)
def test_invalid_rate_is_rejected(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        next_fire_time(expression=expression, timezone=AMS, after=START)


# --- at -------------------------------------------------------------------------------------------------


def test_at_in_the_future_fires_once_at_its_wall_clock_time() -> None:
    fire_time = next_fire_time(expression="at(2026-12-01T12:53:00)", timezone=AMS, after=START)
    assert fire_time is not None
    assert fire_time.isoformat() == "2026-12-01T12:53:00+01:00"
    assert fire_time.tzinfo == ZoneInfo(AMS)
    assert next_fire_time(expression="at(2026-12-01T12:53:00)", timezone=AMS, after=fire_time) is None


def test_at_in_the_past_never_fires() -> None:
    assert next_iso("at(2026-01-01T12:00:00)", after=START) is None


def test_at_other_time_zones() -> None:
    assert next_iso("at(2026-12-01T12:53:00)", after=START, zone="Asia/Tokyo") == "2026-12-01T12:53:00+09:00"
    assert (
        next_iso("at(2026-07-01T09:00:00)", after=START, zone="America/New_York")
        == "2026-07-01T09:00:00-04:00"
    )


def test_at_in_the_spring_forward_gap_fires_when_the_gap_ends() -> None:
    assert next_iso("at(2026-03-29T02:30:00)", after=START.replace(month=1)) == "2026-03-29T03:00:00+02:00"
    assert (
        next_iso("at(2026-03-08T02:30:00)", after=START.replace(month=1), zone="America/New_York")
        == "2026-03-08T03:00:00-04:00"
    )


def test_at_in_the_fall_back_repeat_fires_once_at_the_first_occurrence() -> None:
    fire_times = fire_times_between(
        expression="at(2026-10-25T02:30:00)", timezone=AMS, start=utc(2026, 10, 24), end=utc(2026, 10, 26)
    )
    assert [time.isoformat() for time in fire_times] == ["2026-10-25T02:30:00+02:00"]


def test_at_ignores_start_and_end_dates() -> None:
    # as EventBridge Scheduler does for one-time schedules
    assert (
        next_iso("at(2026-12-01T12:53:00)", after=START, start_date=utc(2027, 1, 1), end_date=utc(2026, 7, 1))
        == "2026-12-01T12:53:00+01:00"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("at(2026-02-30T12:00:00)", "day is out of range"),
        ("at(2026-12-01 12:00)", "expected at"),
        ("at(2026-12-01T12:00)", "expected at"),
        ("at(2026-12-01T25:00:00)", "invalid at expression"),
    ],
)
def test_invalid_at_is_rejected(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        next_fire_time(expression=expression, timezone=AMS, after=START)
