"""The API resolver: routes, validation, error mapping, OpenAPI and Swagger UI."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.openapi.compat import model_json
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, OpenAPI, Server

from pimtasks.api import (
    routes_admin,
    routes_catalog,
    routes_etim,
    routes_feeds,
    routes_fields,
    routes_files,
    routes_ftps,
    routes_invoices,
    routes_tasks,
)
from pimtasks.api.error_mapping import register_error_handlers
from pimtasks.api.operations import complete_routes, finish_document
from pimtasks.api.request_body import RequestValidation

TITLE = "pimtasks"
VERSION = "1.0.0"
DESCRIPTION = ("Periodic tasks of a PIM: define imports and exports per environment, schedule them, start and "
               "stop them, read their runs. Every call except /health needs an `x-api-key` bound to the "
               "environment; the feeds under /feeds need the feed's token instead (Authorization: Bearer). An "
               "import's custom layout maps file columns to catalog fields: GET /catalog/fields lists them per "
               "target, with their types, meanings and rules.")
SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": APIKey(name="x-api-key", **{"in": APIKeyIn.header}),
    "feedToken": HTTPBearer(bearerFormat="pft_…", description="A feed's token (POST /environments/{env}/feeds/"
                                                             "{feed}/token); it reads that one feed only"),
}
GREEDY_PARAMETERS = ("record_id", "file_key")
"""Path parameters that take the rest of the path, slashes included (API Gateway's ``{record_id+}``): an
article number may hold ``/``, a file's key (relative to its environment) has folders; API Gateway hands
``%2F`` over decoded."""

SERVERS = [Server(url="/", description=(
    "The origin the document came from: the local stack (make run) and the console's CloudFront URL serve the "
    "API at the root. On API Gateway's own URL (https://<id>.execute-api.<region>.amazonaws.com/<stage>) the "
    "routes are under /<stage>; the Swagger UI at /docs names the right one by itself."))]


class PimtasksResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with validation, reading requests by this API's rules (``request_body``)."""

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        # Powertools puts this middleware first in every route's chain; ours reads bodies and paths strictly
        # and otherwise validates exactly as Powertools does.
        self._request_validation_middleware = RequestValidation()

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
        """Every route of the API (those of the included routers too)."""
        return self._static_routes + self._dynamic_routes

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        """Powertools' document, with what ``operations`` derives for every route."""
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


resolver = PimtasksResolver()
resolver.include_router(routes_admin.router)
resolver.include_router(routes_tasks.router)
resolver.include_router(routes_ftps.router)
resolver.include_router(routes_etim.router)
resolver.include_router(routes_catalog.router)
resolver.include_router(routes_fields.router)
resolver.include_router(routes_invoices.router)
resolver.include_router(routes_files.router)
resolver.include_router(routes_feeds.router)
register_error_handlers(resolver)
resolver.enable_swagger(path="/docs", title=TITLE, version=VERSION, description=DESCRIPTION,
                        security_schemes=SECURITY_SCHEMES, security=[{"apiKey": []}], persist_authorization=True)


def openapi_json() -> str:
    """The OpenAPI document, as checked in at ``openapi.json``."""
    return resolver.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION,
                                            servers=SERVERS, security_schemes=SECURITY_SCHEMES,
                                            security=[{"apiKey": []}])


@resolver.get("/openapi.json", include_in_schema=False)
def _openapi_document() -> Any:
    return json.loads(openapi_json())
