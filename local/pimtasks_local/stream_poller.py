"""The DynamoDB stream poller: Lambda's event source mapping for a ``DynamoDB`` event, locally.

It reads the table stream shard by shard (``StartingPosition`` TRIM_HORIZON or LATEST), calls the
function with batches of up to ``BatchSize`` records in Lambda's DynamoDB event shape, and honours
``ReportBatchItemFailures``: processing resumes at the first failed sequence number. A batch that still
fails after ``MaximumRetryAttempts`` retries is described to the ``OnFailure`` destination (an SQS queue,
in Lambda's invocation-record shape) and skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pimtasks_local.deployment import DynamoDBEventSource
from pimtasks_local.functions import FunctionError, FunctionInvoker, FunctionLoadError

LOGGER = logging.getLogger(__name__)
_DISCOVERY_SECONDS = 10.0  # how often the shard list is read again (shards split rarely)


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    attempts: int = 0


def lambda_record(record: dict[str, Any], *, stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record in the shape Lambda passes to the function."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    shaped = {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        shaped["userIdentity"] = record["userIdentity"]
    return shaped


class StreamPoller:
    """Feeds one DynamoDB stream to one function."""

    def __init__(
        self,
        *,
        source: DynamoDBEventSource,
        function_name: str,
        function_arn: str,
        invoker: FunctionInvoker,
        streams: Any,
        sqs: Any,
        region: str,
        retry_delay_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self._function = function_name
        self._function_arn = function_arn
        self._invoker = invoker
        self._streams = streams
        self._sqs = sqs
        self._region = region
        self._retry_delay = retry_delay_seconds
        self._sleep = sleep
        self._shards: dict[str, _Shard] = {}
        self._finished: set[str] = set()
        self._monotonic = time.monotonic
        self._next_discovery = 0.0

    def run(self, stop: threading.Event, *, interval_seconds: float = 0.5) -> None:
        """Poll until ``stop`` is set (at once again while records keep coming)."""
        while not stop.is_set():
            try:
                busy = self.poll_once() > 0
            except (ClientError, BotoCoreError) as exc:
                LOGGER.warning("stream poller for %s: %s", self._function, exc)
                busy = False
            except Exception:  # the poller must outlive one bad batch; the error is logged
                LOGGER.exception("stream poller for %s failed", self._function)
                busy = False
            if not busy:
                stop.wait(interval_seconds)

    def poll_once(self) -> int:
        """Process at most one batch per shard; returns the number of records handed to the function."""
        if not self._shards or self._monotonic() >= self._next_discovery:
            self._discover_shards()
            self._next_discovery = self._monotonic() + _DISCOVERY_SECONDS
        handled = 0
        for shard in list(self._shards.values()):
            handled += self._poll_shard(shard)
        return handled

    def _discover_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.source.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._shards or shard_id in self._finished:
                continue
            parent = shard.get("ParentShardId")
            # A child shard starts at its beginning, once its parent is read to the end.
            position = "TRIM_HORIZON" if parent else self.source.starting_position
            if parent and parent in self._shards:
                continue
            iterator = self._streams.get_shard_iterator(
                StreamArn=self.source.stream_arn, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]
            self._shards[shard_id] = _Shard(shard_id, iterator)

    def _poll_shard(self, shard: _Shard) -> int:
        if shard.iterator is None:  # the shard is closed and read to its end; its children come next
            self._shards.pop(shard.shard_id, None)
            self._finished.add(shard.shard_id)
            self._next_discovery = 0.0
            return 0
        page = self._streams.get_records(ShardIterator=shard.iterator, Limit=self.source.batch_size)
        records = page.get("Records", [])
        if not records:
            shard.iterator = page.get("NextShardIterator")
            return 0
        failed_from = self._invoke(records)
        if failed_from is None:
            shard.attempts = 0
            shard.iterator = page.get("NextShardIterator")
            return len(records)
        shard.attempts += 1
        retries_allowed = self.source.maximum_retry_attempts
        if retries_allowed < 0 or shard.attempts <= retries_allowed:
            LOGGER.warning("%s failed on stream records from %s; retry %d", self._function,
                           records[failed_from]["dynamodb"]["SequenceNumber"], shard.attempts)
            self._sleep(min(30.0, self._retry_delay * shard.attempts))
            shard.iterator = self._iterator_at(shard.shard_id, records[failed_from]["dynamodb"]["SequenceNumber"])
            return len(records)
        self._on_failure(shard, records[failed_from:])
        shard.attempts = 0
        shard.iterator = page.get("NextShardIterator")
        return len(records)

    def _invoke(self, records: list[dict[str, Any]]) -> int | None:
        """Call the function; None when all succeeded, else the index of the first failed record."""
        event = {"Records": [lambda_record(r, stream_arn=self.source.stream_arn, region=self._region)
                             for r in records]}
        try:
            result = self._invoker.invoke(self._function, event)
        except (FunctionError, FunctionLoadError):  # the host logged it; the whole batch failed
            return 0
        if not self.source.report_batch_item_failures or not isinstance(result, dict):
            return None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        positions = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in sequence_numbers:
                return 0  # an unusable identifier fails the whole batch, as in Lambda
            positions.append(sequence_numbers.index(identifier))
        return min(positions)

    def _iterator_at(self, shard_id: str, sequence_number: str) -> str:
        return str(self._streams.get_shard_iterator(
            StreamArn=self.source.stream_arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=sequence_number,
        )["ShardIterator"])

    def _on_failure(self, shard: _Shard, records: list[dict[str, Any]]) -> None:
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        LOGGER.error("%s: stream records %s..%s failed after %d attempts", self._function,
                     first["SequenceNumber"], last["SequenceNumber"], shard.attempts)
        destination = self.source.on_failure_arn
        if not destination:
            return
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
                "batchSize": len(records),
                "streamArn": self.source.stream_arn,
            },
        }
        parts = destination.split(":")
        url = self._sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return None if value is None else str(value)
