"""What a deployed template consists of: physical resources, functions and their event sources.

``deploy_template`` (in ``deployer``) returns a ``Deployment``; the function host, the pollers, the
schedule runner and the local API read everything they need from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ProvisionedResource:
    """A resource as the rest of the template sees it: its ``Ref`` value and ``Fn::GetAtt`` attributes."""

    logical_id: str
    type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FunctionSpec:
    """An ``AWS::Serverless::Function`` to host in-process."""

    logical_id: str
    function_name: str
    arn: str
    code_uri: Path
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    # EventInvokeConfig's OnFailure queue: where an asynchronous invocation that failed is recorded.
    async_failure_destination: str | None = None

    @property
    def handler_file(self) -> Path:
        """The file that defines the handler (``app.handler`` -> ``<CodeUri>/app.py``)."""
        module = self.handler.rsplit(".", 1)[0]
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class DynamoDBEventSource:
    """A ``DynamoDB`` event of a function: the table stream it consumes and how."""

    function: str
    event_name: str
    stream_arn: str
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = 100
    maximum_retry_attempts: int = -1
    report_batch_item_failures: bool = False
    bisect_batch_on_error: bool = False
    on_failure_arn: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class SqsEventSource:
    """An ``SQS`` event of a function: the queue it consumes and how."""

    function: str
    event_name: str
    queue_arn: str
    queue_url: str
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleEventSource:
    """A ``ScheduleV2`` event: a real schedule created in EventBridge Scheduler."""

    function: str
    event_name: str
    group: str
    name: str
    expression: str


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda authorizer of an API (``Auth.Authorizers.<name>``)."""

    name: str
    function: str
    payload_type: str
    identity_headers: tuple[str, ...]
    identity_query_strings: tuple[str, ...]
    ttl_seconds: int


@dataclass(frozen=True)
class ApiSpec:
    """An ``AWS::Serverless::Api``: its id, stage and authorizers."""

    logical_id: str
    rest_api_id: str
    stage: str
    default_authorizer: str | None
    authorizers: dict[str, AuthorizerSpec]


@dataclass(frozen=True)
class ApiRoute:
    """An ``Api`` event: method and path template routed to a function."""

    function: str
    event_name: str
    api: str
    path: str
    method: str
    authorizer: str | None


@dataclass
class Deployment:
    """The outcome of ``deploy_template``."""

    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, Any]
    resources: dict[str, ProvisionedResource] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    stream_sources: list[DynamoDBEventSource] = field(default_factory=list)
    queue_sources: list[SqsEventSource] = field(default_factory=list)
    schedules: list[ScheduleEventSource] = field(default_factory=list)
    apis: dict[str, ApiSpec] = field(default_factory=dict)
    routes: list[ApiRoute] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def physical_name(self, logical_id: str) -> Any:
        """The ``Ref`` value of a provisioned resource (table name, bucket name, queue URL, ...)."""
        return self.resources[logical_id].ref

    def attribute(self, logical_id: str, attribute: str) -> Any:
        return self.resources[logical_id].attributes[attribute]

    def names_of_type(self, resource_type: str) -> dict[str, Any]:
        """``{logical id: Ref value}`` of every provisioned resource of one type."""
        return {key: res.ref for key, res in self.resources.items() if res.type == resource_type}
