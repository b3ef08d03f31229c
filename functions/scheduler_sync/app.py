"""Consumes the tasks table stream and keeps EventBridge Scheduler in step (one schedule per task).

The sync service, the task models and the adapters are imported at the first record (with boto3): importing
this module loads Powertools and none of the domain (``bench_handler_imports``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pimtasks.observability import lambda_handler, logger

if TYPE_CHECKING:
    from pimtasks.services.schedule_sync import TaskChange

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _task_change(record: DynamoDBRecord) -> TaskChange | None:
    # Imported at the first record, with boto3 (as every function imports its adapters through wiring).
    from pimtasks.adapters.task_repository import is_task_item, task_from_item
    from pimtasks.services.schedule_sync import TaskChange

    images = record.dynamodb
    old = images.old_image if images else None
    new = images.new_image if images else None
    if not any(image and is_task_item(image) for image in (old, new)):
        return None
    return TaskChange(old=task_from_item(old) if old else None, new=task_from_item(new) if new else None)


def _sync_record(record: DynamoDBRecord) -> None:
    from pimtasks.wiring import schedule_sync

    change = _task_change(record)
    if change is not None:
        outcome = schedule_sync().apply(change)
        logger.debug("schedule synced", extra={"event_id": record.event_id, "outcome": outcome})


@lambda_handler()
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_sync_record, processor=processor, context=context)
