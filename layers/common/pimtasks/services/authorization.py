"""The API Gateway authorizer's decision as an IAM policy.

The policy lists every resource the key may call (not just the one being called), so API Gateway can cache
it per key for all routes: ``*/environments/<env>`` and below for each bound environment, plus listing
environments and the catalog fields; an admin key gets everything.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from pimtasks.domain.environment import Principal
from pimtasks.services.feed_tokens import FeedReaderPrincipal


def api_arn_prefix(method_arn: str) -> str:
    """``arn:<partition>:execute-api:region:account:api-id/stage`` of a method ARN."""
    arn, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{arn}/{stage}"


def allowed_resources(principal: Principal, *, method_arn: str) -> list[str]:
    prefix = api_arn_prefix(method_arn)
    if principal.admin:
        return [f"{prefix}/*"]
    resources = [f"{prefix}/GET/environments", f"{prefix}/GET/catalog/fields"]
    for environment in principal.environments:
        resources += [f"{prefix}/*/environments/{environment}", f"{prefix}/*/environments/{environment}/*"]
    return resources


def authorizer_response(principal: Principal, *, method_arn: str) -> dict[str, Any]:
    """The REQUEST authorizer result: an Allow policy plus the context the API handler reads."""
    return {
        "principalId": principal.key_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow",
                           "Resource": allowed_resources(principal, method_arn=method_arn)}],
        },
        "context": {
            "key_id": principal.key_id,
            "environments": ",".join(principal.environments),
            "admin": "true" if principal.admin else "false",
        },
    }


FEED_RESOURCES = ("/feeds/{env}/{feed}", "/feeds/{env}/{feed}/file")


def feed_of(event: dict[str, Any]) -> tuple[str, str] | None:
    """(environment, feed) of a REQUEST authorizer event for a feed route; None for any other route."""
    if event.get("resource") not in FEED_RESOURCES:
        return None
    parameters = event.get("pathParameters") or {}
    environment, feed = parameters.get("env"), parameters.get("feed")
    if not environment or not feed:
        return None
    # API Gateway may hand path parameters over percent-encoded; feed names never hold a "%".
    return unquote(str(environment)), unquote(str(feed))


def feed_authorizer_response(reader: FeedReaderPrincipal, *, method_arn: str) -> dict[str, Any]:
    """Allow exactly this call (the feed authorizer caches nothing), with the feed in the context."""
    return {
        "principalId": f"feed:{reader.environment}/{reader.feed}",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [method_arn]}],
        },
        "context": {"feed_environment": reader.environment, "feed": reader.feed},
    }
