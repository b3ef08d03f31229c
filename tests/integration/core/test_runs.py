"""Runs against moto: lease, Start/Stop, duplicate triggers, sequence order, sweeper, continuation, reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import TaskType
from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.errors import NothingToStopError, RunAlreadyActiveError
from pimtasks.services.run_job import RunJob
from pimtasks.workers import TaskWorker

from tests.integration.core.harness import Core
from tests.integration.core.specs import etim_daily, weekly_import


class CountingWorker:
    """Processes ``items`` one per simulated second, checkpointing after each; hooks run after item i."""

    def __init__(self, core: Core, *, items: int = 10, hooks: dict[int, Any] | None = None) -> None:
        self.core = core
        self.items = items
        self.hooks = hooks or {}
        self.order: list[str] = []

    def run(self, job: RunJob) -> RunStatus | None:
        self.order.append(job.task.spec.description)
        start = (job.checkpoint or {}).get("next", 0)
        for item in range(start, self.items):
            self.core.clock.advance(seconds=1)
            job.count(read=1, created=1)
            if item in self.hooks:
                self.hooks[item](job)
            job.keep_alive({"next": item + 1})
        return None

    def factory(self, task_type: TaskType) -> TaskWorker:
        return self


def schedule_event(task: Task, scheduled_time: str) -> TaskTriggerEvent:
    return TaskTriggerEvent(environment=task.environment, task_id=task.task_id, trigger="schedule",
                            scheduled_time=scheduled_time)


def test_start_queues_a_run_and_a_second_start_conflicts(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    run = core.runs.start(environment="000001", task_id=task.task_id)
    assert run.status is RunStatus.QUEUED
    assert core.invoker.calls == [("import", {"environment": "000001", "task_id": task.task_id,
                                              "run_id": run.run_id, "trigger": "manual"})]
    with pytest.raises(RunAlreadyActiveError):
        core.runs.start(environment="000001", task_id=task.task_id)


def test_a_type_the_function_does_not_run_fails_honestly_and_reports_by_mail(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=etim_daily(notification={"emails": ["pim@example.com"]}))
    run = core.runs.start(environment="000001", task_id=task.task_id)
    core.pump()
    ended = core.runs.get(environment="000001", run_id=run.run_id)
    assert ended.status is RunStatus.FAILED
    assert "not available in this function" in (ended.error or "")
    assert core.tasks.get(environment="000001", task_id=task.task_id).last_run.status is RunStatus.FAILED
    mail = core.sent_mail()
    assert len(mail) == 1 and mail[0].destinations["ToAddresses"] == ["pim@example.com"]
    assert "Failed: ETIM model" in mail[0].subject and "not available in this function" in mail[0].body
    # the lease is free again
    assert core.runs.start(environment="000001", task_id=task.task_id).status is RunStatus.QUEUED


def test_stop_cancels_a_running_run_at_its_next_safe_point(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    worker = CountingWorker(core, items=100,
                            hooks={4: lambda job: core.runs.stop(environment="000001", task_id=task.task_id)})
    run = core.runs.start(environment="000001", task_id=task.task_id)
    core.pump(worker.factory)
    ended = core.runs.get(environment="000001", run_id=run.run_id)
    assert ended.status is RunStatus.CANCELLED
    assert 5 <= ended.counts.read < 100  # what was done stays counted; it stopped within a heartbeat
    assert core.run_store.lease_holder(environment="000001", task_id=task.task_id) is None


def test_stop_cancels_a_queued_run_at_once_and_conflicts_when_nothing_runs(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    run = core.runs.start(environment="000001", task_id=task.task_id)
    stopped = core.runs.stop(environment="000001", task_id=task.task_id)
    assert stopped.status is RunStatus.CANCELLED
    core.pump()  # the invocation that arrives late finds nothing to do
    assert core.runs.get(environment="000001", run_id=run.run_id).status is RunStatus.CANCELLED
    with pytest.raises(NothingToStopError):
        core.runs.stop(environment="000001", task_id=task.task_id)


def test_the_same_scheduled_time_fired_twice_makes_one_run(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    engine = core.engine(CountingWorker(core).factory)
    first = engine.handle(schedule_event(task, "2026-11-23T11:53:00Z"), remaining_ms=lambda: 900_000)
    second = engine.handle(schedule_event(task, "2026-11-23T11:53:00Z"), remaining_ms=lambda: 900_000)
    assert first is not None and second is None
    runs, _ = core.runs.list_for_task(environment="000001", task_id=task.task_id, limit=10, next_token=None)
    assert [r.run_id for r in runs] == [first.run_id]


def test_tasks_due_in_the_same_minute_run_one_after_another_by_sequence_no(core: Core) -> None:
    later = core.tasks.create(environment="000001", spec=weekly_import(description="seq 20", sequence_no=20))
    sooner = core.tasks.create(environment="000001", spec=weekly_import(
        description="seq 10", sequence_no=10, settings={"import_name": "Other"}))
    worker = CountingWorker(core, items=3)
    engine = core.engine(worker.factory)
    minute = "2026-11-23T11:53:00Z"
    # both triggers arrive within the minute; the one of sequence 20 first
    engine.register_scheduled_run(later, scheduled_time=dt.datetime(2026, 11, 23, 11, 53, tzinfo=dt.UTC))
    engine.handle(schedule_event(sooner, minute), remaining_ms=lambda: 900_000)
    engine.handle(schedule_event(later, minute), remaining_ms=lambda: 900_000)  # redelivered: nothing new
    # only sequence 10 was started; sequence 20 waits, queued
    assert [p["trigger"] for _, p in core.invoker.calls] == ["sequence"]
    runs_of_later, _ = core.runs.list_for_task(environment="000001", task_id=later.task_id, limit=5, next_token=None)
    assert runs_of_later[0].status is RunStatus.QUEUED
    core.pump(worker.factory)
    assert worker.order == ["seq 10", "seq 20"]
    first = core.runs.list_for_task(environment="000001", task_id=sooner.task_id, limit=1, next_token=None)[0][0]
    second = core.runs.list_for_task(environment="000001", task_id=later.task_id, limit=1, next_token=None)[0][0]
    assert first.status is second.status is RunStatus.SUCCEEDED
    assert first.ended_at <= second.started_at  # never in parallel


def test_a_scheduled_trigger_while_a_run_is_active_is_skipped_with_the_reason(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    manual = core.runs.start(environment="000001", task_id=task.task_id)
    skipped = core.engine().handle(schedule_event(task, "2026-11-23T11:53:00Z"), remaining_ms=lambda: 900_000)
    assert skipped is not None and skipped.status is RunStatus.SKIPPED
    assert manual.run_id in skipped.messages[0].text


def test_an_inactive_task_fired_by_a_late_trigger_is_skipped(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import(active=False))
    skipped = core.engine().handle(schedule_event(task, "2026-11-23T11:53:00Z"), remaining_ms=lambda: 900_000)
    assert skipped is not None and skipped.status is RunStatus.SKIPPED
    assert "inactive" in skipped.messages[0].text


def test_the_sweeper_fails_runs_whose_heartbeat_stopped(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    run = core.runs.start(environment="000001", task_id=task.task_id)
    crashed = run.model_copy(update={"status": RunStatus.RUNNING, "started_at": core.clock.now(),
                                     "heartbeat_at": core.clock.now()})
    assert core.run_store.save(crashed, expected=(RunStatus.QUEUED,))
    core.clock.advance(minutes=2)
    assert core.sweeper.sweep(remaining_ms=lambda: 120_000).swept == []  # still within the heartbeat window
    core.clock.advance(minutes=5)
    assert core.sweeper.sweep(remaining_ms=lambda: 120_000).swept == [run.run_id]
    ended = core.runs.get(environment="000001", run_id=run.run_id)
    assert ended.status is RunStatus.FAILED and "stopped responding" in (ended.error or "")
    assert core.runs.start(environment="000001", task_id=task.task_id).status is RunStatus.QUEUED


def test_a_run_continues_in_a_fresh_invocation_when_time_runs_low(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    worker = CountingWorker(core, items=10)
    run = core.runs.start(environment="000001", task_id=task.task_id)
    _, payload = core.invoker.take()[0]
    budget = iter([900_000] * 3 + [1_000] + [900_000] * 100)  # low once, after the 4th item
    core.engine(worker.factory).handle(TaskTriggerEvent.model_validate(payload), remaining_ms=lambda: next(budget))
    paused = core.runs.get(environment="000001", run_id=run.run_id)
    assert paused.status is RunStatus.RUNNING and paused.counts.read == 4
    assert [p["trigger"] for _, p in core.invoker.calls] == ["continuation"]
    core.pump(worker.factory)
    ended = core.runs.get(environment="000001", run_id=run.run_id)
    assert ended.status is RunStatus.SUCCEEDED
    assert ended.counts.read == 10 and ended.invocations == 2


def test_runs_page_newest_first_and_tokens_are_bound_to_their_task(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=etim_daily())
    other = core.tasks.create(environment="000001", spec=etim_daily(description="other"))
    started = []
    for _ in range(3):
        started.append(core.runs.start(environment="000001", task_id=task.task_id).run_id)
        core.pump()
        core.clock.advance(seconds=5)
    page, token = core.runs.list_for_task(environment="000001", task_id=task.task_id, limit=2, next_token=None)
    assert [r.run_id for r in page] == started[::-1][:2] and token
    rest, _ = core.runs.list_for_task(environment="000001", task_id=task.task_id, limit=2, next_token=token)
    assert [r.run_id for r in rest] == [started[0]]
    from pimtasks.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError):
        core.runs.list_for_task(environment="000001", task_id=other.task_id, limit=2, next_token=token)


def test_a_trigger_stamped_in_the_future_waits_no_longer_than_the_settle_period(core: Core) -> None:
    task = core.tasks.create(environment="000001", spec=weekly_import())
    before = core.clock.now()
    core.engine().handle(schedule_event(task, "2026-11-30T11:53:00Z"), remaining_ms=lambda: 900_000)
    assert (core.clock.now() - before).total_seconds() <= 10
