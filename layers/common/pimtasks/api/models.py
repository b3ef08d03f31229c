"""API request and response models (the HTTP edge). Domain objects are mapped to these explicitly."""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.environment import ApiKey, Environment
from pimtasks.domain.frequency import DEFAULT_TIMEZONE, Frequency
from pimtasks.domain.identifiers import EnvironmentId, FolderName
from pimtasks.domain.notification import Notification
from pimtasks.domain.run import Run, RunSummary
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


class RunOut(Run):
    """A run as the API returns it (the checkpoint is internal and never shown)."""

    @classmethod
    def from_run(cls, run: Run) -> RunOut:
        return cls.model_validate(run.model_dump())


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


class ErrorDetail(BaseModel):
    model_config = ConfigDict(defer_build=True)
    field: str
    message: str
    type: str | None = None


class ErrorOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    message: str
    errors: list[ErrorDetail] = Field(default_factory=list)
