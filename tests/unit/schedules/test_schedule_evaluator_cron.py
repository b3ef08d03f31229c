"""next_fire_time / fire_times_between for cron expressions: syntax, calendars and daylight saving time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pimtasks.schedules import fire_times_between, next_fire_time

AMS = "Europe/Amsterdam"


def local(zone: str, *fields: int, fold: int = 0) -> dt.datetime:
    """An aware datetime from (year, month, day[, hour[, minute[, second]]]) in ``zone``."""
    year, month, day, hour, minute, second = (*fields, 0, 0, 0)[:6]
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone), fold=fold)


def next_iso(expression: str, after: dt.datetime, zone: str = AMS) -> str | None:
    fire_time = next_fire_time(expression=expression, timezone=zone, after=after)
    return None if fire_time is None else fire_time.isoformat()


def between_iso(expression: str, start: dt.datetime, end: dt.datetime, zone: str = AMS) -> list[str]:
    fire_times = fire_times_between(expression=expression, timezone=zone, start=start, end=end)
    return [fire_time.isoformat() for fire_time in fire_times]


# --- syntax ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # plain values, lists, ranges, steps
        ("cron(53 12 * * ? *)", (2026, 6, 1, 12, 53), "2026-06-02T12:53:00+02:00"),
        ("cron(53 12 * * ? *)", (2026, 6, 1, 12, 52, 59), "2026-06-01T12:53:00+02:00"),
        ("cron(0/20 * * * ? *)", (2026, 6, 1, 10, 41), "2026-06-01T11:00:00+02:00"),
        ("cron(*/20 * * * ? *)", (2026, 6, 1, 10, 21), "2026-06-01T10:40:00+02:00"),
        ("cron(10-40/15 9 * * ? *)", (2026, 6, 1, 9, 26), "2026-06-01T09:40:00+02:00"),
        ("cron(0 8,17 * * ? *)", (2026, 6, 1, 9, 0), "2026-06-01T17:00:00+02:00"),
        ("cron(0 22-2 * * ? *)", (2026, 6, 1, 3, 0), "2026-06-01T22:00:00+02:00"),
        # names, case-insensitive; AWS weekday numbers 1 = SUN .. 7 = SAT
        ("cron(0 9 ? * MON-FRI *)", (2026, 6, 5, 10, 0), "2026-06-08T09:00:00+02:00"),
        ("cron(0 9 ? * mon-fri *)", (2026, 6, 5, 10, 0), "2026-06-08T09:00:00+02:00"),
        ("cron(0 9 ? * 2-6 *)", (2026, 6, 5, 10, 0), "2026-06-08T09:00:00+02:00"),
        ("cron(0 9 ? * 1 *)", (2026, 6, 1, 10, 0), "2026-06-07T09:00:00+02:00"),
        ("cron(0 9 ? * FRI-MON *)", (2026, 6, 2, 10, 0), "2026-06-05T09:00:00+02:00"),
        ("cron(0 9 1 JAN,jul ? *)", (2026, 6, 1, 10, 0), "2026-07-01T09:00:00+02:00"),
        # L, W and #
        ("cron(0 9 L * ? *)", (2026, 6, 1, 10, 0), "2026-06-30T09:00:00+02:00"),
        ("cron(0 9 15W * ? *)", (2026, 8, 1, 0, 0), "2026-08-14T09:00:00+02:00"),  # 15th is a Saturday
        ("cron(0 9 1W * ? *)", (2026, 7, 31, 10, 0), "2026-08-03T09:00:00+02:00"),  # 1st is a Saturday
        ("cron(0 9 LW * ? *)", (2026, 5, 1, 0, 0), "2026-05-29T09:00:00+02:00"),  # 31st is a Sunday
        ("cron(0 9 ? * 6L *)", (2026, 3, 1, 0, 0), "2026-03-27T09:00:00+01:00"),  # last Friday
        ("cron(0 9 ? * 2#1 *)", (2026, 4, 1, 0, 0), "2026-04-06T09:00:00+02:00"),  # first Monday
        ("cron(0 9 ? * MON#5 *)", (2026, 6, 30, 10, 0), "2026-08-31T09:00:00+02:00"),  # fifth Monday
        ("cron(0 9 ? * L *)", (2026, 6, 1, 10, 0), "2026-06-06T09:00:00+02:00"),  # Saturday
        # years
        ("cron(0 0 1 1 ? 2028-2030)", (2026, 6, 1, 0, 0), "2028-01-01T00:00:00+01:00"),
        ("cron(0 0 1 1 ? 2020)", (2026, 6, 1, 0, 0), None),
        ("cron(0 0 1 1 ? *)", (2199, 6, 1, 0, 0), None),
        ("cron(0 0 30 2 ? *)", (2026, 6, 1, 0, 0), None),
    ],
)
def test_cron_syntax(expression: str, after: tuple[int, ...], expected: str | None) -> None:
    # given an expression and a moment / when the next fire time is asked / then
    assert next_iso(expression, local(AMS, *after)) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "expected cron"),
        ("every(5 minutes)", "expected cron"),
        ("cron(0 12 * * ?)", "expected 6 fields"),
        ("cron(0 12 * * ? * *)", "expected 6 fields"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(60 12 * * ? *)", "minutes field: 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours field: 24 is outside 0-23"),
        ("cron(0 12 32 * ? *)", "day-of-month field: 32 is outside 1-31"),
        ("cron(0 12 0 * ? *)", "day-of-month field: 0 is outside 1-31"),
        ("cron(0 12 * 13 ? *)", "month field: 13 is outside 1-12"),
        ("cron(0 12 ? * 8 *)", "day-of-week field: 8 is outside 1-7"),
        ("cron(0 12 ? * FOO *)", "day-of-week field: 'FOO' is not a valid value"),
        ("cron(0/0 12 * * ? *)", "minutes field: step '0'"),
        ("cron(? 12 * * ? *)", "only allowed in day-of-month or day-of-week"),
        ("cron(0 12 * * ? 1969)", "year field: 1969 is outside 1970-2199"),
        ("cron(0 12 * * ? 2028-2027)", "year field: range 2028-2027 starts after it ends"),
        ("cron(0 12 ? * 2#6 *)", "#1 to #5"),
        ("cron(0 12 L,5 * ? *)", "L and W cannot be combined"),
        ("cron(0 12 ? * MON,6L *)", "L and # cannot be combined"),
        ("cron(0 1- * * ? *)", "hours field: '' is not a valid value"),
    ],
)
def test_invalid_cron_is_rejected_with_a_reason(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        next_fire_time(expression=expression, timezone=AMS, after=local(AMS, 2026, 6, 1))


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        next_fire_time(expression="cron(0 12 * * ? *)", timezone="Mars/Olympus", after=local(AMS, 2026, 6, 1))


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError, match="after must be a timezone-aware"):
        next_fire_time(expression="cron(0 12 * * ? *)", timezone=AMS, after=dt.datetime(2026, 6, 1))


# --- calendars ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ((2026, 2, 1), "2026-02-28T09:00:00+01:00"),
        ((2028, 2, 1), "2028-02-29T09:00:00+01:00"),  # leap year
        ((2028, 2, 29, 9, 0), "2028-03-31T09:00:00+02:00"),
    ],
)
def test_last_day_of_month(after: tuple[int, ...], expected: str) -> None:
    assert next_iso("cron(0 9 L * ? *)", local(AMS, *after)) == expected


def test_day_31_skips_months_without_it() -> None:
    # given day 31 at 09:00, from the last run of January
    fire_times = between_iso("cron(0 9 31 * ? *)", local(AMS, 2026, 1, 31, 9, 0), local(AMS, 2026, 9, 1))
    # then February, April and June are skipped
    assert fire_times == [
        "2026-03-31T09:00:00+02:00",
        "2026-05-31T09:00:00+02:00",
        "2026-07-31T09:00:00+02:00",
        "2026-08-31T09:00:00+02:00",
    ]


def test_result_is_in_the_schedule_time_zone_whatever_the_zone_of_after() -> None:
    # given `after` in UTC / when / then the answer is in the schedule's zone
    fire_time = next_fire_time(
        expression="cron(0 9 * * ? *)", timezone="Asia/Tokyo", after=dt.datetime(2026, 6, 1, 1, tzinfo=dt.UTC)
    )
    assert fire_time is not None
    assert fire_time.isoformat() == "2026-06-02T09:00:00+09:00"
    assert fire_time.tzinfo == ZoneInfo("Asia/Tokyo")


# --- daylight saving time -------------------------------------------------------------------------------


def test_weekly_monday_across_spring_forward_keeps_wall_clock_time() -> None:
    # given a Monday 12:53 schedule, on Friday before the last Sunday of March 2026
    assert next_iso("cron(53 12 ? * MON *)", local(AMS, 2026, 3, 27, 9, 0)) == "2026-03-30T12:53:00+02:00"


def test_weekly_monday_across_fall_back_keeps_wall_clock_time() -> None:
    assert next_iso("cron(53 12 ? * MON *)", local(AMS, 2026, 10, 23, 9, 0)) == "2026-10-26T12:53:00+01:00"


def test_daily_time_in_the_spring_forward_gap_is_skipped() -> None:
    # given a daily 02:30 in Amsterdam; 2026-03-29 02:00 jumps to 03:00
    fire_times = between_iso("cron(30 2 * * ? *)", local(AMS, 2026, 3, 28, 3, 0), local(AMS, 2026, 3, 31))
    # then there is no run on 29 March (EventBridge Scheduler skips non-existent times)
    assert fire_times == ["2026-03-30T02:30:00+02:00"]


def test_daily_time_in_the_fall_back_repeat_runs_once_at_the_first_occurrence() -> None:
    # given a daily 02:30 in Amsterdam; 2026-10-25 03:00 goes back to 02:00
    fire_times = between_iso("cron(30 2 * * ? *)", local(AMS, 2026, 10, 24, 3, 0), local(AMS, 2026, 10, 27))
    # then 25 October runs once, on summer time
    assert fire_times == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]


def test_after_the_first_occurrence_the_repeat_does_not_fire_again() -> None:
    # given the 02:30 run on summer time has happened
    after = local(AMS, 2026, 10, 25, 2, 30)
    # then the next one is the day after, not 02:30 on winter time
    assert next_iso("cron(30 2 * * ? *)", after) == "2026-10-26T02:30:00+01:00"


def test_every_15_minutes_across_fall_back_runs_the_repeated_hour_once() -> None:
    fire_times = between_iso(
        "cron(0/15 * * * ? *)", local(AMS, 2026, 10, 25, 1, 50), local(AMS, 2026, 10, 25, 3, 0)
    )
    assert fire_times == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:15:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:45:00+02:00",
        "2026-10-25T03:00:00+01:00",
    ]


def test_from_inside_the_second_pass_of_the_repeated_hour() -> None:
    # given a moment in the second 02:xx (winter time)
    after = local(AMS, 2026, 10, 25, 2, 10, fold=1)
    assert after.isoformat() == "2026-10-25T02:10:00+01:00"
    # then the next quarter hour is 03:00, the first-pass quarters are all in the past
    assert next_iso("cron(0/15 * * * ? *)", after) == "2026-10-25T03:00:00+01:00"


def test_every_15_minutes_across_spring_forward_skips_the_missing_hour() -> None:
    fire_times = between_iso(
        "cron(0/15 * * * ? *)", local(AMS, 2026, 3, 29, 1, 30), local(AMS, 2026, 3, 29, 3, 15)
    )
    assert fire_times == [
        "2026-03-29T01:45:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:15:00+02:00",
    ]


@pytest.mark.parametrize(("day", "runs"), [((2026, 3, 29), 23), ((2026, 10, 25), 24), ((2026, 6, 1), 24)])
def test_hourly_runs_once_per_wall_clock_hour(day: tuple[int, int, int], runs: int) -> None:
    # given an hourly schedule over one local day (23, 25 or 24 hours long)
    start = local(AMS, *day) - dt.timedelta(minutes=1)
    end = local(AMS, *day) + dt.timedelta(days=1)  # wall-clock arithmetic: the next midnight
    fire_times = fire_times_between(expression="cron(0 * * * ? *)", timezone=AMS, start=start, end=end)
    # then it runs once for each wall-clock hour that exists
    assert len([time for time in fire_times if time.date() == dt.date(*day)]) == runs


def test_new_york_daily_across_its_own_dst_dates() -> None:
    zone = "America/New_York"  # 2026: spring forward 8 March 02:00, fall back 1 November 02:00
    spring = between_iso("cron(30 2 * * ? *)", local(zone, 2026, 3, 7, 3), local(zone, 2026, 3, 10), zone)
    fall = between_iso("cron(30 1 * * ? *)", local(zone, 2026, 10, 31, 3), local(zone, 2026, 11, 3), zone)
    assert spring == ["2026-03-09T02:30:00-04:00"]
    assert fall == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]


def test_new_york_weekly_monday_across_spring_forward() -> None:
    zone = "America/New_York"
    assert next_iso("cron(53 12 ? * MON *)", local(zone, 2026, 3, 6, 9), zone) == "2026-03-09T12:53:00-04:00"


def test_tokyo_has_no_daylight_saving_time() -> None:
    zone = "Asia/Tokyo"
    fire_times = between_iso("cron(30 2 * * ? *)", local(zone, 2026, 3, 28), local(zone, 2026, 3, 31), zone)
    assert fire_times == [
        "2026-03-28T02:30:00+09:00",
        "2026-03-29T02:30:00+09:00",
        "2026-03-30T02:30:00+09:00",
    ]


# --- start and end dates, fire_times_between ------------------------------------------------------------


def test_cron_does_not_fire_before_the_start_date_but_may_fire_on_it() -> None:
    start_date = dt.datetime(2026, 6, 10, 7, 0, tzinfo=dt.UTC)  # 09:00 in Amsterdam
    fire_time = next_fire_time(
        expression="cron(0 9 * * ? *)", timezone=AMS, after=local(AMS, 2026, 6, 1), start_date=start_date
    )
    assert fire_time is not None and fire_time.isoformat() == "2026-06-10T09:00:00+02:00"


def test_cron_does_not_fire_on_or_after_the_end_date() -> None:
    end_date = dt.datetime(2026, 6, 2, 7, 0, tzinfo=dt.UTC)  # 09:00 in Amsterdam
    fire_times = fire_times_between(
        expression="cron(0 9 * * ? *)",
        timezone=AMS,
        start=local(AMS, 2026, 5, 31),
        end=local(AMS, 2026, 6, 30),
        end_date=end_date,
    )
    assert [time.isoformat() for time in fire_times] == [
        "2026-05-31T09:00:00+02:00",
        "2026-06-01T09:00:00+02:00",
    ]
    assert (
        next_fire_time(
            expression="cron(0 9 * * ? *)", timezone=AMS, after=local(AMS, 2026, 6, 1, 10), end_date=end_date
        )
        is None
    )


def test_fire_times_between_excludes_start_includes_end_and_honours_the_limit() -> None:
    start, end = local(AMS, 2026, 6, 1, 9, 0), local(AMS, 2026, 6, 3, 9, 0)
    assert between_iso("cron(0 9 * * ? *)", start, end) == [
        "2026-06-02T09:00:00+02:00",
        "2026-06-03T09:00:00+02:00",
    ]
    limited = fire_times_between(expression="cron(* * * * ? *)", timezone=AMS, start=start, end=end, limit=3)
    assert len(limited) == 3
