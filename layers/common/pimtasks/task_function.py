"""The one entry point every task function shares: parse the trigger, hand it to the run engine.

Each ``functions/<family>_handler/app.py`` is ``handler = task_function_handler(workers)`` with the workers of
its type family.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pimtasks.domain.trigger import TaskTriggerEvent
from pimtasks.observability import lambda_handler, logger
from pimtasks.workers import WorkerFactory, not_available_workers

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def run_trigger(event: dict[str, Any], context: LambdaContext, *, workers: WorkerFactory) -> dict[str, Any]:
    """Handle one task trigger event with ``workers`` (the body of every task function)."""
    from pimtasks.wiring import run_engine

    trigger = TaskTriggerEvent.model_validate(event)
    # Thread-local: a process hosting several invocations at once (the local stack) keeps them apart.
    logger.thread_safe_append_keys(environment=trigger.environment, task_id=trigger.task_id,
                                   trigger=trigger.trigger.value)
    run = run_engine(workers).handle(trigger, remaining_ms=context.get_remaining_time_in_millis)
    return {"run_id": run.run_id, "status": run.status.value} if run else {"run_id": None, "status": "ignored"}


def task_function_handler(workers: WorkerFactory = not_available_workers) -> Handler:
    """A Lambda handler that runs task triggers with ``workers``."""

    @lambda_handler()
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return run_trigger(event, context, workers=workers)

    return handler
