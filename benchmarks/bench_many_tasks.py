"""Many tasks due in one minute: 2,000 tasks in 10 environments, about 33 due a minute, against the emulator
(moto server) with the tables of ``infra/template.yaml``. Three parts:

1. **minutes**: the real run engine, sequencer and finisher, their invocations on the local stack's async pool
   (``pimtasks_local.functions.DaemonPool``), on a clock running faster than the wall clock (the settle is
   AWS's 20 s). The speed-up is chosen from the emulator's measured request time so that the load stays well
   within what the emulator serves on this machine: what is measured is the sequencing, not a saturated
   emulator. First a calm phase (every run 2 s of work), then the same load with one slow environment: 10 of
   each minute's tasks, 20 s of work each, so its minute's sequence takes more than three minutes.
   Figures, in simulated seconds: the start delay (scheduled time -> run started) p50/p95/max of the other
   environments and of the slow one, and the backlog (runs due but not started) at each minute boundary; as
   ratios to one task's trigger-to-start latency, measured alone in the same run, and the other environments'
   p95 as a ratio to theirs in the calm phase.
2. **sweeper**: 2,000 active runs of which 600 crashed, swept by invocations with a 15 s timeout (a 5 s budget)
   until all are swept: pages, page time and time used per invocation against the budget; and reading all
   active runs in pages (index query + BatchGetItem) against the former index query + a GetItem per run.
3. **schedule runner**: 2,000 schedules: a tick from the cache against a tick that lists them all (what every
   tick did before), and the first refresh (every schedule's details).
4. **emulator transactions**: a run's start (run + lease in one TransactWriteItems) with the runs table of
   parts 1-2, with the local stack's constant-cost transactions against moto's own (a copy of the table each).

The emulator gets the local stack's constant-cost transactions (``pimtasks_local.moto_transactions``) first.

``BENCH_MANY_TASKS_MINUTES`` sets the simulated minutes of each phase of part 1 (default 3).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from benchmarks.support import moto_server, percentile

TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "template.yaml"
TASKS = 2000
ENVIRONMENTS = [f"{number:06d}" for number in range(1, 11)]
SLOW = ENVIRONMENTS[0]
BASELINE_ENVIRONMENT = "000099"
MINUTES = int(os.environ.get("BENCH_MANY_TASKS_MINUTES", "3"))
SETTLE_SECONDS = 20.0
WORK_SECONDS = {SLOW: 20}
QUICK_WORK_SECONDS = 2
CRASHED, HEALTHY = 600, 1400
SWEEP_TIMEOUT_SECONDS = 15
SCHEDULES = 2000
START = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
REQUESTS_PER_RUN = 25
"""About how many emulator requests a scheduled run costs, from its trigger to the next run's hand-over."""
LOAD_SHARE = 0.35
"""The share of the wall clock the load's requests may take at the chosen speed-up."""


