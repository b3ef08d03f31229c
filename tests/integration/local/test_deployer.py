"""Provisioning infra/template.yaml into moto (in-process) with the local stack's deployer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from pimtasks_local.deployer import deploy_template
from pimtasks_local.deployment import Deployment

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"


@pytest.fixture
def deployment(aws: Callable[[str], Any]) -> Deployment:
    return deploy_template(TEMPLATE, stack_name="pimtasks-test", parameters={}, clients=aws)


def test_tables_exist_with_their_indexes_and_stream(aws: Callable[[str], Any], deployment: Deployment) -> None:
    dynamodb = aws("dynamodb")
    tasks = dynamodb.describe_table(TableName=deployment.physical_name("TasksTable"))["Table"]
    runs = dynamodb.describe_table(TableName=deployment.physical_name("RunsTable"))["Table"]

    assert tasks["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert deployment.attribute("TasksTable", "StreamArn") == tasks["LatestStreamArn"]
    assert {index["IndexName"] for index in runs["GlobalSecondaryIndexes"]} == {"runs_by_task", "active_runs"}
    ttl = dynamodb.describe_time_to_live(TableName=deployment.physical_name("RunsTable"))
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"


def test_an_upload_reaches_the_uploads_queue(aws: Callable[[str], Any], deployment: Deployment) -> None:
    s3, sqs = aws("s3"), aws("sqs")
    bucket = deployment.physical_name("FilesBucket")
    queue_url = deployment.physical_name("UploadsQueue")

    s3.put_object(Bucket=bucket, Key="environments/000001/Uploads/Sales APAC/prices 1.csv", Body=b"a;b\n")
    s3.put_object(Bucket=bucket, Key="elsewhere/not-an-upload.csv", Body=b"x")

    bodies = [json.loads(m["Body"]) for m in
              sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])]
    records = [r for body in bodies for r in body.get("Records", [])]  # skips S3's s3:TestEvent
    assert [unquote_plus(r["s3"]["object"]["key"]) for r in records] == [
        "environments/000001/Uploads/Sales APAC/prices 1.csv"]
    assert records[0]["eventName"].startswith("ObjectCreated:")


def test_bucket_is_private_and_encrypted(aws: Callable[[str], Any], deployment: Deployment) -> None:
    s3 = aws("s3")
    bucket = deployment.physical_name("FilesBucket")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_what_an_export_leaves_in_temp_expires_and_what_it_publishes_stays(aws: Callable[[str], Any],
                                                                           deployment: Deployment,
                                                                           tmp_path: Path) -> None:
    from pimtasks.adapters.file_store import TEMPORARY_TAG, FileStore

    s3 = aws("s3")
    bucket = deployment.physical_name("FilesBucket")
    files = FileStore(bucket=bucket, s3_client=s3)
    # given the bucket's lifecycle: a rule that expires objects carrying the temporary tag
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    expiring = rules["expire-temporary-files"]
    assert expiring["Filter"] == {"Tag": {"Key": TEMPORARY_TAG[0], "Value": TEMPORARY_TAG[1]}}
    assert expiring["Expiration"] == {"Days": 2} and expiring["Status"] == "Enabled"
    # when an export writes its file to Temp/ (whole, and as a multipart upload) and publishes one to Downloads/
    source = tmp_path / "export.csv"
    source.write_bytes(b"article_number;gross_price\nA-1;1.50\n")
    temporary = "environments/000001/Temp/exports/run-1/export.csv"
    files.upload(key=temporary, source=source, content_type="text/csv")
    parted = "environments/000001/Temp/exports/run-2/export.csv"
    upload_id = files.start_multipart(key=parted, content_type="text/csv")
    files.complete_multipart(key=parted, upload_id=upload_id, parts=[
        (1, files.upload_part(key=parted, upload_id=upload_id, number=1, source=source))])
    published = "environments/000001/Downloads/Prices/export.csv"
    files.copy(source_key=temporary, version_id=None, target_key=published)

    def tags(key: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}

    # then both temporary files carry the tag the rule expires, and the published copy does not
    assert tags(temporary) == tags(parted) == {TEMPORARY_TAG[0]: TEMPORARY_TAG[1]}
    assert tags(published) == {}
    assert s3.get_object(Bucket=bucket, Key=published)["Body"].read() == source.read_bytes()
    # and an upload elsewhere is never tagged
    files.upload(key="environments/000001/Uploads/Prices/Temp/x.csv", source=source, content_type="text/csv")
    assert tags("environments/000001/Uploads/Prices/Temp/x.csv") == {}


def test_functions_events_and_roles_are_described(aws: Callable[[str], Any], deployment: Deployment) -> None:
    api = deployment.functions["ApiFunction"]
    assert api.function_name == "pimtasks-test-api"
    assert api.handler_file == TEMPLATE.parent.parent / "functions" / "api_handler" / "app.py"
    assert api.environment["TASKS_TABLE"] == deployment.physical_name("TasksTable")
    assert api.environment["POWERTOOLS_SERVICE_NAME"] == "api"

    sync = deployment.functions["SchedulerSyncFunction"]
    role = aws("iam").get_role(RoleName=deployment.physical_name("SchedulerExecutionRole"))["Role"]
    assert sync.environment["SCHEDULER_ROLE_ARN"] == role["Arn"]

    [stream] = deployment.stream_sources
    assert stream.function == "SchedulerSyncFunction" and stream.report_batch_item_failures
    assert stream.on_failure_arn == deployment.attribute("SchedulerSyncDeadLetterQueue", "Arn")
    [queue] = deployment.queue_sources
    assert queue.queue_url == deployment.physical_name("UploadsQueue")

    routes = {(r.method, r.path): r for r in deployment.routes}
    assert routes[("GET", "/health")].authorizer is None
    assert routes[("POST", "/environments/{env}/tasks")].authorizer == "ApiKeyAuthorizer"
    authorizer = deployment.apis["PimtasksApi"].authorizers["ApiKeyAuthorizer"]
    assert authorizer.function == "AuthorizerFunction" and authorizer.identity_headers == ("x-api-key",)


def test_schedule_events_become_real_schedules(aws: Callable[[str], Any], deployment: Deployment) -> None:
    [sweeper] = deployment.schedules
    schedule = aws("scheduler").get_schedule(GroupName=sweeper.group, Name=sweeper.name)
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["Target"]["Arn"] == deployment.functions["RunSweeperFunction"].arn


def test_the_mail_sender_is_verified_and_alarms_exist(aws: Callable[[str], Any], deployment: Deployment) -> None:
    assert "pimtasks@example.com" in aws("ses").list_verified_email_addresses()["VerifiedEmailAddresses"]
    assert "MailSenderIdentity" in deployment.skipped  # its condition is false by default
    alarms = aws("cloudwatch").describe_alarms()["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} >= {deployment.physical_name("FailedRunsAlarm")}


def test_deploying_again_is_harmless(aws: Callable[[str], Any], deployment: Deployment) -> None:
    again = deploy_template(TEMPLATE, stack_name="pimtasks-test", parameters={}, clients=aws)
    assert again.physical_name("TasksTable") == deployment.physical_name("TasksTable")
    assert again.attribute("UploadsQueue", "Arn") == deployment.attribute("UploadsQueue", "Arn")


def test_deploying_over_kept_resources_keeps_their_data_and_adds_what_the_template_added(
        aws: Callable[[str], Any], deployment: Deployment) -> None:
    # given the resources of an earlier run of the local stack (restored), holding data, whose runs table
    # predates the active_runs index
    dynamodb, sqs, sns = aws("dynamodb"), aws("sqs"), aws("sns")
    tasks, runs = deployment.physical_name("TasksTable"), deployment.physical_name("RunsTable")
    dynamodb.put_item(TableName=tasks, Item={"pk": {"S": "ENV#000001#TASK#1"}, "sk": {"S": "TASK"}})
    sqs.send_message(QueueUrl=deployment.physical_name("UploadsQueue"), MessageBody="waiting")
    dynamodb.update_table(TableName=runs, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "active_runs"}}])
    subscriptions = len(sns.list_subscriptions()["Subscriptions"])

    # when the template is deployed again
    again = deploy_template(TEMPLATE, stack_name="pimtasks-test", parameters={}, clients=aws)

    # then every resource is the same one, its data is kept, and the missing index is back
    assert {k: (r.ref, r.attributes) for k, r in again.resources.items()} == {
        k: (r.ref, r.attributes) for k, r in deployment.resources.items()}
    assert dynamodb.scan(TableName=tasks, Select="COUNT")["Count"] == 1
    messages = sqs.receive_message(QueueUrl=again.physical_name("UploadsQueue"), MaxNumberOfMessages=10)
    assert "waiting" in [m["Body"] for m in messages.get("Messages", [])]
    indexes = dynamodb.describe_table(TableName=runs)["Table"]["GlobalSecondaryIndexes"]
    assert {index["IndexName"] for index in indexes} == {"runs_by_task", "active_runs"}
    assert len(sns.list_subscriptions()["Subscriptions"]) == subscriptions
