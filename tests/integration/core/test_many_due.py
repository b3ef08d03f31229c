"""Many tasks due in one minute, on moto with a fake clock: one settle per environment-minute, sequence order
within it, environments independent of each other, stalled slots moved on, and a sweeper that works in bounded
pages within its invocation's time and continues where it stopped."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

from pimtasks.domain.run import RunStatus
from pimtasks.domain.task import Task
from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.services.run_finisher import RunFinisher
from pimtasks.services.run_job import RunJob
from pimtasks.services.run_sweeper import RunSweeper
from pimtasks.services.sequencer import Sequencer
from pimtasks.workers import TaskWorker

from tests.integration.core.harness import Core
from tests.integration.core.specs import etim_daily

MINUTE = "2026-11-23T11:53:00Z"
SCHEDULED = dt.datetime(2026, 11, 23, 11, 53, tzinfo=dt.UTC)
SETTLE = 10  # the harness's settle period


class TimedWorker:
    """Each run works ``seconds`` of fake time (a slow environment's runs take long), checkpointing every 10 s."""

    def __init__(self, core: Core, *, seconds: dict[str, int] | None = None) -> None:
        self.core = core
        self.seconds = seconds or {}
        self.order: list[str] = []

    def run(self, job: RunJob) -> RunStatus | None:
        self.order.append(job.task.spec.description)
        left = self.seconds.get(job.task.environment, 1)
        while left > 0:
            self.core.clock.advance(seconds=min(left, 10))
            left -= 10
            job.keep_alive({"left": left})
        return None

    def factory(self, task_type: Any) -> TaskWorker:
        return self


def tasks(core: Core, environment: str, count: int, *, first_sequence_no: int = 10) -> list[Task]:
    return [core.tasks.create(environment=environment, spec=etim_daily(
        description=f"{environment} seq {first_sequence_no + 10 * i}", sequence_no=first_sequence_no + 10 * i))
        for i in range(count)]


def fire(core: Core, task: Task, minute: str = MINUTE) -> None:
    from tests.integration.core.test_runs import schedule_event

    core.engine().handle(schedule_event(task, minute), remaining_ms=lambda: 900_000)


def run_of(core: Core, task: Task) -> Any:
    return core.runs.list_for_task(environment=task.environment, task_id=task.task_id, limit=1,
                                   next_token=None)[0][0]


def deliver(core: Core, run_id: str, workers: Any) -> None:
    """Deliver the one recorded invocation that names ``run_id`` (the others wait)."""
    [call] = [call for call in core.invoker.calls if call[1].get("run_id") == run_id]
    core.invoker.calls.remove(call)
    core.engine(workers).handle(TaskTriggerEvent.model_validate(call[1]), remaining_ms=lambda: 900_000)


def sequence_calls(core: Core) -> list[str]:
    return [payload["run_id"] for _, payload in core.invoker.calls if payload["trigger"] == "sequence"]


def test_only_the_first_trigger_of_an_environment_minute_waits_and_the_minute_runs_in_sequence_order(
        core: Core) -> None:
    # given five tasks of one environment due in the same minute, their triggers arriving highest sequence first
    due = tasks(core, "000001", 5)
    core.clock.current = dt.datetime(2026, 11, 23, 11, 53, 1, tzinfo=dt.UTC)

    # when the triggers are handled, the others arriving while the first one settles
    waited: list[float] = []

    def handle(task: Task) -> None:
        before = core.clock.now()
        fire(core, task)
        waited.append((core.clock.now() - before).total_seconds())

    core.clock.while_sleeping.append(lambda: [handle(task) for task in reversed(due[:-1])])
    handle(due[-1])

    # then only the first waited (the settle period), and it started the lowest sequence no alone
    assert waited[:4] == [0, 0, 0, 0] and waited[4] > 0
    assert sequence_calls(core) == [run_of(core, due[0]).run_id]
    # and the minute runs one after another in ascending sequence no
    worker = TimedWorker(core)
    core.pump(worker.factory)
    assert worker.order == [task.spec.description for task in due]
    runs = [run_of(core, task) for task in due]
    assert all(run.status is RunStatus.SUCCEEDED for run in runs)
    assert all(a.ended_at <= b.started_at for a, b in pairwise(runs))


def test_a_minute_whose_triggers_arrive_late_and_spread_still_starts_at_its_lowest_sequence_no(core: Core) -> None:
    # given a busy moment: the minute's first trigger (sequence 20) is handled only 15 s after its minute, and
    # the trigger of sequence 10 two seconds after that, while the first one waits
    later, sooner = tasks(core, "000001", 2, first_sequence_no=20)[0], tasks(core, "000001", 1)[0]
    core.clock.current = SCHEDULED + dt.timedelta(seconds=15)

    def sooner_arrives() -> None:
        core.clock.advance(seconds=2)
        fire(core, sooner)

    core.clock.while_sleeping.append(sooner_arrives)
    fire(core, later)

    # then the first trigger waited for the other, and the minute runs in sequence order
    assert sequence_calls(core) == [run_of(core, sooner).run_id]
    worker = TimedWorker(core)
    core.pump(worker.factory)
    assert worker.order == [sooner.spec.description, later.spec.description]


def test_a_slow_environment_does_not_hold_up_another_environments_minute(core: Core) -> None:
    # given a slow environment with four tasks in a minute (a minute of work each) and another with one task
    slow = tasks(core, "000001", 4)
    [quick] = tasks(core, "000002", 1)
    core.clock.current = dt.datetime(2026, 11, 23, 11, 53, 1, tzinfo=dt.UTC)

    # when their triggers arrive interleaved, while the slow environment's first trigger settles
    core.clock.while_sleeping.append(lambda: [fire(core, task) for task in [quick, *slow[1:]]])
    fire(core, slow[0])

    # then each environment's first run was handed its slot once its own minute settled, before any run of
    # the slow environment had started
    first_slow, first_quick = run_of(core, slow[0]).run_id, run_of(core, quick).run_id
    assert sorted(sequence_calls(core)) == sorted([first_slow, first_quick])
    assert [run_of(core, task).status for task in slow] == [RunStatus.QUEUED] * 4
    # and the other environment's run completes while the slow environment's minute has not begun
    worker = TimedWorker(core, seconds={"000001": 60})
    deliver(core, first_quick, worker.factory)
    assert run_of(core, quick).status is RunStatus.SUCCEEDED
    assert [run_of(core, task).status for task in slow] == [RunStatus.QUEUED] * 4
    # and the slow environment's minute still runs one after another, in order
    core.pump(worker.factory)
    slow_runs = [run_of(core, task) for task in slow]
    assert worker.order[1:] == [task.spec.description for task in slow]
    assert all(a.ended_at <= b.started_at for a, b in pairwise(slow_runs))


def test_a_trigger_arriving_after_its_minute_ran_moves_the_sequence_on_itself(core: Core) -> None:
    # given a minute whose only run has already ended
    first, late = tasks(core, "000001", 2)
    fire(core, first)
    core.pump(TimedWorker(core).factory)
    assert run_of(core, first).status is RunStatus.SUCCEEDED

    # when a late trigger of the same minute arrives
    fire(core, late)

    # then it is started (not left queued with nobody to start it)
    assert sequence_calls(core) == [run_of(core, late).run_id]
    core.pump(TimedWorker(core).factory)
    assert run_of(core, late).status is RunStatus.SUCCEEDED


def test_the_sweeper_starts_a_minute_whose_settler_died_before_settling(core: Core) -> None:
    # given a minute of three runs whose first trigger (the settler) died while settling
    due = tasks(core, "000001", 3)
    engine = core.engine()
    settler = engine.register_scheduled_run(due[2], scheduled_time=SCHEDULED)
    assert settler is not None and settler.slot is not None
    assert core.run_store.arrive_at_slot(environment="000001", slot=settler.slot, run_id=settler.run_id,
                                         now=core.clock.now()).settler
    for task in due[:2]:
        fire(core, task)  # they find a settler that has not settled: they leave the start to it
    assert core.invoker.calls == []

    # when the sweeper runs within the stall period, and after it
    core.clock.advance(seconds=60)
    assert core.sweeper.sweep(remaining_ms=lambda: 120_000).unstuck_slots == 0
    core.clock.advance(seconds=90)
    report = core.sweeper.sweep(remaining_ms=lambda: 120_000)

    # then the minute is started at its lowest sequence no and runs in order
    assert report.unstuck_slots == 1 and report.swept == []
    assert sequence_calls(core) == [run_of(core, due[0]).run_id]
    worker = TimedWorker(core)
    core.pump(worker.factory)
    assert worker.order == [task.spec.description for task in due]


def test_the_sweeper_hands_a_slot_again_when_its_invocation_went_missing(core: Core) -> None:
    # given a minute whose first run was handed the slot, but that invocation never arrived
    first, second = tasks(core, "000001", 2)
    fire(core, first)
    fire(core, second)
    assert len(core.invoker.take()) == 1  # lost

    # when the sweeper runs after the stall period
    core.clock.advance(seconds=150)
    assert core.sweeper.sweep(remaining_ms=lambda: 120_000).unstuck_slots == 1

    # then the holder is invoked again, and the minute completes in order
    assert sequence_calls(core) == [run_of(core, first).run_id]
    worker = TimedWorker(core)
    core.pump(worker.factory)
    assert worker.order == [first.spec.description, second.spec.description]


class MeteredStore:
    """The run store, where every call costs ``cost_ms`` of the invocation's (fake) time; records the calls."""

    def __init__(self, inner: Any, *, cost_ms: int) -> None:
        self.inner = inner
        self.cost_ms = cost_ms
        self.elapsed_ms = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def metered(*args: Any, **kwargs: Any) -> Any:
            self.elapsed_ms += self.cost_ms
            self.calls.append((name, kwargs))
            return method(*args, **kwargs)

        return metered


def crashed_runs(core: Core, count: int, *, environment: str = "000001") -> list[str]:
    """``count`` runs left running by invocations that died (their heartbeat stops now)."""
    run_ids = []
    for task in tasks(core, environment, count):
        run = core.runs.start(environment=environment, task_id=task.task_id)
        running = run.model_copy(update={"status": RunStatus.RUNNING, "started_at": core.clock.now(),
                                         "heartbeat_at": core.clock.now(), "invocations": 1})
        assert core.run_store.save(running, expected=(RunStatus.QUEUED,))
        run_ids.append(run.run_id)
    core.invoker.take()
    return run_ids


def test_the_sweeper_works_in_bounded_pages_within_its_time_and_continues_where_it_stopped(core: Core) -> None:
    # given 30 crashed runs and 5 healthy ones, and a store where every call costs 50 ms
    crashed = crashed_runs(core, 30)
    core.clock.advance(minutes=10)
    healthy = crashed_runs(core, 5, environment="000002")
    store = MeteredStore(core.run_store, cost_ms=50)
    sequencer = Sequencer(runs=store, invoker=core.invoker, clock=core.clock, settle_seconds=SETTLE)
    finisher = RunFinisher(runs=store, tasks=core.task_store, mailer=None, clock=core.clock,
                           advance_slot=sequencer.advance)
    sweeper = RunSweeper(runs=store, finisher=finisher, sequencer=sequencer, clock=core.clock,
                         stale_after_seconds=300, queued_timeout_seconds=3600, stall_seconds=120, page_size=10,
                         reserve_ms=1_000, max_sweep_ms=50_000)
    timeout_ms = 3_000

    # when it is invoked once a minute with a 3 s timeout until a sweep reaches the end of the active runs
    reports = []
    while not (reports and reports[-1].complete):
        started = store.elapsed_ms
        reports.append(sweeper.sweep(remaining_ms=lambda started=started: timeout_ms - (store.elapsed_ms - started)))
        assert store.elapsed_ms - started < timeout_ms  # never beyond its timeout
        assert len(reports) < 20

    # then it took several invocations, each reading pages of at most 10 runs
    assert len(reports) > 2
    assert all(report.pages >= 1 or report.swept for report in reports)
    assert all(call[1]["limit"] == 10 for call in store.calls if call[0] == "active_page")
    # and every crashed run was ended exactly once; the healthy ones were never read in full
    swept = [run_id for report in reports for run_id in report.swept]
    assert sorted(swept) == sorted(crashed)
    assert all(core.runs.get(environment="000001", run_id=run_id).status is RunStatus.FAILED for run_id in crashed)
    fully_read = {call[1]["run_id"] for call in store.calls if call[0] == "find"}
    assert fully_read.isdisjoint(healthy)
    assert all(core.runs.get(environment="000002", run_id=run_id).status is RunStatus.RUNNING for run_id in healthy)
