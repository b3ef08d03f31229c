"""The sweeper: nothing stays "running" forever. Runs whose heartbeat stopped (a crashed or timed-out
invocation) and runs queued far too long are ended ``failed``, which frees their lease and moves their
environment's sequence on; a minute slot whose queued runs wait too long is moved on.

It reads the active runs a bounded page at a time (one index query and one BatchGetItem per page) within a
time budget taken from the invocation's remaining time, and keeps its place in the runs table: an invocation
that runs out of budget stops between two runs and the next one (a minute later) continues from there, so a
backlog of any size is worked off without ever overrunning the function's timeout or losing work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from pydantic import BaseModel, Field

from pimtasks.clock import Clock
from pimtasks.domain.run import ActiveRun, Run, RunStatus
from pimtasks.observability import logger
from pimtasks.services.ports import RunStore
from pimtasks.services.run_finisher import RunFinisher
from pimtasks.services.sequencer import Sequencer

RemainingMs = Callable[[], int]

PAGE_SIZE = 100
RESERVE_MS = 10_000
"""Left unused of the invocation's time: ending the invocation, logs and metrics."""
MAX_SWEEP_MS = 50_000
"""At most this long per invocation, even with a longer timeout: the sweeper runs every minute, and two
invocations working at the same time would only repeat each other's reads."""


class SweepReport(BaseModel):
    """What one sweep did."""

    swept: list[str] = Field(default_factory=list)
    unstuck_slots: int = 0
    pages: int = 0
    page_ms: list[int] = Field(default_factory=list)
    budget_ms: int = 0
    used_ms: int = 0
    complete: bool = False  # reached the end of the active runs (the next sweep starts from the beginning)


class RunSweeper:
    def __init__(self, *, runs: RunStore, finisher: RunFinisher, sequencer: Sequencer, clock: Clock,
                 stale_after_seconds: float, queued_timeout_seconds: float, stall_seconds: float,
                 page_size: int = PAGE_SIZE, reserve_ms: int = RESERVE_MS, max_sweep_ms: int = MAX_SWEEP_MS) -> None:
        self._runs = runs
        self._finisher = finisher
        self._sequencer = sequencer
        self._clock = clock
        self._stale_after = dt.timedelta(seconds=stale_after_seconds)
        self._queued_timeout = dt.timedelta(seconds=queued_timeout_seconds)
        self._stall = dt.timedelta(seconds=stall_seconds)
        self._page_size = page_size
        self._reserve_ms = reserve_ms
        self._max_sweep_ms = max_sweep_ms

    def sweep(self, *, remaining_ms: RemainingMs) -> SweepReport:
        """Work through the active runs from where the last sweep stopped, until the end or the budget."""
        sweep = _Budget(remaining_ms, reserve_ms=self._reserve_ms, max_ms=self._max_sweep_ms)
        report = SweepReport(budget_ms=sweep.budget_ms)
        start_key = self._runs.sweep_cursor()
        while sweep.allows(sweep.longest_page):
            page_started = sweep.used_ms()
            runs, next_key = self._runs.active_page(start_key=start_key, limit=self._page_size)
            if not self._sweep_page(runs, sweep=sweep, report=report):
                break  # out of budget mid-page: the next sweep reads this page again (what ended is gone from it)
            start_key = next_key
            self._runs.save_sweep_cursor(start_key, now=self._clock.now())
            report.pages += 1
            report.page_ms.append(sweep.used_ms() - page_started)
            sweep.longest_page = max(sweep.longest_page, report.page_ms[-1])
            if start_key is None:
                report.complete = True
                break
        report.used_ms = sweep.used_ms()
        if report.swept or not report.complete:
            logger.info("runs swept", extra={"swept": len(report.swept), "pages": report.pages,
                                             "complete": report.complete, "used_ms": report.used_ms})
        return report

    def _sweep_page(self, runs: list[ActiveRun], *, sweep: _Budget, report: SweepReport) -> bool:
        """End the page's stale runs and move its stalled slots on; False when the budget ran out first."""
        now = self._clock.now()
        stalled: set[tuple[str, str]] = set()
        for active in runs:
            if self._stale_reason(active, now=now) is not None:
                if not sweep.attempt(partial(self._end_stale, active, now=now, report=report)):
                    return False
            elif active.slot and active.status is RunStatus.QUEUED and now - active.created_at > self._stall:
                stalled.add((active.environment, active.slot))
        for environment, slot in sorted(stalled):
            if not sweep.attempt(partial(self._unstick, environment, slot, report=report)):
                return False
        return True

    def _end_stale(self, active: ActiveRun, *, now: dt.datetime, report: SweepReport) -> None:
        run = self._runs.find(environment=active.environment, run_id=active.run_id)  # all of it: the finisher saves it
        reason = self._stale_reason(run, now=now) if run is not None and run.status.is_active else None
        if run is not None and reason is not None and self._finisher.finish(run, status=RunStatus.FAILED,
                                                                            error=reason, expected=(run.status,)):
            report.swept.append(run.run_id)

    def _unstick(self, environment: str, slot: str, *, report: SweepReport) -> None:
        if self._sequencer.unstick(environment, slot) is not None:
            report.unstuck_slots += 1

    def _stale_reason(self, run: ActiveRun | Run, *, now: dt.datetime) -> str | None:
        if run.status is RunStatus.RUNNING:
            last_sign = run.heartbeat_at or run.started_at or run.created_at
            if now - last_sign > self._stale_after:
                return (f"The run stopped responding (no heartbeat since {last_sign.isoformat()}); "
                        "it was ended so the task can run again.")
        elif run.status is RunStatus.QUEUED and now - run.created_at > self._queued_timeout:
            return f"The run was queued since {run.created_at.isoformat()} and never started."
        return None


class _Budget:
    """The sweep's time, measured by the invocation's own remaining time (what Lambda will enforce)."""

    def __init__(self, remaining_ms: RemainingMs, *, reserve_ms: int, max_ms: int) -> None:
        self._remaining_ms = remaining_ms
        self._start_ms = remaining_ms()
        self.budget_ms = max(min(self._start_ms - reserve_ms, max_ms), 0)
        self.longest_page = 0
        self.longest_step = 0

    def used_ms(self) -> int:
        return self._start_ms - self._remaining_ms()

    def allows(self, next_ms: int) -> bool:
        """Whether work expected to take ``next_ms`` still fits."""
        return self.used_ms() + next_ms <= self.budget_ms

    def attempt(self, step: Callable[[], object]) -> bool:
        """Run ``step`` (ending a run, moving a slot on) if one more of the longest so far still fits."""
        if not self.allows(self.longest_step):
            return False
        started = self.used_ms()
        step()
        self.longest_step = max(self.longest_step, self.used_ms() - started)
        return True
