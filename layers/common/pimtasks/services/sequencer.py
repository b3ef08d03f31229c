"""Tasks of one environment that fall due in the same minute run one after another, in ascending
sequence no, never in parallel; environments (and minutes) never wait for each other.

Every scheduled run joins its environment's *slot* for that minute. The first run to arrive at the slot is its
*settler*: it pauses briefly (so that all triggers of the minute have arrived; EventBridge Scheduler delivers
them within seconds, and the pause stretches while they are still arriving), marks the slot settled, and
compare-and-sets the slot's holder to the lowest queued run, whose function is then invoked. The other runs of
the minute return at once (the settler will see them), so a minute with many tasks costs one pause, not one
per task. A run arriving after the slot settled moves the sequence on itself. When a run ends, the finisher
calls ``advance`` again for the next one. The sweeper calls ``unstick`` for a slot whose runs waited too long
(a settler or a hand-over invocation that went missing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pimtasks.clock import Clock
from pimtasks.domain.run import Run, RunStatus
from pimtasks.domain.slot import SlotMember
from pimtasks.domain.task_types import FUNCTION_FOR_TYPE, TaskType
from pimtasks.domain.trigger import TriggerKind
from pimtasks.services.ports import FunctionInvoker, RunStore

STATUS_BATCH = 100
"""Slot members whose status is read in one request while looking for the next queued run."""


def slot_of(scheduled_time: dt.datetime) -> str:
    """The minute a scheduled time belongs to, as ``YYYY-MM-DDTHH:MMZ``."""
    return scheduled_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


class Sequencer:
    def __init__(self, *, runs: RunStore, invoker: FunctionInvoker, clock: Clock, settle_seconds: float,
                 stall_seconds: float = 120.0) -> None:
        self._runs = runs
        self._invoker = invoker
        self._clock = clock
        self._settle = dt.timedelta(seconds=settle_seconds)
        self._quiet = dt.timedelta(seconds=max(settle_seconds / 4, 1.0))
        self._stall = dt.timedelta(seconds=stall_seconds)

    def arrive(self, run: Run, *, scheduled_time: dt.datetime, remaining_ms: Callable[[], int]) -> None:
        """A queued scheduled run has joined its slot: settle and start the sequence if it is the minute's
        first, move the sequence on if the slot has settled already, else leave it to the settler."""
        environment, slot = run.environment, run.slot or ""
        arrival = self._runs.arrive_at_slot(environment=environment, slot=slot, run_id=run.run_id,
                                            now=self._clock.now())
        if arrival.settler:
            self.settle(environment=environment, slot=slot, scheduled_time=scheduled_time, remaining_ms=remaining_ms)
            self._runs.mark_settled(environment=environment, slot=slot, now=self._clock.now())
        elif not arrival.settled:
            return  # the settler has not read the slot yet: it will see this run
        self.advance(environment, slot)

    def settle(self, *, environment: str, slot: str, scheduled_time: dt.datetime,
               remaining_ms: Callable[[], int]) -> None:
        """Wait until the minute's triggers have all arrived, within the invocation's time budget.

        First until the settle period after the scheduled time, but never longer than the period (a trigger
        stamped with a future time, e.g. fired by hand, must not wait for it). Then, while triggers are still
        arriving (a busy moment spreads them), until none has joined for a quiet spell, up to three periods in
        all: a run that joins after its minute has started runs later than its sequence no says.
        """
        arrived = self._clock.now()
        until = min(arrived + self._budget(remaining_ms), arrived + 3 * self._settle)
        first = min(scheduled_time + self._settle, arrived + self._settle, until)
        self._clock.sleep((first - arrived).total_seconds())
        while self._clock.now() < until:
            joined = [m.joined_at for m in self._runs.slot_members(environment=environment, slot=slot) if m.joined_at]
            quiet_from = max(joined, default=arrived) + self._quiet
            if quiet_from <= self._clock.now():
                return
            self._clock.sleep((min(quiet_from, until) - self._clock.now()).total_seconds())

    @staticmethod
    def _budget(remaining_ms: Callable[[], int]) -> dt.timedelta:
        return dt.timedelta(seconds=max(remaining_ms() / 1000 - 5, 0))

    def advance(self, environment: str, slot: str) -> str | None:
        """Hand the slot to its next queued run and invoke it; the run id, or None when it is not our move."""
        holder = self._runs.slot_holder(environment=environment, slot=slot)
        if holder is not None and self._status(environment, holder) in (RunStatus.QUEUED, RunStatus.RUNNING):
            return None  # running, or handed over and its invocation is on its way
        candidate = self._next_queued(environment, slot)
        if not self._runs.claim_slot(environment=environment, slot=slot, previous=holder,
                                     holder=candidate.run_id if candidate else None, now=self._clock.now()):
            return None
        if candidate is None:
            return None
        task_id = candidate.task_id or self._runs.get(environment=environment, run_id=candidate.run_id).task_id
        self._invoke(environment, run_id=candidate.run_id, task_id=task_id, function=candidate.function)
        return candidate.run_id

    def unstick(self, environment: str, slot: str) -> str | None:
        """Move on a slot whose queued runs have waited too long (the sweeper's backstop); idempotent.

        Its settler may have died before settling (nobody started the sequence), or the invocation handed the
        slot may have gone missing (the holder stays queued): the holder is invoked again after the stall
        period (a second delivery is harmless: only one invocation can claim a queued run). Returns the run
        invoked, if any.
        """
        now = self._clock.now()
        state = self._runs.slot_state(environment=environment, slot=slot)
        if not state.settled:
            self._runs.mark_settled(environment=environment, slot=slot, now=now)
        if state.holder is not None:
            status = self._status(environment, state.holder)
            if status is RunStatus.RUNNING:
                return None
            if status is RunStatus.QUEUED:
                if state.claimed_at is not None and now - state.claimed_at < self._stall:
                    return None
                run = self._runs.get(environment=environment, run_id=state.holder)
                self._invoke(environment, run_id=run.run_id, task_id=run.task_id,
                             function=FUNCTION_FOR_TYPE[TaskType(run.task_type)].value)
                return run.run_id
        return self.advance(environment, slot)

    def is_turn_of(self, *, environment: str, slot: str, run_id: str) -> bool:
        return self._runs.slot_holder(environment=environment, slot=slot) == run_id

    def _status(self, environment: str, run_id: str) -> RunStatus | None:
        return self._runs.statuses(environment=environment, run_ids=[run_id]).get(run_id)

    def _next_queued(self, environment: str, slot: str) -> SlotMember | None:
        """The lowest queued member; statuses are read ``STATUS_BATCH`` members per request, not one by one."""
        members = self._runs.slot_members(environment=environment, slot=slot)
        for start in range(0, len(members), STATUS_BATCH):
            chunk = members[start:start + STATUS_BATCH]
            statuses = self._runs.statuses(environment=environment, run_ids=[m.run_id for m in chunk])
            for member in chunk:
                if statuses.get(member.run_id) is RunStatus.QUEUED:
                    return member
        return None

    def _invoke(self, environment: str, *, run_id: str, task_id: str, function: str) -> None:
        self._invoker.invoke_async(function=function, payload={
            "environment": environment, "task_id": task_id, "trigger": TriggerKind.SEQUENCE.value,
            "run_id": run_id,
        })
