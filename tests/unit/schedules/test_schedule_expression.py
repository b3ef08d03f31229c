"""schedule_spec: the EventBridge Scheduler expression, time zone and start date of each frequency."""

from __future__ import annotations

import datetime as dt

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
from pimtasks.schedules import ScheduleSpec, parse_expression, schedule_spec

ANCHOR = dt.datetime(2026, 6, 1, 10, 0, 20, 500_000, tzinfo=dt.UTC)

FREQUENCIES_AND_EXPRESSIONS = [
    (OnceFrequency(date=dt.date(2026, 12, 1), time="12:53"), "at(2026-12-01T12:53:00)"),
    (OnceFrequency(date=dt.date(2026, 12, 1), time="09:05"), "at(2026-12-01T09:05:00)"),
    (MinutesFrequency(interval=5), "rate(5 minutes)"),
    (MinutesFrequency(interval=120), "rate(120 minutes)"),
    (HourFrequency(minute=7), "cron(7 * * * ? *)"),
    (DayFrequency(time="12:53"), "cron(53 12 * * ? *)"),
    (DayFrequency(time="02:05"), "cron(5 2 * * ? *)"),
    (WeekFrequency(days=["MON"], time="12:53"), "cron(53 12 ? * MON *)"),
    (WeekFrequency(days=["SUN", "WED", "MON"], time="00:00"), "cron(0 0 ? * MON,WED,SUN *)"),
    (MonthFrequency(day_of_month=15, time="12:53"), "cron(53 12 15 * ? *)"),
    (MonthFrequency(day_of_month="last", time="23:59"), "cron(59 23 L * ? *)"),
]


@pytest.mark.parametrize(("frequency", "expression"), FREQUENCIES_AND_EXPRESSIONS)
def test_each_frequency_has_its_expression(frequency: Frequency, expression: str) -> None:
    # given a frequency / when its schedule is built
    spec = schedule_spec(frequency, anchor=ANCHOR)
    # then the expression is the EventBridge Scheduler one, in the frequency's time zone
    assert spec.expression == expression
    assert spec.timezone == "Europe/Amsterdam"


@pytest.mark.parametrize(("frequency", "expression"), FREQUENCIES_AND_EXPRESSIONS)
def test_every_generated_expression_parses(frequency: Frequency, expression: str) -> None:
    # given the expression built for a frequency / when it is parsed / then it is valid
    parse_expression(schedule_spec(frequency, anchor=ANCHOR).expression)


def test_weekly_monday_acceptance_example() -> None:
    # given a weekly Monday 12:53 task in Amsterdam
    frequency = WeekFrequency(days=["MON"], time="12:53", timezone="Europe/Amsterdam")
    # when / then
    assert schedule_spec(frequency, anchor=ANCHOR) == ScheduleSpec(
        expression="cron(53 12 ? * MON *)", timezone="Europe/Amsterdam", start_date=None
    )


def test_time_zone_of_the_frequency_is_kept() -> None:
    # given a daily task in Tokyo / when / then
    spec = schedule_spec(DayFrequency(time="08:00", timezone="Asia/Tokyo"), anchor=ANCHOR)
    assert spec.timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    "frequency",
    [
        OnceFrequency(date=dt.date(2026, 12, 1), time="12:53"),
        HourFrequency(minute=0),
        DayFrequency(time="12:53"),
        WeekFrequency(days=["MON"], time="12:53"),
        MonthFrequency(day_of_month="last", time="12:53"),
    ],
)
def test_only_interval_schedules_have_a_start_date(frequency: Frequency) -> None:
    assert schedule_spec(frequency, anchor=ANCHOR).start_date is None


def test_minutes_start_at_the_anchor_rounded_up_to_a_whole_minute_in_utc() -> None:
    # given an anchor with seconds, in a non-UTC zone
    anchor = dt.datetime(2026, 6, 1, 12, 0, 20, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    # when
    spec = schedule_spec(MinutesFrequency(interval=15), anchor=anchor)
    # then
    assert spec.start_date == dt.datetime(2026, 6, 1, 10, 1, tzinfo=dt.UTC)
    assert spec.start_date is not None and spec.start_date.utcoffset() == dt.timedelta(0)


def test_minutes_anchor_on_a_whole_minute_is_kept() -> None:
    anchor = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
    assert schedule_spec(MinutesFrequency(interval=15), anchor=anchor).start_date == anchor


def test_naive_anchor_is_rejected() -> None:
    with pytest.raises(ValueError, match="anchor must be a timezone-aware"):
        schedule_spec(MinutesFrequency(interval=15), anchor=dt.datetime(2026, 6, 1, 10, 0))
