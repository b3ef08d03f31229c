"""The DynamoDB stream and SQS queue pollers, against moto in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pimtasks_local.deployment import DynamoDBEventSource, SqsEventSource
from pimtasks_local.queue_poller import QueuePoller
from pimtasks_local.stream_poller import StreamPoller

from tests.integration.local.support import Call, RecordingInvoker

FUNCTION = "pimtasks-test-scheduler-sync"
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION}"


@pytest.fixture
def table(aws: Callable[[str], Any]) -> dict[str, str]:
    dynamodb = aws("dynamodb")
    description = dynamodb.create_table(
        TableName="tasks", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    queue_url = aws("sqs").create_queue(QueueName="sync-dlq")["QueueUrl"]
    queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    return {"stream_arn": description["LatestStreamArn"], "dlq_url": queue_url, "dlq_arn": queue_arn}


def _put(aws: Callable[[str], Any], *keys: str) -> None:
    for key in keys:
        aws("dynamodb").put_item(TableName="tasks", Item={"pk": {"S": key}, "value": {"N": "1"}})


def _stream_poller(aws: Callable[[str], Any], table: dict[str, str], invoker: RecordingInvoker,
                   **source: Any) -> StreamPoller:
    settings = {"batch_size": 10, "maximum_retry_attempts": 2, "report_batch_item_failures": True,
                "on_failure_arn": table["dlq_arn"], **source}
    return StreamPoller(
        source=DynamoDBEventSource(function="SchedulerSyncFunction", event_name="TasksStream",
                                   stream_arn=table["stream_arn"], **settings),
        function_name=FUNCTION, function_arn=FUNCTION_ARN, invoker=invoker, streams=aws("dynamodbstreams"),
        sqs=aws("sqs"), region="eu-west-1", retry_delay_seconds=0, sleep=lambda seconds: None,
    )


def _keys(call: Call) -> list[str]:
    return [record["dynamodb"]["Keys"]["pk"]["S"] for record in call.event["Records"]]


def test_stream_records_reach_the_function_in_lambdas_shape(aws: Callable[[str], Any],
                                                             table: dict[str, str]) -> None:
    invoker = RecordingInvoker(functions={FUNCTION: FUNCTION_ARN})
    poller = _stream_poller(aws, table, invoker)
    _put(aws, "a", "b")
    aws("dynamodb").delete_item(TableName="tasks", Key={"pk": {"S": "a"}})

    assert poller.poll_once() == 3
    [call] = invoker.calls
    first = call.event["Records"][0]
    assert [r["eventName"] for r in call.event["Records"]] == ["INSERT", "INSERT", "REMOVE"]
    assert first["eventSource"] == "aws:dynamodb" and first["awsRegion"] == "eu-west-1"
    assert first["eventSourceARN"] == table["stream_arn"]
    assert first["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "value": {"N": "1"}}
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    assert call.event["Records"][2]["dynamodb"]["OldImage"]["pk"] == {"S": "a"}
    assert poller.poll_once() == 0


def test_a_reported_item_failure_is_retried_from_that_record(aws: Callable[[str], Any],
                                                              table: dict[str, str]) -> None:
    def report_b_once(call: Call) -> Any:
        if len([c for c in invoker.calls if "b" in _keys(c)]) == 1 and "b" in _keys(call):
            failed = next(r for r in call.event["Records"] if r["dynamodb"]["Keys"]["pk"]["S"] == "b")
            return {"batchItemFailures": [{"itemIdentifier": failed["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    invoker = RecordingInvoker(functions={FUNCTION: FUNCTION_ARN}, reply=report_b_once)
    poller = _stream_poller(aws, table, invoker)
    _put(aws, "a", "b", "c")

    poller.poll_once()
    poller.poll_once()

    assert [_keys(call) for call in invoker.calls] == [["a", "b", "c"], ["b", "c"]]


def test_a_batch_failing_beyond_its_retries_goes_to_the_on_failure_queue(aws: Callable[[str], Any],
                                                                          table: dict[str, str]) -> None:
    invoker = RecordingInvoker(functions={FUNCTION: FUNCTION_ARN}, fail=lambda call: "bad" in _keys(call))
    poller = _stream_poller(aws, table, invoker)
    _put(aws, "bad")

    for _ in range(3):  # the first attempt and two retries
        poller.poll_once()
    _put(aws, "good")
    poller.poll_once()

    assert [_keys(call) for call in invoker.calls] == [["bad"]] * 3 + [["good"]]
    [message] = aws("sqs").receive_message(QueueUrl=table["dlq_url"])["Messages"]
    info = json.loads(message["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["DDBStreamBatchInfo"]["batchSize"] == 1
    assert info["DDBStreamBatchInfo"]["streamArn"] == table["stream_arn"]


def test_latest_starts_after_the_records_already_in_the_stream(aws: Callable[[str], Any],
                                                                table: dict[str, str]) -> None:
    _put(aws, "old")
    invoker = RecordingInvoker(functions={FUNCTION: FUNCTION_ARN})
    poller = _stream_poller(aws, table, invoker, starting_position="LATEST")
    poller.poll_once()
    _put(aws, "new")
    poller.poll_once()

    assert [_keys(call) for call in invoker.calls] == [["new"]]


@pytest.fixture
def queue(aws: Callable[[str], Any]) -> dict[str, str]:
    sqs = aws("sqs")
    dlq_url = sqs.create_queue(QueueName="uploads-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="uploads", Attributes={
        "VisibilityTimeout": "600",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"url": url, "arn": arn, "dlq_url": dlq_url}


def _queue_poller(aws: Callable[[str], Any], queue: dict[str, str], invoker: RecordingInvoker) -> QueuePoller:
    source = SqsEventSource(function="ImportFunction", event_name="Uploads", queue_arn=queue["arn"],
                            queue_url=queue["url"], batch_size=10, report_batch_item_failures=True)
    return QueuePoller(source=source, function_name=FUNCTION, invoker=invoker, sqs=aws("sqs"), region="eu-west-1",
                       wait_seconds=0, retry_visibility_seconds=0)


def test_queue_messages_are_deleted_when_handled_and_kept_when_reported(aws: Callable[[str], Any],
                                                                         queue: dict[str, str]) -> None:
    def report_second(call: Call) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in call.event["Records"] if r["body"] == "second"]}

    invoker = RecordingInvoker(functions={FUNCTION: FUNCTION_ARN}, reply=report_second)
    poller = _queue_poller(aws, queue, invoker)
    for body in ("first", "second"):
        aws("sqs").send_message(QueueUrl=queue["url"], MessageBody=body)

    poller.poll_once()
    record = invoker.calls[0].event["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == queue["arn"]
    assert sorted(r["body"] for r in invoker.calls[0].event["Records"]) == ["first", "second"]

    poller.poll_once()  # "second" is visible again at once (retry visibility 0 here), then dead-lettered
    poller.poll_once()
    assert [[r["body"] for r in call.event["Records"]] for call in invoker.calls[1:]] == [["second"]]
    dead = aws("sqs").receive_message(QueueUrl=queue["dlq_url"]).get("Messages", [])
    assert [m["Body"] for m in dead] == ["second"]
