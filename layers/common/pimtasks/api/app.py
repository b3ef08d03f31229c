"""The API resolver: routes, validation, error mapping, OpenAPI and Swagger UI.

Cold start: importing this module registers no route. The routes come in *groups* (one ``routes_*`` module
each, with the models, domain and services it imports), and a group is included when a request first needs
it: ``ROUTE_GROUPS`` names each group by the resource segment of its paths (``route_key``), so a function
that serves ``/environments/{env}/tasks`` never loads the ETIM or invoice models. The Swagger UI and the
document (Powertools' OpenAPI models, about half an ``import boto3`` by themselves) are the ``docs`` group;
the document, ``routes`` and ``/docs`` load every group. Every path a route matches has that route's key
(``tests/unit/core/test_route_groups.py``), so a request sees exactly the routes it would see with all loaded.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder, Route

from pimtasks.api.error_mapping import register_error_handlers
from pimtasks.api.request_body import RequestValidation

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI, SecurityScheme, Server

TITLE = "pimtasks"
VERSION = "1.0.0"
DESCRIPTION = ("Periodic tasks of a PIM: define imports and exports per environment, schedule them, start and "
               "stop them, read their runs. Every call except /health needs an `x-api-key` bound to the "
               "environment; the feeds under /feeds need the feed's token instead (Authorization: Bearer). An "
               "import's custom layout maps file columns to catalog fields: GET /catalog/fields lists them per "
               "target, with their types, meanings and rules.")


def security_schemes() -> dict[str, SecurityScheme]:
    """The document's security schemes (OpenAPI models: built for the document only)."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

    return {
        "apiKey": APIKey(name="x-api-key", **{"in": APIKeyIn.header}),
        "feedToken": HTTPBearer(bearerFormat="pft_…", description="A feed's token (POST /environments/{env}/"
                                                                 "feeds/{feed}/token); it reads that one feed only"),
    }


GREEDY_PARAMETERS = ("record_id", "file_key")
"""Path parameters that take the rest of the path, slashes included (API Gateway's ``{record_id+}``): an
article number may hold ``/``, a file's key (relative to its environment) has folders; API Gateway hands
``%2F`` over decoded."""


def servers() -> list[Server]:
    """The checked-in document's servers (the Swagger UI at /docs names the caller's own)."""
    from aws_lambda_powertools.event_handler.openapi.models import Server

    return [Server(url="/", description=(
        "The origin the document came from: the local stack (make run) and the console's CloudFront URL serve "
        "the API at the root. On API Gateway's own URL (https://<id>.execute-api.<region>.amazonaws.com/<stage>) "
        "the routes are under /<stage>; the Swagger UI at /docs names the right one by itself."))]


RouteGroupLoader = Callable[["PimtasksResolver"], None]
"""Registers one group's routes on the resolver."""


def route_key(path: str) -> str:
    """The resource a path (or a route's rule) names: ``tasks`` of ``/environments/<env>/tasks/<task_id>``
    (as ``environments/tasks``), ``feeds`` of ``/feeds/<env>/<feed>``; what ``ROUTE_GROUPS`` is keyed by."""
    segments = path.strip("/").split("/")
    if segments[0] == "environments" and len(segments) >= 3:
        return f"environments/{segments[2]}"
    return segments[0]


class PimtasksResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with validation, reading requests by this API's rules (``request_body``), and
    with its routes in groups loaded on first use (``route_groups``: name to loader, in registration order;
    ``group_keys``: ``route_key`` to group name). Without groups it is Powertools' resolver as it is."""

    def __init__(self, route_groups: Mapping[str, RouteGroupLoader] | None = None,
                 group_keys: Mapping[str, str] | None = None) -> None:
        super().__init__(enable_validation=True)
        # Powertools puts this middleware first in every route's chain; ours reads bodies and paths strictly
        # and otherwise validates exactly as Powertools does.
        self._request_validation_middleware = RequestValidation()
        self._route_groups = dict(route_groups or {})
        self._group_keys = dict(group_keys or {})
        self._loaded_groups: set[str] = set()
        self._route_rank: dict[int, int] = {}
        # The local stack serves several requests at once from this one resolver.
        self._groups_lock = threading.RLock()

    def load_route_groups(self, *names: str) -> None:
        """Includes the named groups that are not yet included; routes stay in the groups' order (so matching
        and the document do not depend on which requests came first)."""
        if self._loaded_groups.issuperset(names):
            return
        with self._groups_lock:
            for name in names:
                if name not in self._loaded_groups:
                    self._load_group(name)

    def load_all_route_groups(self) -> None:
        self.load_route_groups(*self._route_groups)

    def _load_group(self, name: str) -> None:
        known = {id(route) for route in self._static_routes + self._dynamic_routes}
        self._route_groups[name](self)
        rank = list(self._route_groups).index(name)
        for route in self._static_routes + self._dynamic_routes:
            if id(route) not in known:
                self._route_rank[id(route)] = rank
        # Stable: within a group, registration order; routes included by hand (no group) first. Sorted copies,
        # so a request matching meanwhile never sees a list that ``sort`` has emptied for the time being.
        self._static_routes = sorted(self._static_routes, key=lambda route: self._route_rank.get(id(route), -1))
        self._dynamic_routes = sorted(self._dynamic_routes, key=lambda route: self._route_rank.get(id(route), -1))
        self._loaded_groups.add(name)

    def _resolve(self) -> ResponseBuilder:
        """Powertools' routing, after including the group the request's path belongs to (if any: a path of
        no group matches no route, and gets the API's 404)."""
        group = self._group_keys.get(route_key(self._remove_prefix(self.current_event.path)))
        if group is not None:
            self.load_route_groups(group)
        return super()._resolve()

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$") -> re.Pattern[str]:
        """Powertools' route regex, with a ``GREEDY_PARAMETERS`` placeholder at the end matching the rest."""
        for name in GREEDY_PARAMETERS:
            placeholder = f"<{name}>"
            if rule.endswith(placeholder):
                compiled = APIGatewayRestResolver._compile_regex(rule[:-len(placeholder)])
                prefix = compiled.pattern.removeprefix("^").removesuffix("/*$")
                return re.compile(base_regex.format(f"{prefix}(?P<{name}>.+)"))
        return APIGatewayRestResolver._compile_regex(rule)

    @property
    def routes(self) -> list[Route]:
        """Every route of the API (those of the included routers too; every group loaded)."""
        self.load_all_route_groups()
        return self._static_routes + self._dynamic_routes

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        """Powertools' document of every route, with what ``operations`` derives for each."""
        from aws_lambda_powertools.event_handler.openapi.compat import model_json
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        from pimtasks.api.operations import complete_routes, finish_document

        complete_routes(self.routes)
        schema = super().get_openapi_schema(**kwargs)
        document = json.loads(model_json(schema, by_alias=True, exclude_none=True))
        return OpenAPI.model_validate(finish_document(document))

    def _get_base_path(self) -> str:
        """The prefix before the routes in the caller's URL (the Swagger UI's server, so "Try it out" works).

        Only a request to API Gateway's own execute-api host has the stage in its path. The local stack and
        the console's CloudFront distribution (whose origin path adds the stage, and which marks every origin
        request with X-Amz-Cf-Id; the API is REGIONAL, so a direct call has none) serve the API at the root.
        """
        event = self.current_event
        host = str(event.request_context.domain_name or "")
        headers = {name.lower() for name in (event.headers or {})}
        if ".execute-api." not in host or "x-amz-cf-id" in headers:
            return ""
        return super()._get_base_path()


def openapi_json() -> str:
    """The OpenAPI document, as checked in at ``openapi.json``."""
    return resolver.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION,
                                            servers=servers(), security_schemes=security_schemes(),
                                            security=[{"apiKey": []}])


def _openapi_document() -> Any:
    return json.loads(openapi_json())


def _routes_of(module: str) -> RouteGroupLoader:
    def include(app: PimtasksResolver) -> None:
        app.include_router(importlib.import_module(f"pimtasks.api.{module}").router)

    return include


def _docs(app: PimtasksResolver) -> None:
    """The Swagger UI at /docs and the document at /openapi.json."""
    app.enable_swagger(path="/docs", title=TITLE, version=VERSION, description=DESCRIPTION,
                       security_schemes=security_schemes(), security=[{"apiKey": []}], persist_authorization=True)
    app.get("/openapi.json", include_in_schema=False)(_openapi_document)


ROUTE_GROUP_LOADERS: dict[str, RouteGroupLoader] = {
    **{name: _routes_of(name) for name in ("routes_admin", "routes_tasks", "routes_ftps", "routes_etim",
                                           "routes_catalog", "routes_fields", "routes_invoices", "routes_files",
                                           "routes_feeds")},
    "docs": _docs,
}
"""Every group, in the order its routes are registered (the order they were included in before groups)."""

ROUTE_GROUPS: dict[str, str] = {
    "health": "routes_admin", "environments": "routes_admin", "api-keys": "routes_admin",
    "environments/secrets": "routes_admin", "environments/uploads": "routes_admin",
    "environments/tasks": "routes_tasks", "environments/runs": "routes_tasks",
    "environments/ftps-users": "routes_ftps",
    "environments/etim": "routes_etim",
    "environments/catalog": "routes_catalog",
    "catalog": "routes_fields",
    "environments/invoices": "routes_invoices",
    "environments/files": "routes_files",
    "environments/feeds": "routes_feeds", "feeds": "routes_feeds",
    "docs": "docs", "openapi.json": "docs",
}
"""``route_key`` of a path -> the group whose routes that path can match (a new resource needs its line)."""

resolver = PimtasksResolver(ROUTE_GROUP_LOADERS, ROUTE_GROUPS)
register_error_handlers(resolver)
