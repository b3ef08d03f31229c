"""What every operation of the OpenAPI document has, derived from the route so a new route gets it by default.

A route author writes ``@router.<method>(path, summary=..., tags=..., responses=responses(...))``, a docstring
(or ``description=``) saying what the operation does, and ``openapi_examples`` on a request body. From that:

- **operationId**: the handler's name in camelCase (``list_tasks`` -> ``listTasks``) unless one is given;
- **description**: ``description=`` or else the handler's docstring;
- **error responses**: every route with an API key gets 401 and 403 (``ErrorOut``), 404 only when its path
  has a parameter (an id that can be unknown), 422 (``ErrorOut``, never Powertools' ``HTTPValidationError``),
  400 and 415 when it takes a body; 409 is the author's (``CONFLICT``), because only the service knows;
- **no key**: ``security=[{}]`` on a route becomes ``security: []`` in the document (no key at all);
- **no body**: a response without a model (204) has no ``content``.

``missing_metadata(routes)`` names what a route still lacks (a description, examples of its request body): the
document's generator (``python -m pimtasks_local.openapi``, run by ``make lint``) fails on it, and so does a
unit test, so a route cannot land undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Route

from pimtasks.api.responses import BODY_ERRORS, ERRORS

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_REF = "#/components/schemas/"


def operation_id(handler_name: str) -> str:
    """``start_task`` -> ``startTask``."""
    first, *rest = handler_name.strip("_").split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _is_public(route: Route) -> bool:
    return route.security == [{}]


def _takes_body(route: Route) -> bool:
    return route.method.upper() in _BODY_METHODS and route.body_field is not None


def _description(route: Route) -> str | None:
    if route.description:
        return route.description
    doc = (route.func.__doc__ or "").strip()
    return " ".join(doc.split()) or None


def _error_responses(route: Route) -> dict[int, Any]:
    """The error responses the route's shape implies (see the module docstring)."""
    if _is_public(route):
        return {}
    declared = dict(ERRORS)
    if "{" not in route.openapi_path:  # no path parameter: no id that could be unknown
        declared.pop(404)
    if _takes_body(route):
        declared.update(BODY_ERRORS)
    return declared


def complete_routes(routes: Iterable[Route]) -> None:
    """Give every route its operationId, description and error responses (idempotent)."""
    for route in routes:
        if route.operation_id == route._generate_operation_id():
            route.operation_id = operation_id(route.func.__name__)
        route.description = _description(route)
        if route.responses is not None:
            declared = dict(route.responses)
            if "{" not in route.openapi_path and declared.get(404) is ERRORS[404]:
                del declared[404]  # the generic "unknown id" of a path without ids
            route.responses = {**_error_responses(route), **declared}


def missing_metadata(routes: Iterable[Route]) -> list[str]:
    """What the routes lack for the document: ``["GET /x: no description", ...]`` (empty when complete)."""
    problems = []
    for route in routes:
        if not route.include_in_schema:
            continue
        name = f"{route.method.upper()} {route.openapi_path}"
        if not _description(route):
            problems.append(f"{name}: no description (give the handler a docstring or description=)")
        if route.responses is None or not any(code < 400 for code in route.responses):
            problems.append(f"{name}: no success response (responses=responses(...))")
        body = route.body_field if _takes_body(route) else None
        if body is not None and not getattr(body.field_info, "openapi_examples", None):
            problems.append(f"{name}: its request body has no examples (Body(openapi_examples=...))")
    return problems


def _operations(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for path_item in (document.get("paths") or {}).values():
        yield from path_item.values()


def _referenced(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            found.add(ref.removeprefix(_REF))
        for value in node.values():
            _referenced(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, found)


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    """Powertools adds its own validation error schemas; the API never sends them (``ErrorOut`` instead)."""
    schemas: dict[str, Any] = (document.get("components") or {}).get("schemas") or {}
    used: set[str] = set()
    _referenced(document.get("paths"), used)
    pending = list(used)
    while pending:  # schemas referenced by used schemas
        found: set[str] = set()
        _referenced(schemas.get(pending.pop()), found)
        pending.extend(found - used)
        used |= found
    for name in [n for n in schemas if n not in used]:
        del schemas[name]


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """The generated document as this API really behaves (see the module docstring); changed in place."""
    for operation in _operations(document):
        if operation.get("security") == [{}]:
            operation["security"] = []
        for response in (operation.get("responses") or {}).values():
            if response.get("content") == {}:
                del response["content"]
    _drop_unreferenced_schemas(document)
    return document


_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def is_readable_operation_id(value: str) -> bool:
    """``listTasks`` yes, ``list_tasks_environments__env__tasks_get`` no."""
    return bool(_CAMEL.match(value))
