"""The schedule runner fires schedules stored in (moto's) EventBridge Scheduler, on a fake clock."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pimtasks_local.schedule_runner import ScheduleRunner, scheduled_time_text, task_schedule_location

from tests.integration.local.support import Call, FakeClock, RecordingInvoker

ACCOUNT = "123456789012"
FUNCTION = "pimtasks-test-task-import"
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{FUNCTION}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
GROUP = "pimtasks-test-000001"
INPUT = json.dumps({"environment": "000001", "task_id": "t1", "trigger": "schedule",
                    "scheduled_time": "<aws.scheduler.scheduled-time>", "attempt": "<aws.scheduler.attempt-number>"})
# Monday 30 November 2026, 12:52:30 in Amsterdam (UTC+1).
MONDAY = dt.datetime(2026, 11, 30, 11, 52, 30, tzinfo=dt.UTC)


class Harness:
    def __init__(self, clients: Callable[[str], Any], *, fail: Callable[[Call], bool] = lambda call: False) -> None:
        self.scheduler = clients("scheduler")
        self.sqs = clients("sqs")
        self.dlq_url = self.sqs.create_queue(QueueName="schedules-dlq")["QueueUrl"]
        self.dlq_arn = self.sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.scheduler.create_schedule_group(Name=GROUP)
        self.clock = FakeClock(MONDAY)
        self.invoker = RecordingInvoker(functions={FUNCTION: FUNCTION_ARN}, fail=fail)
        self.runner = ScheduleRunner(scheduler=self.scheduler, sqs=self.sqs, invoker=self.invoker, clock=self.clock)

    def schedule(self, name: str, expression: str, *, group: str = GROUP, target_arn: str = FUNCTION_ARN,
                 **extra: Any) -> None:
        target = {"Arn": target_arn, "RoleArn": ROLE_ARN, "Input": INPUT,
                  "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
                  "DeadLetterConfig": {"Arn": self.dlq_arn}}
        self.scheduler.create_schedule(GroupName=group, Name=name, ScheduleExpression=expression,
                                       ScheduleExpressionTimezone="Europe/Amsterdam",
                                       FlexibleTimeWindow={"Mode": "OFF"}, Target=target, **extra)

    def at(self, **delta: float) -> list[Any]:
        self.clock.advance(**delta)
        return self.runner.tick()

    def payloads(self) -> list[Any]:
        return [call.event for call in self.invoker.calls]

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10,
                                        MessageAttributeNames=["All"]).get("Messages", [])


@pytest.fixture
def harness(aws: Callable[[str], Any]) -> Harness:
    return Harness(aws)


def test_a_weekly_cron_fires_at_its_wall_clock_minute(harness: Harness) -> None:
    harness.schedule("task-t1", "cron(53 12 ? * MON *)")
    harness.runner.start()

    assert harness.at(seconds=29) == []  # 12:52:59 in Amsterdam
    fired = harness.at(seconds=1)  # 12:53:00

    assert [f.name for f in fired] == ["task-t1"]
    assert harness.payloads() == [{"environment": "000001", "task_id": "t1", "trigger": "schedule",
                                   "scheduled_time": "2026-11-30T11:53:00Z", "attempt": "1"}]
    assert harness.at(minutes=10) == []  # next Monday only


def test_a_one_time_schedule_fires_once_and_is_deleted_after_completion(harness: Harness) -> None:
    harness.schedule("task-once", "at(2026-11-30T12:54:00)", ActionAfterCompletion="DELETE")
    harness.runner.start()

    fired = harness.at(minutes=2)  # 12:54:30

    assert [(f.name, f.scheduled_time.isoformat()) for f in fired] == [("task-once", "2026-11-30T11:54:00+00:00")]
    assert harness.scheduler.list_schedules(GroupName=GROUP)["Schedules"] == []
    assert harness.at(minutes=1) == []


def test_nothing_from_before_the_start_is_fired(harness: Harness) -> None:
    harness.schedule("task-t1", "cron(53 12 ? * MON *)")
    harness.clock.advance(minutes=5)  # 12:57:30, after today's fire time
    harness.runner.start()

    assert harness.at(seconds=1) == []


def test_a_late_tick_catches_up_on_every_missed_fire_time(harness: Harness) -> None:
    harness.schedule("every-minute", "rate(1 minute)", group="default")
    harness.runner.start()

    fired = harness.at(minutes=5)

    assert [p["scheduled_time"] for p in harness.payloads()] == [
        "2026-11-30T11:53:00Z", "2026-11-30T11:54:00Z", "2026-11-30T11:55:00Z", "2026-11-30T11:56:00Z",
        "2026-11-30T11:57:00Z"]
    assert len({f.execution_id for f in fired}) == 5


def test_a_disabled_schedule_does_not_fire_until_enabled(harness: Harness) -> None:
    harness.schedule("task-t1", "cron(* * * * ? *)", State="DISABLED")
    harness.runner.start()
    assert harness.at(minutes=3) == []

    details = harness.scheduler.get_schedule(GroupName=GROUP, Name="task-t1")
    harness.scheduler.update_schedule(
        GroupName=GROUP, Name="task-t1", ScheduleExpression=details["ScheduleExpression"],
        ScheduleExpressionTimezone="Europe/Amsterdam", FlexibleTimeWindow={"Mode": "OFF"},
        Target=details["Target"], State="ENABLED")

    assert len(harness.at(minutes=1)) == 1


def test_a_failing_target_is_retried_then_dead_lettered(aws: Callable[[str], Any]) -> None:
    harness = Harness(aws, fail=lambda call: True)
    harness.schedule("task-t1", "cron(53 12 ? * MON *)")
    harness.runner.start()

    harness.at(seconds=30)  # first attempt fails; retry after 1 s
    harness.at(seconds=1)  # second attempt fails; retry after 2 s
    harness.at(seconds=2)  # third (last allowed) attempt fails

    assert [p["attempt"] for p in harness.payloads()] == ["1", "2", "3"]
    [dead] = harness.dead_letters()
    attributes = {name: value["StringValue"] for name, value in dead["MessageAttributes"].items()}
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert attributes["TARGET_ARN"] == FUNCTION_ARN
    assert attributes["SCHEDULE_ARN"].endswith(f"schedule/{GROUP}/task-t1")
    assert json.loads(dead["Body"])["scheduled_time"] == "2026-11-30T11:53:00Z"
    assert harness.runner.pending_retries() == 0


def test_a_target_that_is_not_a_hosted_function_goes_to_the_dead_letter_queue(harness: Harness) -> None:
    harness.schedule("task-x", "cron(53 12 ? * MON *)",
                     target_arn=f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:nowhere")
    harness.runner.start()

    harness.at(seconds=30)

    assert harness.invoker.calls == []
    [dead] = harness.dead_letters()
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "AWS.Scheduler.ResourceNotFound"


def test_fire_now_sends_what_the_schedule_would(harness: Harness) -> None:
    group, name = task_schedule_location(prefix="pimtasks-test", environment="000001", task_id="t1")
    harness.schedule(name, "cron(53 12 ? * MON *)", group=group)

    fired = harness.runner.fire_now(group=group, name=name)

    assert fired["payload"]["scheduled_time"] == "2026-11-30T11:52:00Z"  # the current minute
    assert harness.payloads() == [fired["payload"]]
    with pytest.raises(LookupError):
        harness.runner.fire_now(group=group, name="task-unknown")



class CountingScheduler:
    """The Scheduler client, counting the calls made through it; while ``held`` is set, listing waits until
    ``release`` is set (a slow listing of thousands of schedules)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.counts: dict[str, int] = {}
        self.held = threading.Event()
        self.listing_held = threading.Event()
        self.release = threading.Event()

    def list_schedules(self, **kwargs: Any) -> Any:
        if self.held.is_set():
            self.listing_held.set()
            self.release.wait(10)
        return self._count("list_schedules", **kwargs)

    def get_schedule(self, **kwargs: Any) -> Any:
        return self._count("get_schedule", **kwargs)

    def _count(self, name: str, **kwargs: Any) -> Any:
        self.counts[name] = self.counts.get(name, 0) + 1
        return getattr(self.inner, name)(**kwargs)


