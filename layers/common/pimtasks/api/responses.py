"""What the routes share: the environment path parameter, JSON responses with a status, and the OpenAPI
declarations of the status codes a route really returns."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from pimtasks.api.models import ErrorOut
from pimtasks.domain.identifiers import ENVIRONMENT_PATTERN

EnvPath = Annotated[str, Path(pattern=ENVIRONMENT_PATTERN, description="Environment number, e.g. 000001")]


def json_response(status: int, body: Any) -> Response[Any]:
    """``body`` (a model or plain data) as JSON with ``status`` (for the non-200 successes)."""
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


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
