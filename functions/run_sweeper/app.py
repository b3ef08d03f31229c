"""Runs every minute: ends runs whose heartbeat stopped, so nothing stays "running" forever."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.observability import lambda_handler
from pimtasks.wiring import run_sweeper


@lambda_handler()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    swept = run_sweeper().sweep()
    return {"swept": [run.run_id for run in swept]}