class CompressedClock:
    """Time from ``start`` on, running ``speed`` times faster than the wall clock (sleeps shrink alike)."""

    def __init__(self, start: dt.datetime, *, speed: float) -> None:
        self._start = start
        self._speed = speed
        self._origin = time.monotonic()

    def now(self) -> dt.datetime:
        current = self._start + dt.timedelta(seconds=(time.monotonic() - self._origin) * self._speed)
        return current.replace(microsecond=current.microsecond // 1000 * 1000)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self._speed)

    def sleep_until(self, moment: dt.datetime) -> None:
        self.sleep((moment - self.now()).total_seconds())


class PoolInvoker:
    """``invoke_async`` of the services: the engine handles the payload on the async pool, as Lambda would."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self.handle: Callable[[dict[str, Any]], object] = lambda payload: None
        self.failures: list[BaseException] = []

    def invoke_async(self, *, function: str, payload: dict[str, Any]) -> None:
        future = self._pool.submit(lambda: self.handle(json.loads(json.dumps(payload))))
        future.add_done_callback(self._note_failure)

    def _note_failure(self, future: Future[Any]) -> None:
        if future.exception() is not None:
            self.failures.append(future.exception())  # type: ignore[arg-type]


class SleepingWorker:
    """A task's work: so many seconds of the (compressed) clock, a checkpoint every 5 s; the environments in
    ``slow`` work longer."""

    def __init__(self, clock: CompressedClock) -> None:
        self._clock = clock
        self.slow: set[str] = set()

    def run(self, job: Any) -> None:
        environment = job.task.environment
        left = WORK_SECONDS[environment] if environment in self.slow else QUICK_WORK_SECONDS
        while left > 0:
            step = min(left, 5)
            self._clock.sleep(step)
            left -= step
            job.count(read=1, created=1)
            job.keep_alive({"left": left})

    def factory(self, task_type: Any) -> Any:
        return self


def _stack(url: str) -> tuple[Any, dict[str, str]]:
    from pimtasks_local.deployer import deploy_template
    from pimtasks_local.emulator import client_factory

    clients = client_factory(url)
    deployment = deploy_template(TEMPLATE, stack_name="bench", parameters={"MailSender": "bench@example.com"},
                                 clients=clients)
    return clients, deployment.names_of_type("AWS::DynamoDB::Table")


def _tasks(task_store: Any) -> dict[int, list[Any]]:
    """2,000 hourly tasks; minute m holds task i when i % 60 == m; 30 % of them (10 a minute) are the slow
    environment's, the rest spread over the other nine. Returns the tasks of each minute."""
    from pimtasks.domain.task import Task, TaskSpec
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(TaskSpec)
    created = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    by_minute: dict[int, list[Any]] = {}
    others = ENVIRONMENTS[1:]
    for index in range(TASKS):
        minute, rank = index % 60, index // 60
        environment = SLOW if rank % 10 < 3 else others[index % len(others)]
        spec = adapter.validate_python({
            "type": "import_etim", "description": f"Bench task {index}", "sequence_no": 10 * (rank + 1),
            "frequency": {"every": "hour", "minute": minute}, "notification": {"emails": [], "when": "never"},
            "settings": {"client_id": "bench", "client_secret": "bench-secret", "languages": ["EN"]}})
        task = Task(task_id=f"{index:032x}", environment=environment, spec=spec, created_at=created,
                    updated_at=created, version=1, schedule_anchor=created)
        task_store.create(task)
        by_minute.setdefault(minute, []).append(task)
    return by_minute


def _schedule_event(task: Any, moment: dt.datetime) -> dict[str, Any]:
    return {"environment": task.environment, "task_id": task.task_id, "trigger": "schedule",
            "scheduled_time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _run_of(run_store: Any, task: Any, moment: dt.datetime) -> Any:
    from pimtasks.domain.identifiers import scheduled_run_id

    return run_store.find(environment=task.environment, run_id=scheduled_run_id(
        environment=task.environment, task_id=task.task_id, scheduled_time=moment.isoformat()))


def _wait_until_ended(run_store: Any, due: list[tuple[Any, dt.datetime]], *, clock: CompressedClock,
                      limit: dt.datetime) -> list[tuple[Any, dt.datetime, Any]]:
    while True:
        runs = [(task, moment, _run_of(run_store, task, moment)) for task, moment in due]
        if all(run is not None and not run.status.is_active for _, _, run in runs) or clock.now() > limit:
            return runs
        clock.sleep(10)


def _delays(runs: list[tuple[Any, dt.datetime, Any]]) -> list[float]:
    return [(run.started_at - moment).total_seconds() for _, moment, run in runs if run and run.started_at]


def _first_of_minute(runs: list[tuple[Any, dt.datetime, Any]]) -> list[float]:
    """The start delay of each environment-minute's first run (the settle and hand-over, not the sequence)."""
    firsts: dict[tuple[str, dt.datetime], float] = {}
    for task, moment, run in runs:
        if run and run.started_at:
            delay = (run.started_at - moment).total_seconds()
            firsts[(task.environment, moment)] = min(delay, firsts.get((task.environment, moment), delay))
    return list(firsts.values())


def _figures(delays: list[float], baseline: float) -> dict[str, float]:
    if not delays:
        return {}
    p50, p95, top = percentile(delays, 0.5), percentile(delays, 0.95), max(delays)
    return {"p50_s": round(p50, 1), "p95_s": round(p95, 1), "max_s": round(top, 1),
            "p95_ratio_to_single_task": round(p95 / baseline, 2), "max_ratio_to_single_task": round(top / baseline, 2)}


def _backlog(runs: list[tuple[Any, dt.datetime, Any]], first: dt.datetime, minutes: int) -> dict[str, list[int]]:
    """Runs due before each minute boundary that had not started by then."""
    backlog: dict[str, list[int]] = {"other_environments": [], "slow_environment": []}
    for boundary in (first + dt.timedelta(minutes=m + 1) for m in range(minutes)):
        for name, slow in (("other_environments", False), ("slow_environment", True)):
            backlog[name].append(sum(1 for task, moment, run in runs if (task.environment == SLOW) == slow
                                     and moment < boundary and (run is None or run.started_at is None
                                                                or run.started_at > boundary)))
    return backlog


def _minutes_part(clients: Any, tables: dict[str, str]) -> tuple[dict[str, Any], Any, Any, dict[int, list[Any]]]:
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.run_repository import RunRepository
    from pimtasks.adapters.task_repository import TaskRepository
    from pimtasks.domain.trigger import TaskTriggerEvent
    from pimtasks.services.run_engine import RunEngine
    from pimtasks.services.run_finisher import RunFinisher
    from pimtasks.services.sequencer import Sequencer
    from pimtasks_local.functions import DaemonPool

    dynamodb = clients("dynamodb")
    task_store = TaskRepository(table=DynamoTable(table_name=tables["TasksTable"], dynamodb_client=dynamodb))
    run_store = RunRepository(table=DynamoTable(table_name=tables["RunsTable"], dynamodb_client=dynamodb))
    by_minute = _tasks(task_store)
    [baseline_task] = _tasks_of(task_store, BASELINE_ENVIRONMENT)
    request_ms = _request_ms(task_store, baseline_task)
    due_per_minute = sum(len(by_minute[m]) for m in range(MINUTES)) / MINUTES
    speed = min(max(60 * LOAD_SHARE / (due_per_minute * REQUESTS_PER_RUN * request_ms / 1000), 1.5), 10.0)

    clock = CompressedClock(START + dt.timedelta(seconds=50), speed=speed)
    pool = DaemonPool(workers=64, name="bench-async")
    invoker = PoolInvoker(pool)
    sequencer = Sequencer(runs=run_store, invoker=invoker, clock=clock, settle_seconds=SETTLE_SECONDS)
    finisher = RunFinisher(runs=run_store, tasks=task_store, mailer=None, clock=clock, advance_slot=sequencer.advance)
    worker = SleepingWorker(clock)
    engine = RunEngine(tasks=task_store, runs=run_store, workers=worker.factory, finisher=finisher,
                       sequencer=sequencer, invoker=invoker, secrets=None, clock=clock, heartbeat_seconds=3,
                       stale_after_seconds=300, queued_timeout_seconds=6 * 3600, continuation_margin_seconds=60)
    invoker.handle = lambda payload: engine.handle(TaskTriggerEvent.model_validate(payload),
                                                   remaining_ms=lambda: 900_000)

    # the baseline: one task, alone, at 11:01
    alone = START + dt.timedelta(minutes=1)
    clock.sleep_until(alone)
    invoker.invoke_async(function="etim", payload=_schedule_event(baseline_task, alone))
    [(_, _, baseline_run)] = _wait_until_ended(run_store, [(baseline_task, alone)], clock=clock,
                                               limit=alone + dt.timedelta(minutes=1))
    baseline = (baseline_run.started_at - alone).total_seconds()

    def load(first_offset: int) -> tuple[dt.datetime, list[tuple[Any, dt.datetime, Any]], float]:
        """Every minute's due tasks fired at once (as the local schedule runner's tick does), until all ended."""
        first = (clock.now() + dt.timedelta(seconds=70)).replace(second=0, microsecond=0)  # the next whole minute
        due: list[tuple[Any, dt.datetime]] = []
        late = 0.0
        for offset in range(MINUTES):
            moment = first + dt.timedelta(minutes=offset)
            clock.sleep_until(moment)
            late = max(late, (clock.now() - moment).total_seconds())
            for task in by_minute[first_offset + offset]:
                invoker.invoke_async(function="etim", payload=_schedule_event(task, moment))
                due.append((task, moment))
        return first, _wait_until_ended(run_store, due, clock=clock,
                                        limit=first + dt.timedelta(minutes=MINUTES + 10)), late

    _, calm, _ = load(0)  # no environment is slow
    worker.slow = {SLOW}
    first, runs, late = load(MINUTES + 1)
    pool.close()
    calm_others = _delays([entry for entry in calm if entry[0].environment != SLOW])
    others = [entry for entry in runs if entry[0].environment != SLOW]
    slow = [entry for entry in runs if entry[0].environment == SLOW]
    per_environment_p95 = {environment: round(percentile(delays, 0.95), 1) for environment in ENVIRONMENTS[1:]
                           if (delays := _delays([e for e in others if e[0].environment == environment]))}
    slow_minute = sum(WORK_SECONDS[SLOW] for task in by_minute[MINUTES + 1] if task.environment == SLOW)
    figures = {
        "tasks": TASKS, "environments": len(ENVIRONMENTS), "simulated_minutes": MINUTES,
        "emulator_request_ms": round(request_ms, 1), "speed_up": round(speed, 2),
        "settle_seconds": SETTLE_SECONDS, "due_per_minute": round(len(runs) / MINUTES, 1),
        "runs_due": len(runs) + len(calm),
        "runs_ended": sum(1 for _, _, run in runs + calm if run is not None and not run.status.is_active),
        "invocation_failures": [repr(error)[:200] for error in invoker.failures[:3]],
        "single_task_trigger_to_start_s": round(baseline, 1),
        "calm_start_delay_all_environments": _figures(_delays(calm), baseline),
        "slow_environment_minute_of_work_s": slow_minute,
        "start_delay_other_environments": _figures(_delays(others), baseline),
        "first_of_minute_start_delay_other_environments": _figures(_first_of_minute(others), baseline),
        "other_environments_p95_ratio_to_calm": round(percentile(_delays(others), 0.95)
                                                      / percentile(calm_others, 0.95), 2),
        "start_delay_p95_per_other_environment_s": per_environment_p95,
        "start_delay_slow_environment": _figures(_delays(slow), baseline),
        "backlog_at_minute_boundaries": _backlog(runs, first, MINUTES),
        "minute_fired_late_s_max": round(late, 1),
    }
    return figures, task_store, run_store, by_minute


def _request_ms(task_store: Any, task: Any) -> float:
    """One emulator request's time on this machine now (a consistent GetItem of a task)."""
    started = time.perf_counter()
    for _ in range(40):
        task_store.find(environment=task.environment, task_id=task.task_id)
    return (time.perf_counter() - started) / 40 * 1000


def _tasks_of(task_store: Any, environment: str) -> list[Any]:
    """One extra task in an environment of its own (the baseline)."""
    from pimtasks.domain.task import Task, TaskSpec
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(TaskSpec)
    spec = adapter.validate_python({
        "type": "import_etim", "description": "Bench baseline", "frequency": {"every": "hour", "minute": 1},
        "notification": {"emails": [], "when": "never"},
        "settings": {"client_id": "bench", "client_secret": "bench-secret", "languages": ["EN"]}})
    created = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    task = Task(task_id="b" * 32, environment=environment, spec=spec, created_at=created, updated_at=created,
                version=1, schedule_anchor=created)
    task_store.create(task)
    return [task]


def _sweeper_part(task_store: Any, run_store: Any, by_minute: dict[int, list[Any]], *,
                  runs_table: Any) -> dict[str, Any]:
    from pimtasks.adapters.run_repository import ACTIVE_PK, ACTIVE_RUNS_INDEX
    from pimtasks.clock import SystemClock
    from pimtasks.domain.run import Run, RunStatus, Trigger
    from pimtasks.services.run_finisher import RunFinisher
    from pimtasks.services.run_sweeper import RunSweeper, SweepReport
    from pimtasks.services.sequencer import Sequencer
    from pimtasks_local.functions import lambda_context

    clock = SystemClock()
    now = clock.now()
    every_task = [task for minute in sorted(by_minute) for task in by_minute[minute]]
    crashed: list[str] = []
    for index, task in enumerate(every_task[:CRASHED + HEALTHY]):
        beat = now - dt.timedelta(hours=1) if index < CRASHED else now
        run = Run(run_id=f"{index:08d}" + "c" * 24, environment=task.environment, task_id=task.task_id,
                  task_type="import_etim", trigger=Trigger.MANUAL, status=RunStatus.RUNNING, created_at=beat,
                  started_at=beat, heartbeat_at=beat, invocations=1)
        run_store.create(run)
        if index < CRASHED:
            crashed.append(run.run_id)

    # the baseline: the active runs read the way the sweeper used to (every key, then a GetItem per run)
    started = time.perf_counter()
    keys = runs_table.query_all(key_condition="active_pk = :pk", values={":pk": ACTIVE_PK}, index=ACTIVE_RUNS_INDEX)
    former = [runs_table.get({"pk": key["pk"], "sk": key["sk"]}) for key in keys]
    former_seconds = time.perf_counter() - started
    started = time.perf_counter()
    paged, start_key, pages = 0, None, 0
    while True:
        page, start_key = run_store.active_page(start_key=start_key, limit=100)
        paged, pages = paged + len(page), pages + 1
        if start_key is None:
            break
    paged_seconds = time.perf_counter() - started

    class _NoInvoke:
        def invoke_async(self, *, function: str, payload: dict[str, Any]) -> None:
            return None

    sequencer = Sequencer(runs=run_store, invoker=_NoInvoke(), clock=clock, settle_seconds=SETTLE_SECONDS)
    finisher = RunFinisher(runs=run_store, tasks=task_store, mailer=None, clock=clock, advance_slot=sequencer.advance)
    sweeper = RunSweeper(runs=run_store, finisher=finisher, sequencer=sequencer, clock=clock, stale_after_seconds=300,
                         queued_timeout_seconds=6 * 3600, stall_seconds=120)
    reports: list[SweepReport] = []
    while len(reports) < 100:
        context = lambda_context("bench-run-sweeper", timeout_seconds=SWEEP_TIMEOUT_SECONDS)
        reports.append(sweeper.sweep(remaining_ms=context.get_remaining_time_in_millis))
        if reports[-1].complete and sum(len(r.swept) for r in reports) >= CRASHED:
            break
    swept = [run_id for report in reports for run_id in report.swept]
    page_ms = [float(ms) for report in reports for ms in report.page_ms]
    budget = reports[0].budget_ms
    return {
        "active_runs": CRASHED + HEALTHY, "crashed": CRASHED, "swept": len(swept),
        "swept_exactly_the_crashed": sorted(swept) == sorted(crashed),
        "invocations": len(reports), "timeout_s": SWEEP_TIMEOUT_SECONDS, "budget_ms": budget,
        "used_ms_max": max(report.used_ms for report in reports),
        "used_ms_max_ratio_to_budget": round(max(report.used_ms for report in reports) / budget, 2),
        "pages": len(page_ms), "page_ms_p50": percentile(page_ms, 0.5), "page_ms_max": max(page_ms),
        "page_ms_max_ratio_to_budget": round(max(page_ms) / budget, 3),
        "read_active_runs_in_pages_s": round(paged_seconds, 2), "read_pages": pages,
        "read_active_runs_query_plus_get_each_s": round(former_seconds, 2), "read_former_items": len(former),
        "ratio_pages_to_get_each": round(paged_seconds / former_seconds, 3),
    }


def _runner_part(clients: Any) -> dict[str, Any]:
    from pimtasks_local.schedule_runner import ScheduleRunner

    scheduler = clients("scheduler")
    for environment in ENVIRONMENTS:
        scheduler.create_schedule_group(Name=f"bench-runner-{environment}")
    for index in range(SCHEDULES):
        scheduler.create_schedule(
            GroupName=f"bench-runner-{ENVIRONMENTS[index % len(ENVIRONMENTS)]}", Name=f"task-{index:032x}",
            ScheduleExpression=f"cron({index % 60} 3 * * ? *)", ScheduleExpressionTimezone="Europe/Amsterdam",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": "arn:aws:lambda:eu-west-1:123456789012:function:bench-task-etim",
                    "RoleArn": "arn:aws:iam::123456789012:role/scheduler", "Input": "{}"})

    class _Host:
        def find(self, name_or_arn: str) -> Any:
            return object()

        def invoke(self, name_or_arn: str, event: Any, *, log_failure: bool = True) -> Any:
            return None

        def invoke_async(self, name_or_arn: str, event: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_result(None)
            return future

    runner = ScheduleRunner(scheduler=scheduler, sqs=clients("sqs"), invoker=_Host(), refresh_seconds=3600)
    runner.start()
    started = time.perf_counter()
    runner.refresh()
    first_refresh = time.perf_counter() - started
    listing = []
    for _ in range(5):
        started = time.perf_counter()
        runner.refresh()  # every schedule listed, nothing changed: what each tick cost before
        listing.append(time.perf_counter() - started)
    ticks = []
    for _ in range(50):
        started = time.perf_counter()
        runner.tick()
        ticks.append(time.perf_counter() - started)
    tick, listed = percentile(ticks, 0.5), percentile(listing, 0.5)
    return {
        "schedules": SCHEDULES, "first_refresh_s": round(first_refresh, 2),
        "listing_tick_ms_p50": round(listed * 1000, 1), "cached_tick_ms_p50": round(tick * 1000, 2),
        "ratio_cached_tick_to_listing_tick": round(tick / listed, 4),
    }


def _transactions_part(run_store: Any, runs_table: str) -> dict[str, Any]:
    from pimtasks.domain.run import Run, RunStatus, Trigger
    from pimtasks_local import moto_transactions

    def start_runs(label: str, count: int) -> float:
        started = time.perf_counter()
        for index in range(count):
            now = dt.datetime.now(dt.UTC)
            run_store.create_with_lease(Run(
                run_id=f"{label}{index:08d}".ljust(32, "t"), environment="000098", task_id=f"{label}-{index}",
                task_type="import_etim", trigger=Trigger.MANUAL, status=RunStatus.QUEUED, created_at=now),
                lease_until=now + dt.timedelta(hours=1), now=now)
        return (time.perf_counter() - started) / count

    constant = start_runs("c", 20)
    moto_transactions.uninstall()
    try:
        copying = start_runs("m", 5)
    finally:
        moto_transactions.install()
    from moto.backends import get_backend

    items = len(get_backend("dynamodb")["123456789012"]["eu-west-1"].tables[runs_table])
    return {"runs_table_items": items, "run_start_ms": round(constant * 1000, 1),
            "run_start_ms_with_moto_table_copy": round(copying * 1000, 1),
            "ratio_to_moto_table_copy": round(constant / copying, 4)}


def run() -> dict[str, Any]:
    from pimtasks_local import moto_transactions

    moto_transactions.install()
    # Powertools prints a batch of metrics (EMF) every 100 run endings: not for the figures' output
    with moto_server() as url, contextlib.redirect_stdout(io.StringIO()):
        os.environ.update({"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
                           "POWERTOOLS_LOG_LEVEL": "WARNING"})
        import logging

        logging.getLogger().setLevel(logging.WARNING)
        from pimtasks.adapters.dynamo import DynamoTable

        clients, tables = _stack(url)
        minutes, task_store, run_store, by_minute = _minutes_part(clients, tables)
        sweeper = _sweeper_part(task_store, run_store, by_minute, runs_table=DynamoTable(
            table_name=tables["RunsTable"], dynamodb_client=clients("dynamodb")))
        runner = _runner_part(clients)
        transactions = _transactions_part(run_store, tables["RunsTable"])
    return {"minutes": minutes, "sweeper": sweeper, "schedule_runner": runner, "emulator_transactions": transactions}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

