"""Lambda entry point of the REST API (routes live in ``pimtasks.api``)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.api.app import resolver
from pimtasks.observability import lambda_handler


# Replies carry one-time API keys and generated FTPS passwords: they stay out of the trace.
@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_REST, trace_payloads=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver.resolve(event, context)
