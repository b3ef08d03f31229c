"""AutoImport: S3 ObjectCreated events through SQS start one run per object version."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from pimtasks.domain.run import RunStatus, Trigger
from pimtasks.import_function import import_function_handler, process_upload_messages
from pimtasks_local.functions import lambda_context

from tests.integration.core.harness import REGION
from tests.integration.imports.harness import (
    BUCKET,
    ENV,
    Imports,
    condition_rows,
    conditions_xlsx,
)


@pytest.fixture
def uploads_queue(imports: Imports) -> str:
    """The files bucket notifies an SQS queue of ObjectCreated, as in the template."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="uploads")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    imports.s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "environments/"}]}}}]})
    return str(url)


def sqs_event(queue_url: str) -> dict[str, Any]:
    """The queue's upload notifications in the shape Lambda's SQS event source passes them."""
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": {}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:uploads", "awsRegion": REGION}
               for m in messages if "Records" in json.loads(m["Body"])]  # not the s3:TestEvent
    return {"Records": records}


def test_an_upload_starts_exactly_one_run_even_when_its_message_is_delivered_twice(
        imports: Imports, uploads_queue: str) -> None:
    # given an AutoImport task and a file uploaded into its folder (the key has spaces: URL-encoded in the event)
    task = imports.create_task()
    imports.upload("APAC conditions.xlsx", conditions_xlsx(condition_rows(4)))
    event = sqs_event(uploads_queue)
    assert len(event["Records"]) == 1

    # when the message arrives, and arrives again (at-least-once delivery)
    first = process_upload_messages(event, auto_import=imports.auto_import())
    second = process_upload_messages(event, auto_import=imports.auto_import())

    # then one run exists, for that task, triggered by the upload
    assert first == {"batchItemFailures": []} and second == {"batchItemFailures": []}
    runs, _ = imports.core.run_store.list_for_task(environment=ENV, task_id=task.task_id, limit=10, start_key=None)
    assert len(runs) == 1 and runs[0].trigger is Trigger.UPLOAD
    imports.core.pump(imports.workers())
    ended = imports.core.runs.get(environment=ENV, run_id=runs[0].run_id)
    assert ended.status is RunStatus.SUCCEEDED and ended.counts.created == 4
    assert imports.keys("Uploads/") == []

    # and a delivery after the import finds nothing waiting and starts nothing
    process_upload_messages(event, auto_import=imports.auto_import())
    assert imports.core.invoker.calls == []
    runs, _ = imports.core.run_store.list_for_task(environment=ENV, task_id=task.task_id, limit=10, start_key=None)
    assert len(runs) == 1


def test_an_upload_run_imports_only_its_own_file(imports: Imports, uploads_queue: str) -> None:
    task = imports.create_task()
    imports.upload("mine.xlsx", conditions_xlsx(condition_rows(2)))
    event = sqs_event(uploads_queue)
    imports.upload("other.xlsx", conditions_xlsx(condition_rows(3)))

    process_upload_messages(event, auto_import=imports.auto_import())
    imports.core.pump(imports.workers())

    runs, _ = imports.core.run_store.list_for_task(environment=ENV, task_id=task.task_id, limit=10, start_key=None)
    assert [f.key for f in runs[0].files if f.role == "input"] == ["Uploads/Sales conditions APAC/mine.xlsx"]
    assert imports.keys("Uploads/") == ["Uploads/Sales conditions APAC/other.xlsx"]


def test_an_upload_for_a_busy_task_is_handed_back_to_the_queue(imports: Imports, uploads_queue: str) -> None:
    task = imports.create_task()
    imports.core.runs.start(environment=ENV, task_id=task.task_id)  # a run holds the task
    imports.upload("conditions.xlsx", conditions_xlsx(condition_rows(2)))
    event = sqs_event(uploads_queue)

    reply = process_upload_messages(event, auto_import=imports.auto_import())

    assert reply == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_uploads_to_other_folders_and_tasks_without_auto_import_start_nothing(
        imports: Imports, uploads_queue: str) -> None:
    articles = imports.create_task(description="Articles", import_name="Articles", auto_import=False)
    imports.create_task(auto_import=False)
    imports.create_task(description="Prices after articles", predecessor_task_id=articles.task_id)
    imports.upload("conditions.xlsx", conditions_xlsx(condition_rows(2)))
    imports.upload("unrelated.xlsx", b"x", import_name="Somebody else's import")
    imports.s3.put_object(Bucket=BUCKET, Key=f"environments/{ENV}/Reports/x.txt", Body=b"report")

    reply = process_upload_messages(sqs_event(uploads_queue), auto_import=imports.auto_import())

    assert reply == {"batchItemFailures": []}
    assert imports.core.invoker.calls == []


def test_the_import_function_tells_upload_batches_from_task_triggers(
        imports: Imports, uploads_queue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import pimtasks.wiring

    monkeypatch.setattr(pimtasks.wiring, "auto_import", imports.auto_import)
    monkeypatch.setattr(pimtasks.wiring, "run_engine", lambda workers: imports.core.engine(workers))
    handler = import_function_handler(imports.workers())
    task = imports.create_task()
    imports.upload("conditions.xlsx", conditions_xlsx(condition_rows(2)))

    reply = handler(sqs_event(uploads_queue), lambda_context("pimtasks-task-import", timeout_seconds=900))
    assert reply == {"batchItemFailures": []}
    [(function, trigger)] = imports.core.invoker.take()
    assert function == "import" and trigger["trigger"] == "upload"

    outcome = handler(trigger, lambda_context("pimtasks-task-import", timeout_seconds=900))
    assert outcome["status"] == "succeeded"
    last_summary = imports.core.tasks.get(environment=ENV, task_id=task.task_id).last_run
    assert last_summary is not None and last_summary.trigger is Trigger.UPLOAD
