"""A run: one execution of a task, with its status, progress, counts, messages and files."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def is_active(self) -> bool:
        return self in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def is_failure(self) -> bool:
        """Outcomes a "mail on failure" notification reports."""
        return self in (RunStatus.FAILED, RunStatus.PARTIALLY_SUCCEEDED, RunStatus.SKIPPED)


ACTIVE_STATUSES: tuple[RunStatus, ...] = (RunStatus.QUEUED, RunStatus.RUNNING)
FINAL_STATUSES: tuple[RunStatus, ...] = tuple(s for s in RunStatus if not s.is_active)


class Trigger(StrEnum):
    """What started a run."""

    SCHEDULE = "schedule"
    MANUAL = "manual"
    UPLOAD = "upload"
    PREDECESSOR = "predecessor"


class MessageLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class RunMessage(BaseModel):
    """One line of a run report; the location fields name exactly where bad input was found."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    level: MessageLevel
    text: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None


def _is_zero(value: int) -> bool:
    return value == 0


class RunCounts(BaseModel):
    """Record counts of a run: what an import read and what happened to it, what an export selected from the
    catalog, wrote into its file and skipped (the run's messages give each reason)."""
    model_config = ConfigDict(defer_build=True)

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # An import's counts read as they always did: the export counts are left out while they are 0.
    selected: int = Field(default=0, exclude_if=_is_zero,
                          description="Exports: catalog records the selection took (left out when 0)")
    written: int = Field(default=0, exclude_if=_is_zero,
                         description="Exports: records written into the file (left out when 0)")
    skipped: int = Field(default=0, exclude_if=_is_zero,
                         description="Exports: selected records not written, the messages say why (left out when 0)")
    # Only full imports remove: every other run's counts keep the figures they always had.
    removed: int = Field(default=0, exclude_if=_is_zero,
                         description="Records a full import removed, or removals an export posted (present only "
                                     "when there were some)")

    @property
    def is_export(self) -> bool:
        """The counts of a run that sent the catalog out (it selected, wrote or skipped records)."""
        return bool(self.selected or self.written or self.skipped)

    def text(self) -> str:
        """``read 26, created 24, updated 0, unchanged 0, rejected 2`` (and ``, removed N`` when some were); an
        export's ``selected 24, written 23, skipped 1`` instead."""
        if self.is_export:
            text = f"selected {self.selected}, written {self.written}, skipped {self.skipped}"
        else:
            text = (f"read {self.read}, created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
                    f"rejected {self.rejected}")
        return text + (f", removed {self.removed}" if self.removed else "")

    def add(self, other: RunCounts) -> RunCounts:
        return RunCounts(**{name: getattr(self, name) + getattr(other, name) for name in RunCounts.model_fields})


class RunFileRole(StrEnum):
    """What a file is to its run."""

    INPUT = "input"
    """The file the run read (an upload; ``version_id`` names the version)."""
    ARCHIVED = "archived"
    """The copy of an imported input under ``Archived/``."""
    FAILED = "failed"
    """An input that failed as a whole, moved to ``Failed/``."""
    REJECTED_ROWS = "rejected_rows"
    """The CSV of the rows the run rejected, with their reasons."""
    REPORT = "report"
    """The report of one input file."""
    OUTPUT = "output"
    """A file the run produced and published (an export's file in ``Downloads/<export>/``)."""


class RunFile(BaseModel):
    """A file a run read or produced, as an S3 key relative to the environment prefix (``RunJob.add_file``)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    role: RunFileRole
    key: str
    version_id: str | None = Field(default=None, description="The object version an input was read from")


MAX_MESSAGES_STORED = 200
"""Row errors a run keeps (the rejected-rows file has them all); later ones are only counted."""
MESSAGES_RESERVED = 50
"""Room beyond that for the lines about files and the run itself (summaries, warnings, stop notes)."""


class Run(BaseModel):
    """A run as stored and as returned by the API."""
    model_config = ConfigDict(defer_build=True)

    run_id: str
    environment: str
    task_id: str
    task_type: str
    trigger: Trigger
    status: RunStatus
    scheduled_time: dt.datetime | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    heartbeat_at: dt.datetime | None = None
    progress: float | None = Field(default=None, ge=0, le=1, description="0..1 when known")
    progress_text: str | None = None
    counts: RunCounts = Field(default_factory=RunCounts)
    messages: list[RunMessage] = Field(default_factory=list)
    messages_truncated: int = Field(default=0, description="Messages beyond those stored")
    files: list[RunFile] = Field(default_factory=list)
    cancel_requested: bool = False
    invocations: int = Field(default=0, description="Lambda invocations this run took (continuations + 1)")
    sequence_no: int | None = None
    slot: str | None = Field(default=None, description="Environment minute this scheduled run is ordered in")
    checkpoint: dict[str, Any] | None = Field(default=None, exclude=True)
    error: str | None = None

    def summary(self) -> RunSummary:
        return RunSummary(
            run_id=self.run_id,
            status=self.status,
            trigger=self.trigger,
            started_at=self.started_at,
            ended_at=self.ended_at,
            counts=self.counts,
        )


class ActiveRun(BaseModel):
    """A queued or running run as the sweeper reads it: only what decides whether it is stale (a page of these
    is one index query and one BatchGetItem, never a read per run with its messages and files)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    run_id: str
    environment: str
    task_id: str
    status: RunStatus
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    heartbeat_at: dt.datetime | None = None
    slot: str | None = None


class RunSummary(BaseModel):
    """The last run as shown on a task."""
    model_config = ConfigDict(defer_build=True)

    run_id: str
    status: RunStatus
    trigger: Trigger
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    counts: RunCounts = Field(default_factory=RunCounts)
