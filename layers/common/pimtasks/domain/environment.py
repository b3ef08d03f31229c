"""Environments (tenants) and the API keys bound to them."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.frequency import DEFAULT_TIMEZONE
from pimtasks.domain.identifiers import EnvironmentId


class Environment(BaseModel):
    """A tenant of the PIM. Everything (tasks, runs, files, catalog, secrets, users) is scoped to one."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    environment: EnvironmentId
    name: str = Field(min_length=1, max_length=200)
    timezone: str = DEFAULT_TIMEZONE
    created_at: dt.datetime


class ApiKey(BaseModel):
    """An API key as stored: only a hash of the secret, never the key itself."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    key_id: str
    key_hash: str
    environments: tuple[str, ...] = ()
    admin: bool = False
    description: str = ""
    created_at: dt.datetime

    def may_access(self, environment: str) -> bool:
        return self.admin or environment in self.environments


class Principal(BaseModel):
    """Who is calling the API, as established by the authorizer."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    key_id: str
    environments: tuple[str, ...] = ()
    admin: bool = False

    def may_access(self, environment: str) -> bool:
        return self.admin or environment in self.environments
