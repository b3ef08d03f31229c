"""Tasks of one environment that fall due in the same minute run one after another, in ascending
sequence no, never in parallel.

Every scheduled run joins its environment's *slot* for that minute. After a short settling pause (so that
all triggers of the minute have arrived; EventBridge Scheduler delivers them within seconds) the slot's
holder is compare-and-set to the lowest queued run, whose function is then invoked. When that run ends, the
finisher calls ``advance`` again for the next one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pimtasks.clock import Clock
from pimtasks.domain.run import RunStatus
from pimtasks.domain.trigger import TriggerKind
from pimtasks.services.ports import FunctionInvoker, RunStore


def slot_of(scheduled_time: dt.datetime) -> str:
    """The minute a scheduled time belongs to, as ``YYYY-MM-DDTHH:MMZ``."""
    return scheduled_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


class Sequencer:
    def __init__(self, *, runs: RunStore, invoker: FunctionInvoker, clock: Clock, settle_seconds: float) -> None:
        self._runs = runs
        self._invoker = invoker
        self._clock = clock
        self._settle = dt.timedelta(seconds=settle_seconds)

    def settle(self, *, scheduled_time: dt.datetime, remaining_ms: Callable[[], int]) -> None:
        """Wait until the minute's triggers have all arrived: at most the settle period (a trigger stamped with
        a future time, e.g. fired by hand, must not wait for it), within the invocation's time budget."""
        wait = (scheduled_time + self._settle - self._clock.now()).total_seconds()
        budget = remaining_ms() / 1000 - 5
        self._clock.sleep(min(wait, self._settle.total_seconds(), budget))

    def advance(self, environment: str, slot: str) -> str | None:
        """Hand the slot to its next queued run and invoke it; the run id, or None when it is not our move."""
        holder = self._runs.slot_holder(environment=environment, slot=slot)
        if holder is not None:
            current = self._runs.find(environment=environment, run_id=holder)
            if current is not None and current.status.is_active:
                return None  # running, or handed over and its invocation is on its way
        candidate = self._next_queued(environment, slot)
        next_run_id = candidate[0] if candidate else None
        if not self._runs.claim_slot(environment=environment, slot=slot, previous=holder, holder=next_run_id,
                                     now=self._clock.now()):
            return None
        if candidate is None:
            return None
        run_id, function = candidate
        run = self._runs.get(environment=environment, run_id=run_id)
        self._invoker.invoke_async(function=function, payload={
            "environment": environment, "task_id": run.task_id, "trigger": TriggerKind.SEQUENCE.value,
            "run_id": run_id,
        })
        return run_id

    def is_turn_of(self, *, environment: str, slot: str, run_id: str) -> bool:
        return self._runs.slot_holder(environment=environment, slot=slot) == run_id

    def _next_queued(self, environment: str, slot: str) -> tuple[str, str] | None:
        for run_id, function in self._runs.slot_members(environment=environment, slot=slot):
            run = self._runs.find(environment=environment, run_id=run_id)
            if run is not None and run.status is RunStatus.QUEUED:
                return run_id, function
        return None
