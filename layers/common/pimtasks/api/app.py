"""The API resolver: routes, validation, error mapping, OpenAPI and Swagger UI."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

from pimtasks.api import routes_admin, routes_etim, routes_feeds, routes_ftps, routes_tasks
from pimtasks.api.error_mapping import register_error_handlers
from pimtasks.api.request_body import RequestValidation

TITLE = "pimtasks"
VERSION = "1.0.0"
DESCRIPTION = ("Periodic tasks of a PIM: define imports and exports per environment, schedule them, start and "
               "stop them, read their runs. Every call except /health needs an `x-api-key` bound to the "
               "environment; the feeds under /feeds need the feed's token instead (Authorization: Bearer).")
SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": APIKey(name="x-api-key", **{"in": APIKeyIn.header}),
    "feedToken": HTTPBearer(bearerFormat="pft_…", description="A feed's token (POST /environments/{env}/feeds/"
                                                             "{feed}/token); it reads that one feed only"),
}



class PimtasksResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with validation, reading requests by this API's rules (``request_body``)."""

    def __init__(self) -> None:
        super().__init__(enable_validation=True)
        # Powertools puts this middleware first in every route's chain; ours reads bodies and paths strictly
        # and otherwise validates exactly as Powertools does.
        self._request_validation_middleware = RequestValidation()


resolver = PimtasksResolver()
resolver.include_router(routes_admin.router)
resolver.include_router(routes_tasks.router)
resolver.include_router(routes_ftps.router)
resolver.include_router(routes_etim.router)
resolver.include_router(routes_feeds.router)
register_error_handlers(resolver)
resolver.enable_swagger(path="/docs", title=TITLE, version=VERSION, description=DESCRIPTION,
                        security_schemes=SECURITY_SCHEMES, security=[{"apiKey": []}], persist_authorization=True)


def openapi_json() -> str:
    """The OpenAPI document, as checked in at ``openapi.json``."""
    return resolver.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION,
                                            security_schemes=SECURITY_SCHEMES, security=[{"apiKey": []}])


@resolver.get("/openapi.json", include_in_schema=False)
def _openapi_document() -> Any:
    import json

    return json.loads(openapi_json())
