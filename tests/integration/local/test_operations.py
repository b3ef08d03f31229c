"""Operations on the hosted functions (moto in-process): alarms that can fire, failed invocations kept, and each
function logging under its own service name although all share one process."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pimtasks.observability import logger as pimtasks_logger
from pimtasks.wiring import access_service, clear_caches
from pimtasks_local.api_server import LocalApi
from pimtasks_local.cloudwatch_metrics import CloudWatchMetricsSink
from pimtasks_local.deployer import deploy_template
from pimtasks_local.deployment import Deployment
from pimtasks_local.functions import LOCAL_DEFAULTS, FunctionHost, union_environment
from werkzeug.test import Client

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"
STACK = "pimtasks-ops"
ETIM_TASK = {
    "type": "import_etim", "description": "Weekly ETIM classification",
    "frequency": {"every": "week", "days": ["MON"], "time": "12:53", "timezone": "Europe/Amsterdam"},
    "notification": {"emails": [], "when": "never"},
    # Nothing listens on port 9 of the loopback: whatever the ETIM work does, the run fails at once.
    "settings": {"client_id": "client", "client_secret": "etim-secret", "languages": ["EN"],
                 "api_url": "http://127.0.0.1:9", "auth_url": "http://127.0.0.1:9"},
}


@dataclass
class ForwardingInvoker:
    """The task functions' asynchronous invocations, delivered to the function host (moto runs no Lambda code)."""

    host: FunctionHost
    prefix: str
    futures: list[Future[Any]] = field(default_factory=list)

    def invoke_async(self, *, function: str, payload: dict[str, Any]) -> None:
        self.futures.append(self.host.invoke_async(f"{self.prefix}{function}", payload))

    def settle(self) -> None:
        while pending := [f for f in self.futures if not f.done()]:
            wait(pending, timeout=30)


@dataclass
class HostedStack:
    """The template deployed into moto, its functions hosted in this process, the local API in front."""

    deployment: Deployment
    host: FunctionHost
    invoker: ForwardingInvoker
    api: Client
    admin_key: str
    aws: Callable[[str], Any]
    logs: io.StringIO

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.api.open(path, method=method, json=body, headers={"x-api-key": self.admin_key})
        return response.status_code, json.loads(response.get_data(as_text=True) or "null")

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs.getvalue().splitlines() if line.startswith("{")]