def counted_runner(harness: Harness) -> tuple[ScheduleRunner, CountingScheduler]:
    scheduler = CountingScheduler(harness.scheduler)
    runner = ScheduleRunner(scheduler=scheduler, sqs=harness.sqs, invoker=harness.invoker, clock=harness.clock,
                            refresh_seconds=45)
    return runner, scheduler


def test_many_schedules_fire_from_the_cache_and_only_new_or_changed_ones_are_read_again(harness: Harness) -> None:
    # given 150 schedules at minutes 53, 54, ... of every hour (three of them at minute 53), and a runner that
    # refreshes its cache every 45 s
    for index in range(150):
        harness.schedule(f"task-{index}", f"cron({(53 + index) % 60} * * * ? *)")
    runner, scheduler = counted_runner(harness)
    runner.start()
    runner.tick()  # the first refresh reads them all
    assert scheduler.counts == {"list_schedules": 2, "get_schedule": 150}

    # when 12:53 comes, within the refresh interval
    harness.clock.advance(seconds=30)  # 12:53:00
    fired = runner.tick()

    # then the due ones fire from the cache: no request at all within the refresh interval
    assert sorted(f.name for f in fired) == ["task-0", "task-120", "task-60"]
    assert scheduler.counts == {"list_schedules": 2, "get_schedule": 150}
    # and a later refresh reads only what changed
    harness.schedule("task-new", "cron(54 12 * * ? *)")
    harness.clock.advance(seconds=61)  # 12:54:01
    fired = runner.tick()
    assert scheduler.counts == {"list_schedules": 4, "get_schedule": 151}
    assert sorted(f.name for f in fired) == ["task-1", "task-121", "task-61", "task-new"]


