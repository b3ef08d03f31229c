"""Who is calling: the principal the authorizer established, and the access checks every route makes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pimtasks.domain.environment import Principal
from pimtasks.errors import AuthenticationError
from pimtasks.services.access import require_admin, require_environment_access


def principal_of(router: BaseRouter) -> Principal:
    """The caller, from the authorizer context API Gateway (or the local API) put into the event."""
    request_context: dict[str, Any] = router.current_event.raw_event.get("requestContext") or {}
    authorizer: dict[str, Any] = request_context.get("authorizer") or {}
    key_id = authorizer.get("key_id") or authorizer.get("principalId")
    if not key_id:
        raise AuthenticationError("no authorizer context")
    environments = tuple(e for e in str(authorizer.get("environments", "")).split(",") if e)
    return Principal(key_id=str(key_id), environments=environments, admin=str(authorizer.get("admin")) == "true")


def feed_reader_caller(router: BaseRouter, environment: str, feed: str) -> None:
    """Defence in depth behind the feed-token authorizer: its context must name this very feed."""
    request_context: dict[str, Any] = router.current_event.raw_event.get("requestContext") or {}
    authorizer: dict[str, Any] = request_context.get("authorizer") or {}
    if authorizer.get("feed_environment") != environment or authorizer.get("feed") != feed:
        raise AuthenticationError("the feed token is not this feed's")


def environment_caller(router: BaseRouter, environment: str) -> Principal:
    principal = principal_of(router)
    require_environment_access(principal, environment)
    return principal


def admin_caller(router: BaseRouter) -> Principal:
    principal = principal_of(router)
    require_admin(principal)
    return principal


def decoded_path_parameter(router: APIGatewayRouter, name: str, matched: str) -> str:
    """A greedy path parameter as the client meant it. API Gateway's REST proxy events keep the request path
    percent-encoded (where the route is matched) and hand the ``{name+}`` parameter over decoded in
    ``pathParameters``: that one is the value (``%2E%2E`` in the URL is the ``..`` it stands for). The local
    gateway decodes both alike."""
    return str((router.current_event.path_parameters or {}).get(name) or matched)
