"""API Gateway REQUEST authorizer: an ``x-api-key`` in, a policy scoped to the key's environments out."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.errors import AuthenticationError
from pimtasks.observability import lambda_handler
from pimtasks.services.authorization import authorizer_response
from pimtasks.wiring import access_service


# It handles raw API keys: its answers and errors stay out of the trace.
@lambda_handler(trace_payloads=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        principal = access_service().authenticate(headers.get("x-api-key"))
    except AuthenticationError:
        # API Gateway turns exactly this message into a 401.
        raise Exception("Unauthorized") from None
    return authorizer_response(principal, method_arn=event["methodArn"])
