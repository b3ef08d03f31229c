"""Lambda entry point of the REST API (routes live in ``pimtasks.api``)."""

import threading
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.api.app import resolver
from pimtasks.observability import lambda_handler

_ONE_EVENT_AT_A_TIME = threading.Lock()
"""Lambda gives an execution environment one event at a time, and the resolver keeps the event it serves on
itself (``resolver.current_event``). The local stack hosts this module
once for all its request threads: without the lock, concurrent requests read each other's event (a POST created
a task from another request's body). In Lambda the lock is never contended."""


# Replies carry one-time API keys and generated FTPS passwords: they stay out of the trace.
@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_REST, trace_payloads=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with _ONE_EVENT_AT_A_TIME:
        return resolver.resolve(event, context)
