"""Domain errors and validation errors to HTTP responses, in one place (STYLE §7)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from pimtasks.api.error_models import ErrorDetail, ErrorOut
from pimtasks.api.request_body import BadRequestError, UnsupportedMediaTypeError
from pimtasks.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    GoneError,
    InvalidFileKeyError,
    NotFoundError,
    ValidationFailedError,
)

_LOCATION_ROOTS = {"body", "query", "path", "header"}


@lru_cache(maxsize=1)
def _union_tags() -> frozenset[str]:
    """Union tags pydantic puts into error locations; a user knows the field, not the tag.

    Read at the first validation error, not at import: the mapping is installed before any route group loads
    (``pimtasks.api.app``), and the task types and frequencies are the domain's models.
    """
    from pimtasks.domain.frequency import FREQUENCY_KINDS
    from pimtasks.domain.task_types import TaskType

    return frozenset({t.value for t in TaskType} | set(FREQUENCY_KINDS))


def field_of(location: Sequence[Any]) -> str:
    """``('body', 'import', 'settings', 'import_name')`` -> ``settings.import_name``."""
    parts = [str(p) for i, p in enumerate(location) if not (i == 0 and p in _LOCATION_ROOTS)]
    parts = [p for p in parts if p not in _union_tags() and "[" not in p]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "union_tag_invalid":
        context = error.get("ctx") or {}
        return (f"unknown {context.get('discriminator', 'type').strip(chr(39))} {context.get('tag')!r}; "
                f"valid: {context.get('expected_tags')}")
    if error.get("type") == "union_tag_not_found":
        return f"{(error.get('ctx') or {}).get('discriminator', 'type').strip(chr(39))} is required"
    return str(error.get("msg") or error.get("type") or "invalid")


def _field(error: dict[str, Any]) -> str:
    field = field_of(error.get("loc", ()))
    if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        tag = str((error.get("ctx") or {}).get("discriminator", "type")).strip("'")
        return f"{field}.{tag}" if field != "body" else tag
    return field


def validation_response(errors: Sequence[dict[str, Any]]) -> Response:
    details = [ErrorDetail(field=_field(e), message=_message(e), type=e.get("type")) for e in errors]
    summary = "; ".join(f"{d.field}: {d.message}" for d in details[:5])
    return _json(HTTPStatus.UNPROCESSABLE_ENTITY, ErrorOut(message=f"Invalid request: {summary}", errors=details))


def _json(status: HTTPStatus, body: ErrorOut) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps(body.model_dump(exclude_none=True)))


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    """Install one handler per error family on the resolver."""

    @app.exception_handler(RequestValidationError)
    def _request_validation(exc: RequestValidationError) -> Response:
        return validation_response(list(exc.errors()))

    @app.exception_handler(ValidationError)
    def _model_validation(exc: ValidationError) -> Response:
        return validation_response([dict(e) for e in exc.errors()])

    @app.exception_handler(ValidationFailedError)
    def _business_validation(exc: ValidationFailedError) -> Response:
        details = [ErrorDetail(field=problem.field, message=problem.message, type=problem.type)
                   for problem in exc.problems]
        if len(details) == 1:
            message = f"Invalid request: {exc.field}: {exc.message}"
        else:
            message = f"Invalid request: {len(details)} problems: " + "; ".join(d.field for d in details)
        return _json(HTTPStatus.UNPROCESSABLE_ENTITY, ErrorOut(message=message, errors=details))

    @app.exception_handler(InvalidFileKeyError)
    def _bad_file_key(exc: InvalidFileKeyError) -> Response:
        detail = ErrorDetail(field=exc.field, message=exc.message, type="invalid_key")
        return _json(HTTPStatus.BAD_REQUEST, ErrorOut(message=f"Bad request: {exc.field}: {exc.message}",
                                                      errors=[detail]))

    @app.exception_handler(BadRequestError)
    def _bad_request(exc: BadRequestError) -> Response:
        detail = ErrorDetail(field=exc.field, message=exc.message, type="body_unreadable")
        return _json(HTTPStatus.BAD_REQUEST, ErrorOut(message=exc.message, errors=[detail]))

    @app.exception_handler(UnsupportedMediaTypeError)
    def _unsupported_media_type(exc: UnsupportedMediaTypeError) -> Response:
        detail = ErrorDetail(field="content-type", message=str(exc), type="unsupported_media_type")
        return _json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, ErrorOut(message=str(exc), errors=[detail]))

    @app.exception_handler(NotFoundError)
    def _not_found(exc: NotFoundError) -> Response:
        return _json(HTTPStatus.NOT_FOUND, ErrorOut(message=str(exc)))

    @app.exception_handler(GoneError)
    def _gone(exc: GoneError) -> Response:
        return _json(HTTPStatus.GONE, ErrorOut(message=str(exc)))

    @app.not_found
    def _no_route(exc: RouteNotFoundError) -> Response:
        event = app.current_event
        return _json(HTTPStatus.NOT_FOUND, ErrorOut(message=f"No route for {event.http_method} {event.path}"))

    @app.exception_handler(ConflictError)
    def _conflict(exc: ConflictError) -> Response:
        return _json(HTTPStatus.CONFLICT, ErrorOut(message=str(exc)))

    @app.exception_handler(AccessDeniedError)
    def _forbidden(exc: AccessDeniedError) -> Response:
        return _json(HTTPStatus.FORBIDDEN, ErrorOut(message=str(exc)))

    @app.exception_handler(AuthenticationError)
    def _unauthorized(exc: AuthenticationError) -> Response:
        return _json(HTTPStatus.UNAUTHORIZED, ErrorOut(message="Unauthorized"))
