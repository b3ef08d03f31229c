"""Provisioning a SAM template into any boto3 endpoint (moto server, ``moto.mock_aws``, ...).

``deploy_template(template_path, *, stack_name, parameters, clients)`` creates the template's tables,
buckets, queues, roles, schedule groups, topics and alarms in dependency order, registers its functions
(they are hosted in-process, not in Lambda) and their event sources, and returns a ``Deployment``.
Physical names are deterministic (``<stack>-<LogicalId>`` when the template gives none), so running it
against a fresh emulator always gives the same names. Resource types it does not provision are
recorded in ``Deployment.skipped`` and logged once.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pimtasks_local.deployment import (
    ApiRoute,
    ApiSpec,
    AuthorizerSpec,
    Deployment,
    DynamoDBEventSource,
    FunctionSpec,
    ProvisionedResource,
    ScheduleEventSource,
    SqsEventSource,
)
from pimtasks_local.template import Evaluator, TemplateError, load_template, references, resolve_parameters

LOGGER = logging.getLogger(__name__)

DEFAULT_REGION = "eu-west-1"
DEFAULT_ACCOUNT_ID = "123456789012"
LOCAL_MAIL_SENDER = "pimtasks@example.com"
"""The reports' sender on the local stack (its SES accepts any address it verified, this one is verified)."""
ClientFactory = Callable[[str], Any]
"""``clients("dynamodb")`` -> a boto3 client for that service."""

_SERVERLESS_FUNCTION = "AWS::Serverless::Function"
_NOT_PROVISIONED = {
    "AWS::Serverless::LayerVersion": "layers are code; the local stack imports the package directly",
    "AWS::Serverless::Api": "served by the local API server from the functions' Api events",
    "AWS::Lambda::LayerVersion": "layers are code; the local stack imports the package directly",
    "AWS::Lambda::Permission": "permissions are not enforced locally",
    "AWS::ApiGateway::Account": "the account's API Gateway logging role; the local API writes no access log",
}


def deploy_template(
    template_path: str | Path,
    *,
    stack_name: str,
    parameters: Mapping[str, str] | None = None,
    clients: ClientFactory,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    mail_sender_parameter: str | None = "MailSender",
) -> Deployment:
    """Provision ``template_path`` through ``clients`` and describe the result.

    ``mail_sender_parameter`` names the parameter whose address is verified in SES (always, whatever the
    template's conditions say), because the emulator refuses mail from unverified senders.
    """
    template_path = Path(template_path).resolve()
    template = load_template(template_path)
    deployer = _Deployer(
        template,
        template_dir=template_path.parent,
        stack_name=stack_name,
        parameters=resolve_parameters(template, local_parameters(template, stack_name=stack_name, given=parameters)),
        clients=clients,
        region=region,
        account_id=account_id,
    )
    deployment = deployer.deploy()
    if mail_sender_parameter and mail_sender_parameter in deployment.parameters:
        _verify_mail_identity(clients("ses"), str(deployment.parameters[mail_sender_parameter]))
    return deployment


