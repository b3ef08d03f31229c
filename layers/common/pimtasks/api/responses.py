"""OpenAPI response declarations shared by the routes (status codes a route really returns)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from pimtasks.api.models import ErrorOut


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": ErrorOut}}}


ERRORS: dict[int, Any] = {
    401: _error("No or unknown API key"),
    403: _error("The API key is not bound to this environment"),
    404: _error("Unknown id"),
    422: _error("Invalid input: the offending field and a readable message"),
}


def responses(status: int, model: type[BaseModel] | None, description: str, *extra: int) -> dict[int, Any]:
    """The success response plus the error responses every protected route can give (and ``extra`` ones)."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {"application/json": {"model": model}}
    declared = {status: success, **ERRORS}
    for code in extra:
        declared[code] = _error({409: "Conflicts with the current state"}.get(code, "Error"))
    return declared
