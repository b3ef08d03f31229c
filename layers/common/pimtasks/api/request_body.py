"""How the API reads a request before validating it: JSON bodies only, UTF-8, bounded nesting, and a path
without control characters.

Powertools' request validation reads bodies of several media types and lets some malformed ones escape as
exceptions (a ``multipart/form-data`` without a boundary, a body that is not UTF-8, JSON nested deeper than
the interpreter's recursion limit); in Lambda an escaped exception is a failed invocation, which API Gateway
answers with a 502. Its route regex also ends in ``$``, which matches before a trailing newline, so
``/tasks/<id>%0A`` reached the route as ``<id>``. ``RequestValidation`` replaces those two steps, and every
problem becomes a ``BadRequestError`` (400) or ``UnsupportedMediaTypeError`` (415) that ``error_mapping``
answers in the API's error format.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.types import EventHandlerInstance

from pimtasks.errors import ValidationFailedError

JSON = "application/json"
MERGE_PATCH_JSON = "application/merge-patch+json"
MAX_JSON_DEPTH = 32
"""Deeper than any task definition (settings.layout.columns[].replace is 5 levels)."""

_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class BadRequestError(Exception):
    """The request cannot be read at all (its body is not JSON, not UTF-8, or nested too deeply)."""

    def __init__(self, message: str, *, field: str = "body") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class UnsupportedMediaTypeError(Exception):
    """The body's media type is not one the operation takes."""

    def __init__(self, media_type: str, accepted: tuple[str, ...]) -> None:
        super().__init__(f"Unsupported content type {media_type!r}: send {' or '.join(accepted)}")
        self.media_type = media_type
        self.accepted = accepted


def accepted_media_types(declared: str) -> tuple[str, ...]:
    """What a body declared as ``declared`` may be sent as: JSON always, and the declared ``+json`` type."""
    return (JSON,) if declared == JSON else (declared, JSON)


def media_type_of(content_type: str) -> str:
    """``application/json; charset=utf-8`` -> ``application/json`` (case-insensitive, parameters dropped)."""
    return content_type.split(";", 1)[0].strip().lower()


def read_json_body(*, body: str | None, is_base64: bool, media_type: str, accepted: tuple[str, ...]) -> Any:
    """The JSON value of a request body (None when empty), or ``BadRequestError``/``UnsupportedMediaTypeError``."""
    if media_type and media_type not in accepted:
        raise UnsupportedMediaTypeError(media_type, accepted)
    if not body:
        return None
    raw = _bytes_of(body, is_base64=is_base64)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"The body is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") \
            from exc
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise BadRequestError(f"The body's JSON is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
            from exc
    except ValueError as exc:  # a number the parser refuses (an integer of more than 4,300 digits)
        raise BadRequestError(f"The body's JSON holds a value that cannot be read: {exc}") from exc
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise BadRequestError(f"The body's JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _bytes_of(body: str, *, is_base64: bool) -> bytes:
    if not is_base64:
        # Text as API Gateway handed it over; a lone surrogate (no UTF-8 text has one) fails the decoding below.
        return body.encode("utf-8", errors="surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError("The body is marked base64-encoded but is not base64") from exc


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests arrays/objects more than ``limit`` levels deep (iterative: no recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                pending.append((child, depth + 1))
    return False


class RequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation with this API's reading rules (see the module docstring)."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response:
        path = app.current_event.path
        if _CONTROL_CHARACTER.search(path):
            # A 422 like any other malformed path parameter: no id or name contains a control character.
            raise ValidationFailedError(field="path", message="must not contain control characters (such as %0A)")
        return super().handler(app, next_middleware)

    def _get_body(self, app: EventHandlerInstance) -> Any:
        route = app.context["_route"]
        declared = getattr(route.dependant.body_params[0].field_info, "media_type", JSON)
        event = app.current_event
        return read_json_body(body=event.body, is_base64=bool(event.is_base64_encoded),
                              media_type=media_type_of(event.headers.get("content-type", "")),
                              accepted=accepted_media_types(declared))