def local_parameters(
    template: Mapping[str, Any], *, stack_name: str, given: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``given``, plus local values for the template's required parameters that the local stack can fill in.

    A deploy to AWS must name a real sender and a bucket prefix (the template has no defaults for them); the
    local stack sends into its own SES and names its buckets after the stack, as a user would.
    """
    declared: Mapping[str, Any] = template.get("Parameters") or {}
    locals_ = {"MailSender": LOCAL_MAIL_SENDER, "BucketNamePrefix": stack_name.lower()[:27].strip("-")}
    values = {name: value for name, value in locals_.items() if name in declared and "Default" not in declared[name]}
    values.update(given or {})
    return values


def function_arn(*, region: str, account_id: str, function_name: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"


def _verify_mail_identity(ses: Any, identity: str) -> None:
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _bool_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class _Deployer:
    def __init__(
        self,
        template: dict[str, Any],
        *,
        template_dir: Path,
        stack_name: str,
        parameters: dict[str, Any],
        clients: ClientFactory,
        region: str,
        account_id: str,
    ) -> None:
        self._template = template
        self._template_dir = template_dir
        self._resources_declared: dict[str, Any] = template.get("Resources") or {}
        self._clients = clients
        self._deployment = Deployment(
            stack_name=stack_name, region=region, account_id=account_id, parameters=dict(parameters)
        )
        pseudo = {
            "AWS::AccountId": account_id,
            "AWS::NotificationARNs": [],
            "AWS::Partition": "aws",
            "AWS::Region": region,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::StackName": stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        self._evaluator = Evaluator(
            template, parameters=parameters, pseudo=pseudo, ref=self._ref, get_att=self._get_att
        )
        self._provisioners: dict[str, Callable[[str, dict[str, Any]], ProvisionedResource]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::S3::BucketPolicy": self._bucket_policy,
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::IAM::Role": self._role,
            "AWS::Scheduler::ScheduleGroup": self._schedule_group,
            "AWS::SES::EmailIdentity": self._email_identity,
            "AWS::SNS::Topic": self._topic,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::Logs::LogGroup": self._log_group,
            _SERVERLESS_FUNCTION: self._function,
        }
        self._skipped_types_logged: set[str] = set()
        self._function_events: dict[str, dict[str, Any]] = {}

    # --- orchestration ---------------------------------------------------------------------------

    def deploy(self) -> Deployment:
        for logical_id in self._order():
            declared = self._resources_declared[logical_id]
            condition = declared.get("Condition")
            if condition and not self._evaluator.condition(str(condition)):
                self._deployment.skipped[logical_id] = f"condition {condition} is false"
                continue
            resource_type = str(declared.get("Type"))
            provisioner = self._provisioners.get(resource_type)
            if provisioner is None:
                self._skip(logical_id, resource_type, declared)
                continue
            properties = self._properties(logical_id, declared)
            self._deployment.resources[logical_id] = provisioner(logical_id, properties)
        self._wire_events()
        self._deployment.outputs = self._outputs()
        return self._deployment

    def _order(self) -> list[str]:
        names = set(self._resources_declared)
        graph: dict[str, set[str]] = {}
        for logical_id, declared in self._resources_declared.items():
            depends = declared.get("DependsOn") or []
            depends = [depends] if isinstance(depends, str) else list(depends)
            graph[logical_id] = (references(declared.get("Properties")) & names) | set(depends)
            if declared.get("Type") == _SERVERLESS_FUNCTION:
                graph[logical_id] |= references(self._template.get("Globals", {}).get("Function")) & names
        # TopologicalSorter keeps insertion order among ready nodes, so template order breaks ties.
        try:
            return list(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError as exc:
            raise TemplateError(f"circular references between resources: {exc.args[1]}") from exc

    def _properties(self, logical_id: str, declared: Mapping[str, Any]) -> dict[str, Any]:
        raw = dict(declared.get("Properties") or {})
        if declared.get("Type") == _SERVERLESS_FUNCTION:
            raw = _merge_globals(self._template.get("Globals", {}).get("Function") or {}, raw)
        try:
            resolved = self._evaluator.resolve(raw)
        except TemplateError as exc:
            raise TemplateError(f"{logical_id}: {exc}") from exc
        return dict(resolved)

    def _skip(self, logical_id: str, resource_type: str, declared: Mapping[str, Any]) -> None:
        reason = _NOT_PROVISIONED.get(resource_type, "not provisioned by the local stack")
        self._deployment.skipped[logical_id] = f"{resource_type}: {reason}"
        properties: dict[str, Any] = {}
        try:
            properties = self._properties(logical_id, declared)
        except TemplateError as exc:
            LOGGER.warning("properties of skipped resource %s not evaluated: %s", logical_id, exc)
        ref = self._placeholder_ref(logical_id, resource_type, properties)
        self._deployment.resources[logical_id] = ProvisionedResource(logical_id, resource_type, ref, {})
        if resource_type == "AWS::Serverless::Api":
            self._deployment.apis[logical_id] = self._api_spec(logical_id, ref, properties)
        if resource_type not in self._skipped_types_logged:
            self._skipped_types_logged.add(resource_type)
            LOGGER.info("skipping resources of type %s (%s)", resource_type, reason)

    def _placeholder_ref(self, logical_id: str, resource_type: str, properties: Mapping[str, Any]) -> str:
        digest = hashlib.sha256(f"{self._deployment.stack_name}/{logical_id}".encode()).hexdigest()
        if resource_type in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            name = properties.get("LayerName") or self._generated_name(logical_id)
            return f"arn:aws:lambda:{self._deployment.region}:{self._deployment.account_id}:layer:{name}:1"
        if resource_type == "AWS::Serverless::Api":
            # API ids are 10 lower-case alphanumerics; a digest of stack and logical id keeps it stable.
            return "".join(c for c in digest if c.isalnum())[:10]
        return f"{self._generated_name(logical_id)}-{digest[:8]}"

    def _generated_name(self, logical_id: str, limit: int = 128) -> str:
        return f"{self._deployment.stack_name}-{logical_id}"[:limit]

    # --- reference answers -----------------------------------------------------------------------

    def _provisioned(self, logical_id: str) -> ProvisionedResource:
        resource = self._deployment.resources.get(logical_id)
        if resource is None:
            reason = self._deployment.skipped.get(logical_id, "not provisioned yet")
            raise TemplateError(f"{logical_id} is referenced but not available ({reason})")
        return resource

    def _ref(self, logical_id: str) -> Any:
        return self._provisioned(logical_id).ref

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self._provisioned(logical_id)
        if attribute not in resource.attributes:
            raise TemplateError(f"{logical_id} ({resource.type}) has no attribute {attribute} locally")
        return resource.attributes[attribute]

    # --- DynamoDB --------------------------------------------------------------------------------

    def _table(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        dynamodb = self._clients("dynamodb")
        name = str(props.get("TableName") or self._generated_name(logical_id, 255))
        billing = str(props.get("BillingMode", "PROVISIONED"))
        arguments: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": billing,
        }
        throughput = props.get("ProvisionedThroughput")
        if billing == "PROVISIONED":
            arguments["ProvisionedThroughput"] = _throughput(throughput)
        indexes = []
        for index in props.get("GlobalSecondaryIndexes") or []:
            index = dict(index)
            if billing == "PROVISIONED":
                index["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
            else:
                index.pop("ProvisionedThroughput", None)
            index.pop("ContributorInsightsSpecification", None)
            indexes.append(index)
        if indexes:
            arguments["GlobalSecondaryIndexes"] = indexes
        if props.get("LocalSecondaryIndexes"):
            arguments["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
        stream = props.get("StreamSpecification")
        if stream:
            arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        sse = props.get("SSESpecification")
        if sse:
            arguments["SSESpecification"] = {"Enabled": _as_bool(sse.get("SSEEnabled", False))}
        if props.get("Tags"):
            arguments["Tags"] = props["Tags"]
        try:
            description = dynamodb.create_table(**arguments)["TableDescription"]
        except ClientError as exc:
            if _error_code(exc) != "ResourceInUseException":
                raise
            description = _bring_table_up_to_date(dynamodb, arguments)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and _as_bool(ttl.get("Enabled", False)):
            self._ignore_existing(
                lambda: dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
                ),
                codes=("ValidationException",),
            )
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr and _as_bool(pitr.get("PointInTimeRecoveryEnabled", False)):
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        attributes = {"Arn": description["TableArn"]}
        if description.get("LatestStreamArn"):
            attributes["StreamArn"] = description["LatestStreamArn"]
        LOGGER.debug("table %s -> %s", logical_id, name)
        return ProvisionedResource(logical_id, "AWS::DynamoDB::Table", name, attributes)

    # --- S3 --------------------------------------------------------------------------------------

    def _bucket(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        s3 = self._clients("s3")
        name = str(props.get("BucketName") or self._generated_name(logical_id, 63).lower())
        arguments: dict[str, Any] = {"Bucket": name}
        if self._deployment.region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self._deployment.region}
        self._ignore_existing(lambda: s3.create_bucket(**arguments),
                              codes=("BucketAlreadyOwnedByYou", "BucketAlreadyExists"))
        encryption = props.get("BucketEncryption")
        if encryption:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
                "Rules": [_encryption_rule(rule) for rule in encryption["ServerSideEncryptionConfiguration"]]})
        if props.get("PublicAccessBlockConfiguration"):
            s3.put_public_access_block(Bucket=name,
                                       PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
        if props.get("OwnershipControls"):
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if props.get("VersioningConfiguration"):
            s3.put_bucket_versioning(Bucket=name,
                                     VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]})
        lifecycle = props.get("LifecycleConfiguration")
        if lifecycle:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in lifecycle["Rules"]]})
        if props.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": props["Tags"]})
        notification = props.get("NotificationConfiguration")
        if notification:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration=self._notification(logical_id, notification))
        attributes = {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self._deployment.region}.amazonaws.com",
        }
        return ProvisionedResource(logical_id, "AWS::S3::Bucket", name, attributes)

    def _notification(self, logical_id: str, notification: Mapping[str, Any]) -> dict[str, Any]:
        converted: dict[str, Any] = {}
        queues = [
            {"QueueArn": item["Queue"], "Events": [item["Event"]], **_notification_filter(item)}
            for item in notification.get("QueueConfigurations") or []
        ]
        if queues:
            converted["QueueConfigurations"] = queues
        topics = [
            {"TopicArn": item["Topic"], "Events": [item["Event"]], **_notification_filter(item)}
            for item in notification.get("TopicConfigurations") or []
        ]
        if topics:
            converted["TopicConfigurations"] = topics
        if notification.get("LambdaConfigurations"):
            LOGGER.warning("%s: S3 notifications to Lambda are not delivered locally; route them through SQS",
                           logical_id)
        if notification.get("EventBridgeConfiguration"):
            converted["EventBridgeConfiguration"] = {}
        return converted

    def _bucket_policy(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        bucket = str(props["Bucket"])
        document = dict(props["PolicyDocument"])
        statements = document.get("Statement") or []
        statements = [statements] if isinstance(statements, dict) else list(statements)
        # moto evaluates a statement's Condition as "not met" when the request lacks the context key, and
        # then answers DENIED even for an Allow; a conditional statement (e.g. a TLS-only Deny on
        # aws:SecureTransport) would so deny every request. Such statements are left out locally.
        conditional = [s.get("Sid", f"#{i}") for i, s in enumerate(statements) if s.get("Condition")]
        if conditional:
            LOGGER.info("%s: conditional statements %s not applied locally (the emulator cannot evaluate them)",
                        logical_id, conditional)
        document["Statement"] = [s for s in statements if not s.get("Condition")]
        if document["Statement"]:
            self._clients("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
        return ProvisionedResource(logical_id, "AWS::S3::BucketPolicy", bucket, {})

    # --- SQS -------------------------------------------------------------------------------------

    def _queue(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        sqs = self._clients("sqs")
        fifo = _as_bool(props.get("FifoQueue", False))
        name = str(props.get("QueueName") or self._generated_name(logical_id, 75 if fifo else 80))
        if fifo and not name.endswith(".fifo"):
            name += ".fifo"
        attributes: dict[str, str] = {}
        for key, value in props.items():
            if key in ("QueueName", "Tags"):
                continue
            attributes[key] = json.dumps(value) if isinstance(value, dict) else _bool_text(value)
        tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags") or []}
        arguments: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        if tags:
            arguments["tags"] = tags
        try:
            url = sqs.create_queue(**arguments)["QueueUrl"]
        except ClientError as exc:
            if _error_code(exc) not in ("QueueAlreadyExists", "QueueNameExists"):
                raise
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return ProvisionedResource(logical_id, "AWS::SQS::Queue", url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _queue_policy(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        sqs = self._clients("sqs")
        for url in props["Queues"]:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
        return ProvisionedResource(logical_id, "AWS::SQS::QueuePolicy", logical_id, {})

    # --- IAM -------------------------------------------------------------------------------------

    def _role(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        iam = self._clients("iam")
        name = str(props.get("RoleName") or self._generated_name(logical_id, 64))
        arguments: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": json.dumps(props["AssumeRolePolicyDocument"]),
            "Path": props.get("Path", "/"),
        }
        if props.get("Description"):
            arguments["Description"] = props["Description"]
        try:
            role = iam.create_role(**arguments)["Role"]
        except ClientError as exc:
            if _error_code(exc) != "EntityAlreadyExists":
                raise
            role = iam.get_role(RoleName=name)["Role"]
        for policy in props.get("Policies") or []:
            iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                                PolicyDocument=json.dumps(policy["PolicyDocument"]))
        for managed in props.get("ManagedPolicyArns") or []:
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=managed)
            except ClientError as exc:
                # moto knows only some AWS managed policies; nothing local evaluates them anyway.
                level = logging.INFO if ":iam::aws:policy/" in str(managed) else logging.WARNING
                LOGGER.log(level, "%s: managed policy %s not attached locally (%s)", logical_id, managed, exc)
        return ProvisionedResource(logical_id, "AWS::IAM::Role", name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    # --- Scheduler, SES, SNS, CloudWatch ---------------------------------------------------------

    def _schedule_group(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        scheduler = self._clients("scheduler")
        name = str(props.get("Name") or self._generated_name(logical_id, 64))
        try:
            arn = scheduler.create_schedule_group(Name=name)["ScheduleGroupArn"]
        except ClientError as exc:
            if _error_code(exc) != "ConflictException":
                raise
            arn = scheduler.get_schedule_group(Name=name)["Arn"]
        return ProvisionedResource(logical_id, "AWS::Scheduler::ScheduleGroup", name, {"Arn": arn})

    def _email_identity(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        identity = str(props["EmailIdentity"])
        _verify_mail_identity(self._clients("ses"), identity)
        return ProvisionedResource(logical_id, "AWS::SES::EmailIdentity", identity, {})

    def _topic(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        sns = self._clients("sns")
        name = str(props.get("TopicName") or self._generated_name(logical_id, 256))
        attributes = {
            key: _bool_text(props[key])
            for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication")
            if key in props
        }
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        for subscription in props.get("Subscription") or []:
            sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
        return ProvisionedResource(logical_id, "AWS::SNS::Topic", arn, {"TopicArn": arn, "TopicName": name})

    def _alarm(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        name = str(props.get("AlarmName") or self._generated_name(logical_id, 255))
        arguments = {key: value for key, value in props.items() if key != "AlarmName"}
        for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if key in arguments:
                arguments[key] = int(arguments[key])
        if "Threshold" in arguments:
            arguments["Threshold"] = float(arguments["Threshold"])
        if "ActionsEnabled" in arguments:
            arguments["ActionsEnabled"] = _as_bool(arguments["ActionsEnabled"])
        self._clients("cloudwatch").put_metric_alarm(AlarmName=name, **arguments)
        arn = f"arn:aws:cloudwatch:{self._deployment.region}:{self._deployment.account_id}:alarm:{name}"
        return ProvisionedResource(logical_id, "AWS::CloudWatch::Alarm", name, {"Arn": arn})

    def _log_group(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        logs = self._clients("logs")
        name = str(props.get("LogGroupName") or self._generated_name(logical_id, 512))
        self._ignore_existing(lambda: logs.create_log_group(logGroupName=name),
                              codes=("ResourceAlreadyExistsException",))
        if props.get("RetentionInDays"):
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
        arn = f"arn:aws:logs:{self._deployment.region}:{self._deployment.account_id}:log-group:{name}:*"
        return ProvisionedResource(logical_id, "AWS::Logs::LogGroup", name, {"Arn": arn})

    # --- functions -------------------------------------------------------------------------------

    def _function(self, logical_id: str, props: dict[str, Any]) -> ProvisionedResource:
        name = str(props.get("FunctionName") or self._generated_name(logical_id, 64))
        arn = function_arn(region=self._deployment.region, account_id=self._deployment.account_id, function_name=name)
        variables = (props.get("Environment") or {}).get("Variables") or {}
        code_uri = props.get("CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id}: CodeUri must be a local folder for the local stack")
        self._deployment.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            function_name=name,
            arn=arn,
            code_uri=(self._template_dir / code_uri).resolve(),
            handler=str(props["Handler"]),
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={key: _bool_text(value) for key, value in variables.items()},
            async_failure_destination=_async_failure_destination(props.get("EventInvokeConfig")),
        )
        self._function_events[logical_id] = dict(props.get("Events") or {})
        return ProvisionedResource(logical_id, _SERVERLESS_FUNCTION, name, {"Arn": arn})

    # --- event sources ---------------------------------------------------------------------------

    def _wire_events(self) -> None:
        for logical_id, events in self._function_events.items():
            for event_name, event in events.items():
                kind = event.get("Type")
                props = event.get("Properties") or {}
                if kind == "DynamoDB":
                    self._deployment.stream_sources.append(_stream_source(logical_id, event_name, props))
                elif kind == "SQS":
                    self._deployment.queue_sources.append(self._queue_source(logical_id, event_name, props))
                elif kind == "ScheduleV2":
                    self._deployment.schedules.append(self._schedule(logical_id, event_name, props))
                elif kind == "Api":
                    self._deployment.routes.append(self._route(logical_id, event_name, props))
                else:
                    LOGGER.warning("%s.%s: event type %s is not run locally", logical_id, event_name, kind)

    def _queue_source(self, function: str, event_name: str, props: Mapping[str, Any]) -> SqsEventSource:
        arn = str(props["Queue"])
        url = next((res.ref for res in self._deployment.resources.values()
                    if res.type == "AWS::SQS::Queue" and res.attributes.get("Arn") == arn), None)
        if url is None:
            account, name = arn.split(":")[4], arn.split(":")[5]
            url = self._clients("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        return SqsEventSource(
            function=function,
            event_name=event_name,
            queue_arn=arn,
            queue_url=str(url),
            batch_size=int(props.get("BatchSize", 10)),
            report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            enabled=_as_bool(props.get("Enabled", True)),
        )

    def _schedule(self, function: str, event_name: str, props: Mapping[str, Any]) -> ScheduleEventSource:
        scheduler = self._clients("scheduler")
        spec = self._deployment.functions[function]
        name = str(props.get("Name") or f"{function}{event_name}")[:64]
        group = str(props.get("GroupName") or "default")
        target: dict[str, Any] = {
            "Arn": spec.arn,
            "RoleArn": str(props.get("RoleArn") or self._schedule_role(function, event_name)),
            "Input": str(props.get("Input") or "{}"),
        }
        if props.get("RetryPolicy"):
            target["RetryPolicy"] = {key: int(value) for key, value in props["RetryPolicy"].items()}
        dead_letter = props.get("DeadLetterConfig") or {}
        if dead_letter.get("Arn"):
            target["DeadLetterConfig"] = {"Arn": dead_letter["Arn"]}
        elif dead_letter.get("Type") == "SQS":
            target["DeadLetterConfig"] = {"Arn": self._schedule_dead_letter_queue(function, event_name, dead_letter)}
        arguments: dict[str, Any] = {
            "Name": name,
            "GroupName": group,
            "ScheduleExpression": str(props["ScheduleExpression"]),
            "FlexibleTimeWindow": props.get("FlexibleTimeWindow") or {"Mode": "OFF"},
            "Target": target,
            "State": str(props.get("State", "ENABLED")),
        }
        for key in ("ScheduleExpressionTimezone", "Description", "KmsKeyArn"):
            if props.get(key):
                arguments[key] = str(props[key])
        for key in ("StartDate", "EndDate"):
            if props.get(key):
                arguments[key] = _as_datetime(props[key])
        try:
            scheduler.create_schedule(**arguments)
        except ClientError as exc:
            if _error_code(exc) != "ConflictException":
                raise
            scheduler.update_schedule(**arguments)
        return ScheduleEventSource(function, event_name, group, name, arguments["ScheduleExpression"])

    def _schedule_role(self, function: str, event_name: str) -> str:
        """SAM makes an execution role for a ScheduleV2 event without RoleArn; so do we."""
        props = {
            "RoleName": f"{self._deployment.stack_name}-{function}{event_name}Role"[:64],
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            },
        }
        role = self._role(f"{function}{event_name}Role", props)
        return str(role.attributes["Arn"])

    def _schedule_dead_letter_queue(self, function: str, event_name: str, config: Mapping[str, Any]) -> str:
        logical_id = f"{function}{event_name}Queue"
        props = {"QueueName": config.get("QueueLogicalId") or self._generated_name(logical_id, 80)}
        queue = self._queue(logical_id, props)
        self._deployment.resources[logical_id] = queue
        return str(queue.attributes["Arn"])

    def _route(self, function: str, event_name: str, props: Mapping[str, Any]) -> ApiRoute:
        api_id = props.get("RestApiId")
        api = next((key for key, spec in self._deployment.apis.items() if spec.rest_api_id == api_id), None)
        if api is None:
            api = "ServerlessRestApi"
            self._deployment.apis.setdefault(api, ApiSpec(api, "localapi01", "Prod", None, {}))
        auth = props.get("Auth") or {}
        authorizer = auth.get("Authorizer", self._deployment.apis[api].default_authorizer)
        if authorizer in ("NONE", "AWS_IAM"):
            if authorizer == "AWS_IAM":
                LOGGER.warning("%s.%s: AWS_IAM auth is not checked locally", function, event_name)
            authorizer = None
        return ApiRoute(
            function=function,
            event_name=event_name,
            api=api,
            path=str(props["Path"]),
            method=str(props["Method"]).upper(),
            authorizer=authorizer,
        )

    def _api_spec(self, logical_id: str, rest_api_id: str, props: Mapping[str, Any]) -> ApiSpec:
        auth = props.get("Auth") or {}
        authorizers: dict[str, AuthorizerSpec] = {}
        for name, config in (auth.get("Authorizers") or {}).items():
            function_arn_value = str(config.get("FunctionArn", ""))
            function = next((key for key, spec in self._deployment.functions.items()
                             if spec.arn == function_arn_value), None)
            if function is None:
                LOGGER.warning("%s: authorizer %s points at %s, which is not a function of this template",
                               logical_id, name, function_arn_value)
                continue
            identity = config.get("Identity") or {}
            payload_type = str(config.get("FunctionPayloadType", "TOKEN")).upper()
            headers = identity.get("Headers") or ([identity.get("Header", "Authorization")]
                                                  if payload_type == "TOKEN" else [])
            authorizers[name] = AuthorizerSpec(
                name=name,
                function=function,
                payload_type=payload_type,
                identity_headers=tuple(str(h) for h in headers),
                identity_query_strings=tuple(str(q) for q in identity.get("QueryStrings") or []),
                ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
            )
        return ApiSpec(
            logical_id=logical_id,
            rest_api_id=rest_api_id,
            stage=str(props.get("StageName", "Prod")),
            default_authorizer=auth.get("DefaultAuthorizer"),
            authorizers=authorizers,
        )

    def _outputs(self) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        for name, output in (self._template.get("Outputs") or {}).items():
            condition = output.get("Condition")
            if condition and not self._evaluator.condition(str(condition)):
                continue
            try:
                outputs[name] = self._evaluator.resolve(output.get("Value"))
            except TemplateError as exc:
                LOGGER.info("output %s has no local value: %s", name, exc)
        return outputs

    def _ignore_existing(self, call: Callable[[], Any], *, codes: tuple[str, ...]) -> None:
        try:
            call()
        except ClientError as exc:
            if _error_code(exc) not in codes:
                raise
            LOGGER.debug("already in place: %s", exc)


def _async_failure_destination(config: Mapping[str, Any] | None) -> str | None:
    """The SQS queue ARN of an ``EventInvokeConfig``'s ``OnFailure`` destination (other kinds are not run locally)."""
    on_failure = ((config or {}).get("DestinationConfig") or {}).get("OnFailure") or {}
    if not on_failure.get("Destination"):
        return None
    if on_failure.get("Type", "SQS") != "SQS":
        LOGGER.warning("OnFailure destination of type %s is not delivered locally", on_failure.get("Type"))
        return None
    return str(on_failure["Destination"])


def _bring_table_up_to_date(dynamodb: Any, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """An existing table (kept from an earlier run of the local stack) given what the template added since:
    missing global secondary indexes and a missing stream. A different key schema cannot change in place;
    it is reported."""
    name = arguments["TableName"]
    description: dict[str, Any] = dynamodb.describe_table(TableName=name)["Table"]
    if description["KeySchema"] != arguments["KeySchema"]:
        LOGGER.warning("table %s (kept from an earlier run) has key schema %s, the template says %s; "
                       "start the local stack with --fresh to rebuild it", name, description["KeySchema"],
                       arguments["KeySchema"])
    existing = {index["IndexName"] for index in description.get("GlobalSecondaryIndexes") or []}
    added = [index for index in arguments.get("GlobalSecondaryIndexes") or [] if index["IndexName"] not in existing]
    for index in added:  # DynamoDB creates one index per update
        dynamodb.update_table(TableName=name, AttributeDefinitions=arguments["AttributeDefinitions"],
                              GlobalSecondaryIndexUpdates=[{"Create": index}])
        LOGGER.info("table %s: index %s added (new in the template)", name, index["IndexName"])
    stream = arguments.get("StreamSpecification")
    stream_added = bool(stream) and not (description.get("StreamSpecification") or {}).get("StreamEnabled")
    if stream_added:
        dynamodb.update_table(TableName=name, StreamSpecification=stream)
        LOGGER.info("table %s: stream enabled (new in the template)", name)
    if added or stream_added:
        description = dynamodb.describe_table(TableName=name)["Table"]
    return description


def _stream_source(function: str, event_name: str, props: Mapping[str, Any]) -> DynamoDBEventSource:
    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return DynamoDBEventSource(
        function=function,
        event_name=event_name,
        stream_arn=str(props["Stream"]),
        starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")),
        batch_size=int(props.get("BatchSize", 100)),
        maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        bisect_batch_on_error=_as_bool(props.get("BisectBatchOnFunctionError", False)),
        on_failure_arn=str(on_failure) if on_failure else None,
        enabled=_as_bool(props.get("Enabled", True)),
    )


def _merge_globals(globals_: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge (own wins), lists are global items then own items, scalars: own wins."""
    merged: dict[str, Any] = dict(globals_)
    for key, value in own.items():
        existing = merged.get(key)
        if isinstance(existing, dict) and isinstance(value, dict) and not _is_intrinsic(value):
            merged[key] = _merge_globals(existing, value)
        elif isinstance(existing, list) and isinstance(value, list):
            merged[key] = existing + value
        else:
            merged[key] = value
    return merged


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    return (len(value) == 1 and next(iter(value)) in ("Ref", "Condition")) or any(k.startswith("Fn::") for k in value)


def _throughput(value: Any) -> dict[str, int]:
    value = value or {}
    return {
        "ReadCapacityUnits": int(value.get("ReadCapacityUnits", 5)),
        "WriteCapacityUnits": int(value.get("WriteCapacityUnits", 5)),
    }


def _notification_filter(item: Mapping[str, Any]) -> dict[str, Any]:
    rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules")
    if not rules:
        return {}
    return {"Filter": {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}}


def _encryption_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation encryption rule in the shape of the S3 API."""
    converted: dict[str, Any] = {}
    if "ServerSideEncryptionByDefault" in rule:
        converted["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
    if "BucketKeyEnabled" in rule:
        converted["BucketKeyEnabled"] = _as_bool(rule["BucketKeyEnabled"])
    return converted


def _lifecycle_filter(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation rule's ``Prefix`` and ``TagFilters`` as the S3 API's ``Filter`` (one tag alone is ``Tag``;
    a tag with a prefix, or several tags, are ``And``)."""
    tags = [{"Key": t["Key"], "Value": str(t["Value"])} for t in rule.get("TagFilters") or ()]
    prefix = rule.get("Prefix", "")
    if not tags:
        return {"Prefix": prefix}
    if len(tags) == 1 and not prefix:
        return {"Tag": tags[0]}
    return {"And": {"Prefix": prefix, "Tags": tags}}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule in the shape of the S3 API."""
    converted: dict[str, Any] = {"Status": rule["Status"], "Filter": _lifecycle_filter(rule)}
    if rule.get("Id"):
        converted["ID"] = rule["Id"]
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpirationInDays" in rule:
        converted["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        converted["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
    return converted
