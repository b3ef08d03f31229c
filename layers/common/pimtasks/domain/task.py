"""A periodic task: common settings plus the settings of its type, as a union discriminated by ``type``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.frequency import Frequency
from pimtasks.domain.notification import Notification
from pimtasks.domain.run import RunSummary
from pimtasks.domain.task_types import (
    ExportArtConnectSettings,
    ExportArtConnectUsersSettings,
    ExportArtikelbeheerSettings,
    ExportSettings,
    FeedSettings,
    Import2baSettings,
    ImportArtConnectInvoicesSettings,
    ImportEtimSettings,
    ImportSettings,
    MagentoSettings,
    TaskType,
)

Description = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        description="Required free text",
        examples=["Weekly import of sales conditions for APAC"],
    ),
]


class TaskCommon(BaseModel):
    """The common settings of every periodic task (manual §2.2)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)

    active: bool = Field(default=True, description="An inactive task never fires on schedule")
    description: Description
    frequency: Frequency
    sequence_no: int = Field(default=100, ge=0, le=999_999, description="Order among tasks due in the same minute")
    notification: Notification = Field(default_factory=Notification)


class ImportTask(TaskCommon):
    type: Literal["import"]
    settings: ImportSettings


class ImportEtimTask(TaskCommon):
    type: Literal["import_etim"]
    settings: ImportEtimSettings


class ExportTask(TaskCommon):
    type: Literal["export"]
    settings: ExportSettings


class FeedTask(TaskCommon):
    type: Literal["feed"]
    settings: FeedSettings


class MagentoTask(TaskCommon):
    type: Literal["magento"]
    settings: MagentoSettings


class Import2baTask(TaskCommon):
    type: Literal["import_2ba"]
    settings: Import2baSettings


class ImportArtConnectInvoicesTask(TaskCommon):
    type: Literal["import_artconnect_invoices"]
    settings: ImportArtConnectInvoicesSettings


class ExportArtConnectTask(TaskCommon):
    type: Literal["export_artconnect"]
    settings: ExportArtConnectSettings


class ExportArtConnectUsersTask(TaskCommon):
    type: Literal["export_artconnect_users"]
    settings: ExportArtConnectUsersSettings


class ExportArtikelbeheerTask(TaskCommon):
    type: Literal["export_artikelbeheer"]
    settings: ExportArtikelbeheerSettings


TaskSpec = Annotated[
    ImportTask
    | ImportEtimTask
    | ExportTask
    | FeedTask
    | MagentoTask
    | Import2baTask
    | ImportArtConnectInvoicesTask
    | ExportArtConnectTask
    | ExportArtConnectUsersTask
    | ExportArtikelbeheerTask,
    Field(discriminator="type"),
]
"""What an administrator defines: the common settings and the settings of one of the ten types.

``type`` picks the variant, so every variant requires it (no default): the OpenAPI document then says so too.
"""


class Task(BaseModel):
    """A stored task: its definition plus identity, bookkeeping and the last run's summary."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    task_id: str
    environment: str
    spec: TaskSpec
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(ge=1, description="Incremented on every change of the definition")
    schedule_anchor: dt.datetime = Field(description="When the frequency was last set; start of 'every N minutes'")
    last_run: RunSummary | None = None

    @property
    def type(self) -> TaskType:
        return TaskType(self.spec.type)


LISTED_DESCRIPTION_CHARACTERS = 200
"""How much of a description orders the task list (a DynamoDB sort key holds at most 1,024 bytes)."""
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f]")


def listing_key(task: Task) -> str:
    """Where a task comes in a task list, as one string whose order is the list's: sequence no, then
    description (case-insensitive, its first 200 characters), then id. Stored as the tasks table's
    ``list_sk``, so a query of its ``tasks_in_order`` index returns tasks in this order; the fields are joined
    by U+0001, below every character a description keeps here, so "Export" comes before "Export 2"."""
    description = _CONTROL_CHARACTERS.sub(" ", task.spec.description.lower()[:LISTED_DESCRIPTION_CHARACTERS])
    return f"{task.spec.sequence_no:06d}\x01{description}\x01{task.task_id}"
