"""What the routes share: the environment path parameter, JSON responses with a status, and the OpenAPI
declarations of the status codes a route really returns."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from pimtasks.api.error_models import ErrorOut
from pimtasks.domain.identifiers import ENVIRONMENT_PATTERN

EnvPath = Annotated[str, Path(pattern=ENVIRONMENT_PATTERN, description="Environment number, e.g. 000001")]


def json_response(status: int, body: Any) -> Response[Any]:
    """``body`` (a model or plain data) as JSON with ``status`` (for the non-200 successes)."""
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": ErrorOut}}}


ERRORS: dict[int, Any] = {
    401: _error("No or unknown API key"),
    403: _error("The API key is not bound to this environment (or the operation needs an admin key)"),
    404: _error("Unknown id"),
    422: _error("Invalid input: the offending field and a readable message"),
}
BODY_ERRORS: dict[int, Any] = {
    400: _error("The body cannot be read: not JSON, not UTF-8, or nested too deeply"),
    415: _error("The body's Content-Type is not one the operation takes (application/json)"),
}
CONFLICT = 409
BAD_KEY = 400
_EXTRA = {CONFLICT: "Conflicts with the current state",
          BAD_KEY: "A key that cannot name a file of the environment (., .., empty segments, absolute, backslash)"}


def responses(status: int, model: type[BaseModel] | None, description: str, *extra: int,
              body: bool = False) -> dict[int, Any]:
    """The success response plus the error responses every protected route can give: those of a request
    body when the route takes one (``body``), and ``extra`` ones (``CONFLICT``, ``BAD_KEY``)."""
    # No model: no body (Powertools would otherwise declare the return annotation's JSON null).
    success: dict[str, Any] = {"description": description, "content": {}}
    if model is not None:
        success["content"] = {"application/json": {"model": model}}
    declared = {status: success, **ERRORS, **(BODY_ERRORS if body else {})}
    for code in extra:
        declared[code] = _error(_EXTRA.get(code, "Error"))
    return declared


def public_responses(model: type[BaseModel], description: str) -> dict[int, Any]:
    """A route without an API key: its success, and the 422 of a malformed path."""
    return {200: {"description": description, "content": {"application/json": {"model": model}}}, 422: ERRORS[422]}
