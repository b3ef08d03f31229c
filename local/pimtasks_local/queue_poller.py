"""The SQS queue poller: Lambda's event source mapping for an ``SQS`` event, locally.

It long-polls the queue (one second, so Ctrl-C stays quick), calls the function with Lambda's SQS event
shape, deletes the messages that succeeded and, with ``ReportBatchItemFailures``, keeps the ones the
function reported. Failed messages are made visible again after a few seconds (instead of the queue's
visibility timeout, which is sized for real work) and reach the dead-letter queue through the queue's
own redrive policy, which the emulator enforces.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pimtasks_local.deployment import SqsEventSource
from pimtasks_local.functions import FunctionError, FunctionInvoker, FunctionLoadError

LOGGER = logging.getLogger(__name__)


def lambda_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage message in the shape Lambda passes to the function."""
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class QueuePoller:
    """Feeds one SQS queue to one function."""

    def __init__(
        self,
        *,
        source: SqsEventSource,
        function_name: str,
        invoker: FunctionInvoker,
        sqs: Any,
        region: str,
        wait_seconds: int = 1,
        retry_visibility_seconds: int = 5,
    ) -> None:
        self.source = source
        self._function = function_name
        self._invoker = invoker
        self._sqs = sqs
        self._region = region
        self._wait = wait_seconds
        self._retry_visibility = retry_visibility_seconds

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set (each receive waits at most ``wait_seconds``)."""
        while not stop.is_set():
            try:
                self.poll_once()
            except (ClientError, BotoCoreError) as exc:
                LOGGER.warning("queue poller for %s: %s", self._function, exc)
                stop.wait(1.0)
            except Exception:  # the poller must outlive one bad batch; the error is logged
                LOGGER.exception("queue poller for %s failed", self._function)
                stop.wait(1.0)

    def poll_once(self) -> int:
        """Receive one batch and hand it to the function; returns the number of messages received."""
        received = self._sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=max(1, min(10, self.source.batch_size)),
            WaitTimeSeconds=self._wait,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0
        failed = self._invoke(messages)
        succeeded = [m for m in messages if m["MessageId"] not in failed]
        if succeeded:
            self._sqs.delete_message_batch(QueueUrl=self.source.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(succeeded)])
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry:
            LOGGER.warning("%s failed on %d of %d queue messages; they return in %d s", self._function,
                           len(retry), len(messages), self._retry_visibility)
            self._sqs.change_message_visibility_batch(QueueUrl=self.source.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self._retry_visibility}
                for i, m in enumerate(retry)])
        return len(messages)

    def _invoke(self, messages: list[dict[str, Any]]) -> set[str]:
        """Call the function; returns the ids of the messages that failed."""
        all_ids = {m["MessageId"] for m in messages}
        event = {"Records": [lambda_record(m, queue_arn=self.source.queue_arn, region=self._region)
                             for m in messages]}
        try:
            result = self._invoker.invoke(self._function, event)
        except (FunctionError, FunctionLoadError):  # the host logged it; the whole batch failed
            return all_ids
        if not self.source.report_batch_item_failures or not isinstance(result, dict):
            return set()
        failed: set[str] = set()
        for failure in result.get("batchItemFailures") or []:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in all_ids:
                return all_ids  # an unusable identifier fails the whole batch, as in Lambda
            failed.add(str(identifier))
        return failed