@pytest.fixture
def stack(aws: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[HostedStack]:
    deployment = deploy_template(TEMPLATE, stack_name=STACK, parameters={}, clients=aws)
    # The functions' environment as the host gives it (the union of the template's variables).
    for name, value in {**LOCAL_DEFAULTS, **union_environment(deployment.functions.values())}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    clear_caches()
    host = FunctionHost(deployment.functions.values(), environ={}, metrics_sink=CloudWatchMetricsSink(aws))
    invoker = ForwardingInvoker(host, prefix=f"{STACK}-task-")
    monkeypatch.setattr("pimtasks.wiring.function_invoker", lambda: invoker)
    access = access_service()
    access.create_environment(environment="000001", name="Demo")
    admin = access.issue_api_key(environments=["000001"], admin=True, description="admin")
    logs = io.StringIO()
    stream = pimtasks_logger.registered_handler.setStream(logs)  # type: ignore[attr-defined]
    yield HostedStack(deployment=deployment, host=host, invoker=invoker, api=Client(LocalApi(deployment=deployment,
                      host=host)), admin_key=admin.api_key, aws=aws, logs=logs)
    pimtasks_logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    host.close()
    clear_caches()


def fail_a_run(stack: HostedStack) -> dict[str, Any]:
    """Start an ETIM task whose API cannot be reached: its run ends failed (and the finisher counts RunsFailed)."""
    status, secret = stack.call("PUT", "/environments/000001/secrets/etim-secret", {"value": "s3cr3t"})
    assert status == 200, secret
    status, task = stack.call("POST", "/environments/000001/tasks", ETIM_TASK)
    assert status == 201, task
    status, started = stack.call("POST", f"/environments/000001/tasks/{task['task_id']}/start")
    assert status == 202, started
    stack.invoker.settle()
    status, run = stack.call("GET", f"/environments/000001/runs/{started['run_id']}")
    assert run["status"] == "failed", run
    return dict(run)


def _alarms(stack: HostedStack) -> list[dict[str, Any]]:
    names = {resource.ref for resource in stack.deployment.resources.values()
             if resource.type == "AWS::CloudWatch::Alarm"}
    alarms = stack.aws("cloudwatch").describe_alarms(AlarmNames=sorted(names))["MetricAlarms"]
    assert len(alarms) == len(names) >= 5
    return list(alarms)


def _dimension_set(dimensions: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(d["Name"], d["Value"]) for d in dimensions}


def test_every_alarm_watches_a_metric_that_exists_with_its_exact_dimensions(stack: HostedStack) -> None:
    # given every event an alarm of ours is about (the only one with a metric of our own: a failed run)
    fail_a_run(stack)
    cloudwatch, sqs = stack.aws("cloudwatch"), stack.aws("sqs")

    for alarm in _alarms(stack):
        wanted = _dimension_set(alarm["Dimensions"])
        if alarm["Namespace"] == "AWS/SQS":
            # AWS emits these for every queue; the alarm must name a queue of this stack.
            [(name, queue)] = wanted
            assert name == "QueueName" and sqs.get_queue_url(QueueName=queue)["QueueUrl"], alarm["AlarmName"]
            continue
        # then the code emitted the alarm's metric with exactly the alarm's dimensions (CloudWatch's matching)
        emitted = cloudwatch.list_metrics(Namespace=alarm["Namespace"], MetricName=alarm["MetricName"])["Metrics"]
        assert wanted in [_dimension_set(m["Dimensions"]) for m in emitted], (
            f"{alarm['AlarmName']} watches {alarm['Namespace']}/{alarm['MetricName']} {sorted(wanted)}; the code "
            f"emitted {[sorted(_dimension_set(m['Dimensions'])) for m in emitted]}")


def test_the_failed_runs_alarm_fires_when_a_run_fails(stack: HostedStack) -> None:
    alarm_name = stack.deployment.physical_name("FailedRunsAlarm")
    cloudwatch = stack.aws("cloudwatch")
    assert cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]["StateValue"] != "ALARM"

    fail_a_run(stack)

    [alarm] = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM", alarm.get("StateReason")
    statistics = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=alarm["Dimensions"],
        StartTime=time.time() - 3600, EndTime=time.time() + 60, Period=alarm["Period"], Statistics=["Sum"])
    assert sum(point["Sum"] for point in statistics["Datapoints"]) == 1


def test_a_task_invocation_that_fails_is_kept_in_the_dead_letter_queue(stack: HostedStack) -> None:
    etim = stack.deployment.functions["EtimFunction"]
    assert etim.async_failure_destination == stack.deployment.attribute("TaskInvocationsDeadLetterQueue", "Arn")

    failed = stack.host.invoke_async(etim.function_name, {"not": "a trigger"})
    wait([failed], timeout=30)

    queue = stack.deployment.physical_name("TaskInvocationsDeadLetterQueue")
    messages = stack.aws("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    [record] = [json.loads(m["Body"]) for m in messages]
    assert record["requestPayload"] == {"not": "a trigger"}
    assert record["requestContext"]["functionArn"].startswith(etim.arn)
    assert record["responsePayload"]["errorType"] == "ValidationError"


def test_each_hosted_function_logs_under_its_own_service_name(stack: HostedStack) -> None:
    # given two functions that log: the API (an FTPS user is created) and a task function (its run ends)
    assert stack.call("POST", "/environments/000001/ftps-users", {"username": "supplier-acme"})[0] == 201
    run = fail_a_run(stack)

    lines = stack.log_lines()
    service_of = {spec.function_name: spec.environment["POWERTOOLS_SERVICE_NAME"]
                  for spec in stack.deployment.functions.values()}
    assert {(line["function_name"], line["service"]) for line in lines} == {
        (f"{STACK}-api", "api"), (f"{STACK}-task-etim", "etim")}
    assert all(line["service"] == service_of[line["function_name"]] for line in lines)
    ended = [line for line in lines if line["message"] == "run ended"]
    assert [(line["service"], line["run_id"]) for line in ended] == [("etim", run["run_id"])]
