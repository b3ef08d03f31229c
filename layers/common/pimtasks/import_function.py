"""The import function's entry point: task triggers, and S3 upload events from the uploads queue (AutoImport).

One Lambda receives both: EventBridge Scheduler / the API / other runs send a task trigger, and the
uploads queue's event source mapping sends SQS batches (``Records`` with ``eventSource = aws:sqs``) whose
bodies are S3 notifications. SQS batches are processed with Powertools' ``BatchProcessor``: a message
that fails (its task busy, an unreadable body, an AWS error) is reported in ``batchItemFailures`` and
delivered again; the others are done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pimtasks.domain.upload_event import parse_s3_notification
from pimtasks.observability import lambda_handler, logger
from pimtasks.services.auto_import import AutoImport, ImportTaskBusyError
from pimtasks.task_function import Handler, run_trigger
from pimtasks.workers import WorkerFactory

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def is_sqs_event(event: Any) -> bool:
    """True for a batch from an SQS event source mapping (as opposed to a task trigger)."""
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and isinstance(records, list) and isinstance(records[0], dict) \
        and records[0].get("eventSource") == "aws:sqs"


def process_upload_messages(event: dict[str, Any], *, auto_import: AutoImport,
                            context: LambdaContext | None = None) -> dict[str, Any]:
    """Start the runs of every upload in the batch; the reply names the messages to deliver again."""
    # Imported here: a task trigger (most invocations) needs no batch processing (Powertools' batch module
    # loads asyncio and the event data classes).
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def handle(record: SQSRecord) -> None:
        for upload in parse_s3_notification(record.body):
            try:
                auto_import.on_upload(upload)
            except ImportTaskBusyError as busy:
                logger.info("upload waits for a busy import task", extra={"key": busy.key, "tasks": busy.busy})
                raise

    # Per call: a processor holds per-batch state. A batch whose every message failed is reported like any
    # partial failure (instead of raising), so the messages come back without an invocation error.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event=event, record_handler=handle, processor=processor,
                                         context=context))


def import_function_handler(workers: WorkerFactory) -> Handler:
    """The import function's Lambda handler."""

    @lambda_handler()
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if is_sqs_event(event):
            from pimtasks.wiring import auto_import

            return process_upload_messages(event, auto_import=auto_import(), context=context)
        return run_trigger(event, context, workers=workers)

    return handler
