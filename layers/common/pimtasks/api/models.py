"""API request and response models (the HTTP edge). Domain objects are mapped to these explicitly."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.environment import ApiKey, Environment
from pimtasks.domain.environment_files import FileEntry, FolderPage
from pimtasks.domain.frequency import DEFAULT_TIMEZONE, Frequency
from pimtasks.domain.identifiers import EnvironmentId, FolderName
from pimtasks.domain.notification import Notification
from pimtasks.domain.run import Run, RunFile, RunSummary
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import AnySettings, TaskType

T = TypeVar("T")


class TaskOut(BaseModel):
    """A task as the API returns it."""
    model_config = ConfigDict(defer_build=True)

    task_id: str
    environment: str
    active: bool
    type: TaskType
    description: str
    frequency: Frequency
    sequence_no: int
    notification: Notification
    settings: AnySettings
    next_run_at: dt.datetime | None = Field(description="When the schedule fires next, with the zone's offset")
    last_run: RunSummary | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_task(cls, task: Task, *, next_run_at: dt.datetime | None) -> TaskOut:
        spec = task.spec
        return cls(task_id=task.task_id, environment=task.environment, active=spec.active, type=TaskType(spec.type),
                   description=spec.description, frequency=spec.frequency, sequence_no=spec.sequence_no,
                   notification=spec.notification, settings=spec.settings, next_run_at=next_run_at,
                   last_run=task.last_run, created_at=task.created_at, updated_at=task.updated_at)


class ItemList(BaseModel, Generic[T]):
    model_config = ConfigDict(defer_build=True)
    items: list[T]
    next_token: str | None = None


def file_href(environment: str, key: str, version_id: str | None = None) -> str:
    """The files API path that gives a download of ``key`` (each segment percent-encoded, ``/`` kept), of
    ``version_id`` when given."""
    query = f"?{urllib.parse.urlencode({'version_id': version_id})}" if version_id else ""
    return f"/environments/{environment}/files/{urllib.parse.quote(key, safe='/')}{query}"


class RunFileOut(RunFile):
    href: str = Field(description="GET this path (with the API key) for a presigned download of the file (of the "
                                  "version the run read, for an input)")


class RunOut(Run):
    """A run as the API returns it (the checkpoint is internal and never shown); each file with its link."""

    files: list[RunFileOut] = Field(default_factory=list)  # type: ignore[assignment]

    @classmethod
    def from_run(cls, run: Run) -> RunOut:
        shown = run.model_dump()
        shown["files"] = [{**file, "href": file_href(run.environment, file["key"], file["version_id"])}
                          for file in shown["files"]]
        return cls.model_validate(shown)


class FileOut(BaseModel):
    """A file of an environment."""

    key: str = Field(description="Relative to the environment, e.g. Reports/<import>/<run_id>/<file>.report.txt")
    size: int = Field(description="Bytes")
    last_modified: dt.datetime
    href: str = Field(description="GET this path (with the API key) for a presigned download")

    @classmethod
    def from_entry(cls, environment: str, entry: FileEntry) -> FileOut:
        return cls(key=entry.key, size=entry.size, last_modified=entry.last_modified,
                   href=file_href(environment, entry.key))


class FolderOut(BaseModel):
    """A page of a folder: its files and its subfolders (keys ending in /), in key order."""

    folder: str = Field(description="The folder listed, e.g. Reports/ (empty: the environment's folders)")
    items: list[FileOut]
    folders: list[str] = Field(description="Subfolders on this page; list one with folder=<it>")
    next_token: str | None = None

    @classmethod
    def from_page(cls, environment: str, page: FolderPage) -> FolderOut:
        return cls(folder=page.folder, items=[FileOut.from_entry(environment, f) for f in page.files],
                   folders=page.folders, next_token=page.next_token)


class DownloadOut(BaseModel):
    url: str = Field(description="GET the file's bytes from this URL before expires_at (no API key needed)")
    expires_at: dt.datetime
    key: str
    version_id: str | None = None
    size: int
    last_modified: dt.datetime


class EnvironmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    environment: EnvironmentId = Field(examples=["000002"])
    name: str = Field(min_length=1, max_length=200)
    timezone: str = DEFAULT_TIMEZONE


class EnvironmentOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    environment: str
    name: str
    timezone: str
    created_at: dt.datetime

    @classmethod
    def from_environment(cls, environment: Environment) -> EnvironmentOut:
        return cls.model_validate(environment.model_dump())


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    environments: list[EnvironmentId] = Field(default_factory=list)
    admin: bool = False
    description: str = Field(default="", max_length=200)


class ApiKeyOut(BaseModel):
    """A key without its secret."""
    model_config = ConfigDict(defer_build=True)

    key_id: str
    environments: list[str]
    admin: bool
    description: str
    created_at: dt.datetime

    @classmethod
    def from_key(cls, key: ApiKey) -> ApiKeyOut:
        return cls(key_id=key.key_id, environments=list(key.environments), admin=key.admin,
                   description=key.description, created_at=key.created_at)


class IssuedApiKeyOut(ApiKeyOut):
    api_key: str = Field(description="Shown once, at creation; only a hash is stored")


class SecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    value: str = Field(min_length=1, max_length=10_000, description="Write-only: never returned")


class SecretOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    name: str
    updated_at: str


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    import_name: FolderName = Field(description="The import (its folder under Uploads/)")
    file_name: str = Field(min_length=1, max_length=200)


class UploadOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    url: str = Field(description="PUT the file's bytes to this URL before expires_at")
    method: str
    key: str
    expires_at: dt.datetime


class HealthOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    status: str = Field(examples=["ok"])
