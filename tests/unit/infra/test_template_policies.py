"""Operational rules of the stack, read from the template as CloudFormation gets it (SAM translated offline).

Log retention, failure destinations, an access log without keys, data kept on delete, mail only as the sender,
no wildcard resources, the partition instead of ``arn:aws``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.sam_transform import transformed_template

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "infra" / "template.yaml"
DATA_TYPES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue")


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(transformed_template(TEMPLATE)["Resources"])


def of_type(resources: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == resource_type}


def statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every inline IAM statement of every role, with the role's name."""
    for name, role in of_type(resources, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies") or []:
            for statement in policy["PolicyDocument"]["Statement"]:
                yield name, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_function_logs_into_a_group_kept_for_the_retention_parameter(resources: dict[str, Any]) -> None:
    functions = of_type(resources, "AWS::Lambda::Function")
    assert len(functions) >= 10
    for name, function in functions.items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        properties = resources[group]["Properties"]
        assert properties["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        # the group Lambda would write to anyway, so no second one appears next to it
        assert properties["LogGroupName"]["Fn::Sub"] == "/aws/lambda/" + function["Properties"]["FunctionName"][
            "Fn::Sub"], name
    for name, group in of_type(resources, "AWS::Logs::LogGroup").items():
        assert group["Properties"].get("RetentionInDays"), name


def test_asynchronously_invoked_functions_keep_failed_events_in_an_alarmed_queue(resources: dict[str, Any]) -> None:
    functions = of_type(resources, "AWS::Lambda::Function")
    scheduled = {s["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0]
                 for s in of_type(resources, "AWS::Scheduler::Schedule").values()}
    task_functions = {name for name, f in functions.items()
                      if f["Properties"]["FunctionName"]["Fn::Sub"].startswith("${AWS::StackName}-task-")}
    configs = {c["Properties"]["FunctionName"]["Ref"]: c["Properties"]
               for c in of_type(resources, "AWS::Lambda::EventInvokeConfig").values()}
    alarmed_queues = {d["Value"]["Fn::GetAtt"][0] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
                      for d in a["Properties"].get("Dimensions") or [] if d["Name"] == "QueueName"}
    assert len(task_functions) == 6 and scheduled

    for name in task_functions | scheduled:
        config = configs[name]
        queue = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        assert resources[queue]["Type"] == "AWS::SQS::Queue" and queue in alarmed_queues, name
        assert 0 <= config["MaximumRetryAttempts"] <= 2, name
        role = functions[name]["Properties"]["Role"]["Fn::GetAtt"][0]
        assert any(s["Action"] == "sqs:SendMessage" and s["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
                   for r, s in statements(resources) if r == role), name


def test_the_api_access_log_records_requests_but_never_a_key(resources: dict[str, Any]) -> None:
    [stage] = of_type(resources, "AWS::ApiGateway::Stage").values()
    setting = stage["Properties"]["AccessLogSetting"]
    group = setting["DestinationArn"]["Fn::GetAtt"][0]
    assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}

    fields = json.loads(setting["Format"])  # one JSON document a request
    assert {"requestId", "status", "principal", "ip", "path"} <= set(fields)
    variables = " ".join(fields.values())
    assert not re.search(r"apiKey|header|\$input|\$request|querystring", variables, re.IGNORECASE), variables
    # API Gateway can only write it with the account's logging role in place
    [api] = of_type(resources, "AWS::ApiGateway::RestApi").values()
    assert api["DependsOn"] == "ApiGatewayAccount"


def test_data_stays_when_the_stack_is_deleted_or_a_change_replaces_it(resources: dict[str, Any]) -> None:
    data = {name: r for name, r in resources.items() if r["Type"] in DATA_TYPES}
    assert len(data) >= 10
    lost = [name for name, r in data.items()
            if (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy")) != ("Retain", "Retain")]
    assert lost == []


def test_every_queue_is_encrypted_at_rest(resources: dict[str, Any]) -> None:
    for name, queue in of_type(resources, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or properties.get("KmsMasterKeyId"), name


def test_run_reports_can_be_sent_only_as_the_mail_sender(resources: dict[str, Any]) -> None:
    mail = [(role, s) for role, s in statements(resources) if any(a.startswith("ses:") for a in as_list(s["Action"]))]
    assert len(mail) >= 6  # the sweeper, and every task function
    for role, statement in mail:
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "MailSender"}}}, role
        for resource in as_list(statement["Resource"]):
            text = json.dumps(resource)
            assert ":ses:${AWS::Region}:${AWS::AccountId}:identity/" in text and "arn:${AWS::Partition}" in text


def test_no_statement_allows_every_resource(resources: dict[str, Any]) -> None:
    wildcards = [(role, s.get("Sid")) for role, s in statements(resources)
                 if s["Effect"] == "Allow" and "*" in as_list(s["Resource"])]
    assert wildcards == []


def test_every_alarm_notifies_the_alarm_topic(resources: dict[str, Any]) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert {name: a["Properties"]["AlarmActions"] for name, a in alarms.items()} == {
        name: [{"Ref": "AlarmTopic"}] for name in alarms}


def test_arns_name_the_partition_instead_of_aws() -> None:
    sources = [TEMPLATE, *sorted((ROOT / "layers" / "common" / "pimtasks").rglob("*.py")),
               *sorted((ROOT / "functions").rglob("*.py"))]
    hard_coded = [str(path.relative_to(ROOT)) for path in sources if "arn:aws:" in path.read_text(encoding="utf-8")]
    assert hard_coded == []


def test_task_function_arns_take_the_partition_the_template_gives(resources: dict[str, Any],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pimtasks.domain.task_types import TaskFunction
    from pimtasks.settings import get_settings
    from pimtasks.wiring import task_function_arn

    for name, function in of_type(resources, "AWS::Lambda::Function").items():
        assert function["Properties"]["Environment"]["Variables"]["AWS_PARTITION"] == {"Ref": "AWS::Partition"}, name
    monkeypatch.setenv("AWS_PARTITION", "aws-cn")
    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    monkeypatch.setenv("AWS_ACCOUNT_ID", "123456789012")
    monkeypatch.setenv("FUNCTION_NAME_PREFIX", "prod-task-")
    get_settings.cache_clear()
    try:
        arn = task_function_arn(TaskFunction.IMPORT)
        assert arn == "arn:aws-cn:lambda:cn-north-1:123456789012:function:prod-task-import"
    finally:
        get_settings.cache_clear()


def test_the_api_lists_and_reads_only_the_environment_folders_of_the_files_api(resources: dict[str, Any]) -> None:
    from pimtasks.domain.environment_files import FOLDER_NAMES

    api = {statement["Sid"]: statement for name, statement in statements(resources)
           if name.startswith("ApiFunction") and "Sid" in statement}
    listing, reading = api["ListEnvironmentFolders"], api["PresignDownloadsOfEnvironmentFiles"]
    assert listing["Action"] == ["s3:ListBucket", "s3:ListBucketVersions"]
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [f"environments/*/{f}/*" for f in FOLDER_NAMES]
    assert reading["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert [r["Fn::Sub"] for r in reading["Resource"]] == [
        f"${{FilesBucket.Arn}}/environments/*/{f}/*" for f in FOLDER_NAMES]


def test_an_export_may_tag_only_its_temporary_and_published_files(resources: dict[str, Any]) -> None:
    publish = next(statement for name, statement in statements(resources)
                   if name.startswith("ExportFunction") and statement.get("Sid") == "PublishExports")
    assert "s3:PutObjectTagging" in publish["Action"]
    assert [r["Fn::Sub"] for r in publish["Resource"]] == [
        "${FilesBucket.Arn}/environments/*/Temp/exports/*", "${FilesBucket.Arn}/environments/*/Downloads/*"]
