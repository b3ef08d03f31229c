"""The function host and the Lambda Invoke endpoint (called with a real boto3 Lambda client)."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from pimtasks_local.deployment import Deployment
from pimtasks_local.functions import FunctionError, FunctionHost, FunctionLoadError
from pimtasks_local.http_server import BackgroundServer
from pimtasks_local.lambda_endpoint import LambdaInvokeApp

from tests.integration.local.sample_stack import deploy_sample


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    return deploy_sample(tmp_path)


@pytest.fixture
def host(deployment: Deployment) -> Iterator[FunctionHost]:
    host = FunctionHost(deployment.functions.values(), environ={})
    host.prepare_environment()
    yield host
    host.close()


def test_the_environment_is_the_union_of_all_functions(deployment: Deployment,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    environ: dict[str, str] = {}
    with caplog.at_level(logging.WARNING):
        FunctionHost(deployment.functions.values(), environ=environ).prepare_environment()

    assert environ["SHARED"] == "shared-value" and environ["OWN"] == "echo-only"
    assert environ["CONFLICT"] == "first"
    assert "CONFLICT differs" in caplog.text
    assert "POWERTOOLS_SERVICE_NAME" not in environ


def test_a_handler_gets_a_lambda_context(host: FunctionHost) -> None:
    result = host.invoke("sample-echo", {"hello": "world"})

    assert result["echo"] == {"hello": "world"}
    context = result["context"]
    assert context["function_name"] == "sample-echo" and context["memory"] == 256
    assert context["arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:sample-echo"
    assert 9_000 < context["remaining"] <= 10_000


def test_a_broken_handler_fails_only_its_own_invocations(host: FunctionHost) -> None:
    failed = host.load_all()

    assert set(failed) == {"sample-broken"}
    with pytest.raises(FunctionError) as raised:
        host.invoke("sample-broken", {})
    assert isinstance(raised.value.error, FunctionLoadError)
    assert host.invoke("arn:aws:lambda:eu-west-1:123456789012:function:sample-echo", {"x": 1})["echo"] == {"x": 1}


def test_waiting_event_invocations_do_not_hold_up_the_next_one(host: FunctionHost, tmp_path: Path) -> None:
    # given twenty asynchronous invocations that wait (a minute's settles, a slow environment's runs)
    waiting = [host.invoke_async("sample-echo", {"wait_for": "go.flag", "write": f"waited-{i}.json"})
               for i in range(20)]

    # when one more is invoked
    quick = host.invoke_async("sample-echo", {"write": "quick.json"})

    # then it runs at once, while the others still wait
    assert quick.result(timeout=5)["echo"]["write"] == "quick.json"
    assert not any(future.done() for future in waiting)
    (tmp_path / "go.flag").write_text("go")
    assert all(future.result(timeout=10) for future in waiting)


@pytest.fixture
def lambda_client(host: FunctionHost) -> Iterator[Any]:
    server = BackgroundServer(LambdaInvokeApp(host), host="127.0.0.1", port=0, name="lambda-test").start()
    client = boto3.client("lambda", endpoint_url=server.url, region_name="eu-west-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(retries={"max_attempts": 1}))
    yield client
    server.stop()


def test_request_response_returns_the_result(lambda_client: Any) -> None:
    reply = lambda_client.invoke(FunctionName="sample-echo", Payload=json.dumps({"n": 1}).encode())

    assert reply["StatusCode"] == 200
    assert json.loads(reply["Payload"].read())["echo"] == {"n": 1}


def test_an_event_invocation_runs_in_the_background(lambda_client: Any, tmp_path: Path) -> None:
    started = time.monotonic()
    reply = lambda_client.invoke(
        FunctionName="arn:aws:lambda:eu-west-1:123456789012:function:sample-echo", InvocationType="Event",
        Payload=json.dumps({"sleep": 0.3, "write": "done.json"}).encode())

    assert reply["StatusCode"] == 202
    assert time.monotonic() - started < 0.3
    deadline = time.monotonic() + 5
    while not (tmp_path / "done.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads((tmp_path / "done.json").read_text())["write"] == "done.json"


def test_a_function_error_is_reported_like_lambda(lambda_client: Any) -> None:
    reply = lambda_client.invoke(FunctionName="sample-echo", Payload=b'{"fail": true}')

    assert reply["FunctionError"] == "Unhandled"
    error = json.load(io.BytesIO(reply["Payload"].read()))
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "asked to fail"


def test_an_unknown_function_is_not_found(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName="nowhere", InvocationType="Event", Payload=b"{}")
