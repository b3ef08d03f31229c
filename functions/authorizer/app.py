"""API Gateway REQUEST authorizer: an ``x-api-key`` in, a policy scoped to the key's environments out; on the
feed routes (``/feeds/{env}/{feed}``) a feed token in, a policy for exactly that call out."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.errors import AuthenticationError
from pimtasks.observability import lambda_handler
from pimtasks.services.authorization import authorizer_response, feed_authorizer_response, feed_of
from pimtasks.wiring import access_service, feed_token_service


# It handles raw API keys and feed tokens: its answers and errors stay out of the trace.
@lambda_handler(trace_payloads=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    feed = feed_of(event)
    try:
        if feed is not None:
            reader = feed_token_service().authenticate(environment=feed[0], feed=feed[1],
                                                       authorization=headers.get("authorization"))
            return feed_authorizer_response(reader, method_arn=event["methodArn"])
        principal = access_service().authenticate(headers.get("x-api-key"))
    except AuthenticationError:
        # API Gateway turns exactly this message into a 401.
        raise Exception("Unauthorized") from None
    return authorizer_response(principal, method_arn=event["methodArn"])
