"""Runs every minute: ends runs whose heartbeat stopped, so nothing stays "running" forever (a bounded share
of the active runs per invocation, within the invocation's remaining time; the next one continues)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.observability import lambda_handler
from pimtasks.wiring import run_sweeper


@lambda_handler()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_sweeper().sweep(remaining_ms=context.get_remaining_time_in_millis)
    return {"swept": report.swept, "pages": report.pages, "complete": report.complete}
