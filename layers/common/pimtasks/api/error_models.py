"""The body of every error answer (``ErrorOut``), apart from the other models: the error mapping is installed
at import and answers before any route group has loaded, so it must not import the domain with ``models``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    model_config = ConfigDict(defer_build=True)
    field: str
    message: str
    type: str | None = None


class ErrorOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    message: str
    errors: list[ErrorDetail] = Field(default_factory=list)
