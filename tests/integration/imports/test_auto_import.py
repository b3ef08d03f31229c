"""AutoImport: S3 ObjectCreated events through SQS start one run per object version."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from pimtasks.adapters.upload_queue import UploadQueue
from pimtasks.domain.run import MessageLevel, Run, RunStatus, Trigger
from pimtasks.import_function import import_function_handler, process_upload_messages
from pimtasks.services.auto_import import AutoImport
from pimtasks_local.functions import lambda_context

from tests.integration.core.harness import REGION
from tests.integration.imports.harness import (
    BUCKET,
    CONDITIONS_IMPORT,
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
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": {}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:uploads", "awsRegion": REGION}
               for m in messages if json.loads(m["Body"]).get("Event") != "s3:TestEvent"]
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


def _only_run(imports: Imports, task_id: str) -> Run:
    runs, _ = imports.core.run_store.list_for_task(environment=ENV, task_id=task_id, limit=10, start_key=None)
    assert len(runs) == 1, runs
    imports.core.pump(imports.workers())
    return imports.core.runs.get(environment=ENV, run_id=runs[0].run_id)


def _error_texts(run: Run) -> list[str]:
    """The run's errors about a file (not the run's own summary)."""
    return [f"{m.file}: {m.text}" for m in run.messages if m.level is MessageLevel.ERROR and m.file]


def test_an_empty_upload_gets_a_run_that_fails_it_as_an_empty_file(imports: Imports, uploads_queue: str) -> None:
    # Given an AutoImport task and a 0-byte file uploaded into its folder
    task = imports.create_task()
    imports.upload("conditions.xlsx", b"")

    # When its upload event arrives
    process_upload_messages(sqs_event(uploads_queue), auto_import=imports.auto_import())

    # Then a run fails the file, naming it and why, and the file moved to Failed/ with its report
    run = _only_run(imports, task.task_id)
    assert run.status is RunStatus.FAILED
    assert _error_texts(run) == ["conditions.xlsx: empty file (0 bytes): there is nothing to import"]
    assert imports.keys("Uploads/") == []
    assert imports.keys("Failed/") == [f"Failed/{CONDITIONS_IMPORT}/{run.run_id}/conditions.xlsx",
                                       f"Failed/{CONDITIONS_IMPORT}/{run.run_id}/conditions.xlsx.report.txt"]


def test_an_upload_into_a_subfolder_gets_a_run_that_fails_it_saying_where_files_go(
        imports: Imports, uploads_queue: str) -> None:
    task = imports.create_task()
    imports.upload("sub/dir/conditions.xlsx", conditions_xlsx(condition_rows(2)))

    process_upload_messages(sqs_event(uploads_queue), auto_import=imports.auto_import())

    run = _only_run(imports, task.task_id)
    assert run.status is RunStatus.FAILED
    assert _error_texts(run) == [
        f"conditions.xlsx: delivered into the subfolder Uploads/{CONDITIONS_IMPORT}/sub/dir/: only files directly "
        f"in Uploads/{CONDITIONS_IMPORT}/ are imported; upload it into Uploads/{CONDITIONS_IMPORT}/ itself"]
    assert imports.keys("Uploads/") == [] and imports.records() == []
    assert f"Failed/{CONDITIONS_IMPORT}/{run.run_id}/conditions.xlsx" in imports.keys("Failed/")


def _rechecking(imports: Imports, queue_url: str) -> AutoImport:
    """AutoImport as deployed: temporary names are looked at again through the uploads queue (no delay here)."""
    return AutoImport(tasks=imports.core.task_store, runs=imports.core.run_store, starter=imports.core.runs,
                      files=imports.files, bucket=BUCKET,
                      rechecks=UploadQueue(queue_url=queue_url, sqs_client=boto3.client("sqs", region_name=REGION)),
                      recheck_delay_seconds=0)


def test_a_temporary_name_is_imported_only_after_its_rename(imports: Imports, uploads_queue: str) -> None:
    # Given an upload under a temporary name, as FTPS clients write before they rename
    task = imports.create_task()
    auto_import = _rechecking(imports, uploads_queue)
    imports.upload("conditions.xlsx.filepart", conditions_xlsx(condition_rows(3)))

    # When its event arrives, nothing starts: AutoImport asks to see the file again later
    process_upload_messages(sqs_event(uploads_queue), auto_import=auto_import)
    assert imports.core.invoker.calls == []

    # And when the client renames it, the final name's upload is imported
    key = f"environments/{ENV}/Uploads/{CONDITIONS_IMPORT}/conditions.xlsx"
    imports.s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": f"{key}.filepart"})
    imports.s3.delete_object(Bucket=BUCKET, Key=f"{key}.filepart")
    batch = sqs_event(uploads_queue)  # the rename's upload and the recheck of the temporary name
    assert len(batch["Records"]) == 2
    assert process_upload_messages(batch, auto_import=auto_import) == {"batchItemFailures": []}

    # Then one run imported the renamed file, and the recheck found the temporary name gone
    run = _only_run(imports, task.task_id)
    assert run.status is RunStatus.SUCCEEDED and run.counts.created == 3
    assert [f.key for f in run.files if f.role == "input"] == [f"Uploads/{CONDITIONS_IMPORT}/conditions.xlsx"]
    assert imports.keys("Uploads/") == []


def test_a_temporary_name_left_behind_fails_its_run_instead_of_waiting_unseen(
        imports: Imports, uploads_queue: str) -> None:
    # Given an upload under a temporary name that its client never renames
    task = imports.create_task()
    auto_import = _rechecking(imports, uploads_queue)
    imports.upload("conditions.xlsx.part", conditions_xlsx(condition_rows(3)))
    process_upload_messages(sqs_event(uploads_queue), auto_import=auto_import)
    assert imports.core.invoker.calls == []

    # When AutoImport looks at it again
    process_upload_messages(sqs_event(uploads_queue), auto_import=auto_import)

    # Then a run fails it with the reason and moves it to Failed/; the catalog is untouched
    run = _only_run(imports, task.task_id)
    assert run.status is RunStatus.FAILED
    [error] = _error_texts(run)
    assert error.startswith("conditions.xlsx.part: left under a temporary name and never renamed: it ends with "
                            ".part")
    assert imports.keys("Uploads/") == [] and imports.records() == []
    assert f"Failed/{CONDITIONS_IMPORT}/{run.run_id}/conditions.xlsx.part" in imports.keys("Failed/")
