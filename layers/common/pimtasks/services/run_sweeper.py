"""The sweeper: nothing stays "running" forever. Runs whose heartbeat stopped (a crashed or timed-out
invocation) and runs queued far too long are ended ``failed``, which frees their lease and moves their
environment's sequence on."""

from __future__ import annotations

import datetime as dt

from pimtasks.clock import Clock
from pimtasks.domain.run import Run, RunStatus
from pimtasks.services.ports import RunStore
from pimtasks.services.run_finisher import RunFinisher


class RunSweeper:
    def __init__(self, *, runs: RunStore, finisher: RunFinisher, clock: Clock, stale_after_seconds: float,
                 queued_timeout_seconds: float) -> None:
        self._runs = runs
        self._finisher = finisher
        self._clock = clock
        self._stale_after = dt.timedelta(seconds=stale_after_seconds)
        self._queued_timeout = dt.timedelta(seconds=queued_timeout_seconds)

    def sweep(self) -> list[Run]:
        """End every stale run; returns the runs it ended."""
        now = self._clock.now()
        swept: list[Run] = []
        for run in self._runs.list_active():
            reason = self._stale_reason(run, now=now)
            if reason and self._finisher.finish(run, status=RunStatus.FAILED, error=reason, expected=(run.status,)):
                swept.append(run)
        return swept

    def _stale_reason(self, run: Run, *, now: dt.datetime) -> str | None:
        if run.status is RunStatus.RUNNING:
            last_sign = run.heartbeat_at or run.started_at or run.created_at
            if now - last_sign > self._stale_after:
                return (f"The run stopped responding (no heartbeat since {last_sign.isoformat()}); "
                        "it was ended so the task can run again.")
        elif run.status is RunStatus.QUEUED and now - run.created_at > self._queued_timeout:
            return f"The run was queued since {run.created_at.isoformat()} and never started."
        return None
