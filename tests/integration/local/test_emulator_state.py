"""The emulator's state across a restart: what the stack keeps in moto survives a snapshot and a restore.

A restart is simulated in-process: the state is saved, moto's backends are reset (as in a new process) and
the snapshot is restored, then the template is deployed again over it, as the local stack does on start.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from moto.core.base_backend import BackendDict
from pimtasks_local.deployer import deploy_template
from pimtasks_local.deployment import Deployment
from pimtasks_local.emulator import Emulator
from pimtasks_local.emulator_state import EmulatorState, SnapshotError, Snapshotter
from pimtasks_local.request_gate import RequestGate

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"
SENDER = "pimtasks@example.com"
BIG_BODY = os.urandom(6 * 1024 * 1024)  # more than moto keeps in memory: its buffer rolls over to a file
MULTIPART_BODY = b"p" * (5 * 1024 * 1024)


def idle_gate() -> RequestGate:
    return RequestGate(lambda environ, start_response: [])


def restart(state: EmulatorState) -> None:
    """What a new process would see: moto empty, then the snapshot restored."""
    BackendDict.reset()
    state.restore()


def deploy(aws: Callable[[str], Any]) -> Deployment:
    return deploy_template(TEMPLATE, stack_name="pimtasks-test", parameters={"MailSender": SENDER}, clients=aws)


@pytest.fixture
def state(tmp_path: Path) -> EmulatorState:
    return EmulatorState(tmp_path / "emulator")


def fill(aws: Callable[[str], Any], deployment: Deployment) -> dict[str, Any]:
    """Some of everything the stack keeps; returns what to look for after the restart."""
    s3, dynamodb, sqs = aws("s3"), aws("dynamodb"), aws("sqs")
    bucket = deployment.physical_name("FilesBucket")
    tasks = deployment.physical_name("TasksTable")
    first = s3.put_object(Bucket=bucket, Key="environments/000001/Archived/a.csv", Body=b"version 1")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="environments/000001/Archived/a.csv", Body=b"version 2")["VersionId"]
    s3.put_object(Bucket=bucket, Key="environments/000001/Downloads/big.bin", Body=BIG_BODY)
    s3.put_object(Bucket=bucket, Key="environments/000001/Reports/gone.txt", Body=b"deleted")
    s3.delete_object(Bucket=bucket, Key="environments/000001/Reports/gone.txt")
    for name, complete in (("whole.bin", True), ("partial.bin", False)):  # an FTPS delivery, done or under way
        key = f"environments/000001/Uploads/P/{name}"
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=MULTIPART_BODY)["ETag"]
        if complete:
            s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                         MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
    for number in range(20):
        dynamodb.put_item(TableName=tasks, Item={"pk": {"S": f"ENV#000001#TASK#{number}"}, "sk": {"S": "TASK"},
                                                 "n": {"N": str(number)}, "tags": {"SS": ["a", "b"]},
                                                 "nested": {"M": {"list": {"L": [{"S": "x"}, {"N": "1"}]}}}})
    sqs.send_message(QueueUrl=deployment.physical_name("UploadsQueue"), MessageBody="waiting")
    aws("secretsmanager").create_secret(Name="pimtasks/000001/etim-secret", SecretString="s3cr3t")
    aws("scheduler").create_schedule_group(Name="pimtasks-test-000001")
    aws("scheduler").create_schedule(
        Name="task-1", GroupName="pimtasks-test-000001", ScheduleExpression="cron(53 12 ? * MON *)",
        ScheduleExpressionTimezone="Europe/Amsterdam",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:lambda:eu-west-1:123456789012:function:f", "RoleArn": "arn:aws:iam::1:role/r"})
    aws("ses").send_email(Source=SENDER, Destination={"ToAddresses": ["pim@example.com"]},
                          Message={"Subject": {"Data": "Run report"}, "Body": {"Text": {"Data": "24 created"}}})
    return {"bucket": bucket, "tasks": tasks, "versions": [first, second]}


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "in-process"])
def test_what_the_stack_keeps_survives_a_restart(aws: Callable[[str], Any], state: EmulatorState, fork: bool) -> None:
    outbox = Emulator()
    outbox.install_mail_timestamps()
    deployment = deploy(aws)
    kept = fill(aws, deployment)
    mail_before = outbox.mail_outbox()
    assert mail_before[0]["timestamp"] is not None

    state.save(idle_gate(), fork=fork)
    restart(state)
    again = deploy(aws)  # over the restored state, as the stack does on start

    s3, dynamodb = aws("s3"), aws("dynamodb")
    bucket, tasks = kept["bucket"], kept["tasks"]
    versions = s3.list_object_versions(Bucket=bucket, Prefix="environments/000001/Archived/a.csv")["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted(kept["versions"])
    assert s3.get_object(Bucket=bucket, Key="environments/000001/Archived/a.csv",
                         VersionId=kept["versions"][0])["Body"].read() == b"version 1"
    assert s3.get_object(Bucket=bucket, Key="environments/000001/Archived/a.csv")["Body"].read() == b"version 2"
    assert s3.get_object(Bucket=bucket, Key="environments/000001/Downloads/big.bin")["Body"].read() == BIG_BODY
    markers = s3.list_object_versions(Bucket=bucket, Prefix="environments/000001/Reports/")["DeleteMarkers"]
    assert [m["Key"] for m in markers] == ["environments/000001/Reports/gone.txt"]
    assert s3.get_object(Bucket=bucket, Key="environments/000001/Uploads/P/whole.bin")["Body"].read() == MULTIPART_BODY
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # nobody could finish it
    assert dynamodb.scan(TableName=tasks, Select="COUNT")["Count"] == 20
    item = dynamodb.get_item(TableName=tasks, Key={"pk": {"S": "ENV#000001#TASK#7"}, "sk": {"S": "TASK"}})["Item"]
    assert item["nested"] == {"M": {"list": {"L": [{"S": "x"}, {"N": "1"}]}}} and set(item["tags"]["SS"]) == {"a", "b"}
    runs = dynamodb.describe_table(TableName=deployment.physical_name("RunsTable"))["Table"]
    assert {i["IndexName"] for i in runs["GlobalSecondaryIndexes"]} == {"runs_by_task", "active_runs"}
    assert dynamodb.describe_time_to_live(TableName=deployment.physical_name("RunsTable"))[
        "TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert again.attribute("TasksTable", "StreamArn") == deployment.attribute("TasksTable", "StreamArn")
    assert stream_records(aws, deployment.attribute("TasksTable", "StreamArn")) == 20
    messages = aws("sqs").receive_message(QueueUrl=again.physical_name("UploadsQueue"), MaxNumberOfMessages=10)
    assert "waiting" in [m["Body"] for m in messages.get("Messages", [])]
    assert aws("secretsmanager").get_secret_value(SecretId="pimtasks/000001/etim-secret")["SecretString"] == "s3cr3t"
    schedule = aws("scheduler").get_schedule(GroupName="pimtasks-test-000001", Name="task-1")
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Amsterdam"
    assert outbox.mail_outbox() == mail_before  # with the time each mail arrived, not the restore's
    assert SENDER in aws("ses").list_identities()["Identities"]
    role = deployment.physical_name(next(k for k, r in deployment.resources.items() if r.type == "AWS::IAM::Role"))
    assert aws("iam").get_role(RoleName=role)["Role"]["RoleName"] == role


def stream_records(aws: Callable[[str], Any], stream_arn: str) -> int:
    streams = aws("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return len(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])


def test_after_a_restore_uploads_still_notify_and_writes_still_stream(aws: Callable[[str], Any],
                                                                     state: EmulatorState) -> None:
    deployment = deploy(aws)
    state.save(idle_gate(), fork=False)
    restart(state)
    again = deploy(aws)

    aws("s3").put_object(Bucket=again.physical_name("FilesBucket"), Key="environments/000001/Uploads/P/new.csv",
                         Body=b"a;b\n")
    aws("dynamodb").put_item(TableName=again.physical_name("TasksTable"),
                             Item={"pk": {"S": "ENV#000001#TASK#new"}, "sk": {"S": "TASK"}})

    bodies = [json.loads(m["Body"]) for m in aws("sqs").receive_message(
        QueueUrl=again.physical_name("UploadsQueue"), MaxNumberOfMessages=10).get("Messages", [])]
    keys = [unquote_plus(r["s3"]["object"]["key"]) for body in bodies for r in body.get("Records", [])]
    assert keys == ["environments/000001/Uploads/P/new.csv"]
    assert stream_records(aws, deployment.attribute("TasksTable", "StreamArn")) == 1


def test_a_body_is_saved_once_and_dropped_with_its_object(aws: Callable[[str], Any], state: EmulatorState) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="plain-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="plain-bucket", Key="k", Body=b"body")
    blobs = state.directory / "blobs"

    state.save(idle_gate(), fork=False)
    saved = {p.name: p.stat().st_ino for p in blobs.iterdir()}
    state.save(idle_gate(), fork=False)
    again = {p.name: p.stat().st_ino for p in blobs.iterdir()}
    s3.delete_object(Bucket="plain-bucket", Key="k")
    state.save(idle_gate(), fork=False)

    assert len(saved) == 1 and again == saved
    assert list(blobs.iterdir()) == []


def test_a_snapshot_of_another_moto_version_is_refused(aws: Callable[[str], Any], state: EmulatorState) -> None:
    state.directory.mkdir(parents=True)
    with state.snapshot_path.open("wb") as file:
        pickle.dump({"format": 1, "moto": "4.0.0", "taken_at": "2026-01-01T00:00:00Z"}, file)
        pickle.dump({}, file)

    with pytest.raises(SnapshotError, match=r"moto 4\.0\.0"):
        state.restore()


def test_an_unreadable_snapshot_is_refused(aws: Callable[[str], Any], state: EmulatorState) -> None:
    state.directory.mkdir(parents=True)
    state.snapshot_path.write_bytes(b"not a snapshot")

    with pytest.raises(SnapshotError, match="cannot be read"):
        state.restore()


def test_the_snapshotter_saves_after_a_change_and_at_stop(aws: Callable[[str], Any], state: EmulatorState) -> None:
    gate = idle_gate()
    snapshots = Snapshotter(state, gate, fork=False, min_interval_seconds=0)
    write = {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"}
    read = {"REQUEST_METHOD": "POST", "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.Query"}

    first = snapshots.save_if_changed()
    gate(read, lambda *a: None)
    unchanged = snapshots.save_if_changed()
    gate(write, lambda *a: None)
    snapshots.stop()

    assert first is not None and unchanged is None
    assert snapshots.last is not None and snapshots.last.taken_at > first.taken_at
    assert dt.datetime.fromisoformat(snapshots.last.taken_at.replace("Z", "+00:00")) <= dt.datetime.now(dt.UTC)


def test_interrupted_writes_leave_the_last_snapshot(aws: Callable[[str], Any], state: EmulatorState) -> None:
    aws("sqs").create_queue(QueueName="kept")
    state.save(idle_gate(), fork=False)
    (state.directory / "state.pickle.partial-12345").write_bytes(io.BytesIO(b"half a snapshot").getvalue())
    (state.directory / "blobs" / "abc.partial").write_bytes(b"half a body")

    restart(state)

    assert aws("sqs").list_queues()["QueueUrls"][0].endswith("/kept")
    assert sorted(p.name for p in state.directory.rglob("*") if "partial" in p.name) == []


def test_the_emulator_does_not_keep_every_item_it_ever_returned(aws: Callable[[str], Any]) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    dynamodb = aws("dynamodb")
    dynamodb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}})
    Emulator().stop_tracking_model_instances()

    for _ in range(50):
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})

    assert len(Item.instances_tracked) == 0  # type: ignore[attr-defined]
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_a_snapshot_process_that_hangs_is_ended(aws: Callable[[str], Any], state: EmulatorState,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from pimtasks_local import emulator_state

    aws("sqs").create_queue(QueueName="kept")
    state.save(idle_gate(), fork=False)
    saved = state.snapshot_path.read_bytes()
    monkeypatch.setattr(emulator_state, "SNAPSHOT_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(EmulatorState, "_write", lambda self, header, parent=None: time.sleep(60))
    gate = idle_gate()

    with pytest.raises(SnapshotError, match=r"still busy after 0\.5 s"):
        state.save(gate, fork=True)

    assert state.snapshot_path.read_bytes() == saved
    with gate.paused():  # the gate was let go
        pass


def test_without_memory_to_spare_a_snapshot_is_taken_in_process(aws: Callable[[str], Any], state: EmulatorState,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pimtasks_local import emulator_state

    aws("sqs").create_queue(QueueName="kept")
    monkeypatch.setattr(emulator_state, "_room_to_fork", lambda: False)

    info, _ = state.save(idle_gate(), fork=True)
    restart(state)

    assert not info.forked
    assert aws("sqs").list_queues()["QueueUrls"][0].endswith("/kept")


def test_a_failed_transaction_does_not_undo_a_write_made_meanwhile() -> None:
    # moto undoes a failed TransactWriteItems by putting back a copy of the table taken at its start; the
    # gate runs transactions alone, so a run's claim written meanwhile (queued -> running) stays written
    import threading
    import time

    import boto3

    emulator = Emulator(port=0).start(environ={})
    try:
        dynamodb = boto3.client("dynamodb", endpoint_url=emulator.url, region_name="eu-west-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        dynamodb.create_table(TableName="runs", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        dynamodb.put_item(TableName="runs", Item={"pk": {"S": "run"}, "status": {"S": "queued"}})
        for first in range(0, 2000, 25):  # a table that takes a while to copy
            dynamodb.batch_write_item(RequestItems={"runs": [
                {"PutRequest": {"Item": {"pk": {"S": f"other-{n}"}, "data": {"S": "x" * 100}}}}
                for n in range(first, first + 25)]})

        def failing_transaction() -> None:
            with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
                dynamodb.transact_write_items(TransactItems=[{"Put": {
                    "TableName": "runs", "Item": {"pk": {"S": "run"}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}])

        transaction = threading.Thread(target=failing_transaction)
        transaction.start()
        time.sleep(0.05)
        dynamodb.update_item(TableName="runs", Key={"pk": {"S": "run"}}, UpdateExpression="SET #s = :s",
                             ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues={":s": {"S": "running"}})
        transaction.join()

        stored = dynamodb.get_item(TableName="runs", Key={"pk": {"S": "run"}})["Item"]
        assert stored["status"] == {"S": "running"}
    finally:
        emulator.stop()
