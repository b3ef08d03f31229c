"""An environment's minute *slot*: the scheduled runs of one environment due in the same minute, which run one
after another in ascending sequence no (``pimtasks.services.sequencer``)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class SlotMember(BaseModel):
    """A run that joined a slot, as listed in sequence order."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    run_id: str
    function: str
    sequence_no: int
    task_id: str | None = None  # absent on members written before it was stored; then read from the run
    joined_at: dt.datetime | None = None


class SlotArrival(BaseModel):
    """What a run learns when it arrives at its slot."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    settler: bool  # the first run of the minute: it waits for the others, then starts the lowest sequence no
    settled: bool  # the settler has stopped waiting: a run arriving now must move the sequence on itself


class SlotState(BaseModel):
    """The slot's hand-over state: which run may execute, since when, and whether its settler settled."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    holder: str | None = None
    claimed_at: dt.datetime | None = None
    settled: bool = False