def test_a_schedule_first_seen_after_its_fire_time_still_fires_once(harness: Harness) -> None:
    # given a runner that refreshed at 12:52:30, before the schedule existed
    runner, _ = counted_runner(harness)
    runner.start()
    runner.tick()

    # when a schedule for 12:53 is created and the next refresh (every 45 s) comes only after 12:53
    harness.schedule("task-t1", "cron(53 12 ? * MON *)")
    harness.clock.advance(seconds=20)  # 12:52:50
    assert runner.tick() == []
    harness.clock.advance(seconds=30)  # 12:53:20
    first = runner.tick()
    harness.clock.advance(seconds=50)
    again = runner.tick()  # the next refresh sees it unchanged

    # then it fires late but once
    assert [(f.name, scheduled_time_text(f.scheduled_time)) for f in first] == [("task-t1", "2026-11-30T11:53:00Z")]
    assert again == []


def test_firing_goes_on_while_a_slow_refresh_reads_the_schedules(harness: Harness) -> None:
    # given a running runner that knows a schedule due at 12:53, and whose next listing takes long
    harness.schedule("task-t1", "cron(53 12 ? * MON *)")
    runner, scheduler = counted_runner(harness)
    runner.start()
    runner.refresh()
    scheduler.held.set()
    stop = threading.Event()
    loop = threading.Thread(target=runner.run, args=(stop,), kwargs={"interval_seconds": 0.01}, daemon=True)
    loop.start()
    try:
        # when the clock passes the fire time and the refresh due then is still listing
        harness.clock.advance(seconds=50)  # 12:53:20
        assert scheduler.listing_held.wait(10)
        for _ in range(500):  # up to 5 s for the loop thread to tick
            if harness.invoker.calls:
                break
            time.sleep(0.01)

        # then the schedule has fired meanwhile
        assert [call.event["scheduled_time"] for call in harness.invoker.calls] == ["2026-11-30T11:53:00Z"]
        assert not scheduler.release.is_set()
    finally:
        scheduler.release.set()
        stop.set()
        loop.join(5)
