"""The local API: HTTP requests through the real authorizer protocol to proxy-event handlers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.api_server import LocalApi
from pimtasks_local.deployment import Deployment
from pimtasks_local.functions import FunctionHost
from werkzeug.test import Client, TestResponse

from tests.integration.local.sample_stack import deploy_sample


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    return deploy_sample(tmp_path)


@pytest.fixture
def stack(deployment: Deployment) -> Iterator[tuple[Client, FunctionHost, Clock, list[Any]]]:
    host = FunctionHost(deployment.functions.values(), environ={})
    host.load_all()  # this test's handler modules replace those of earlier tests in sys.modules
    fired: list[Any] = []
    clock = Clock()

    def fire(environment: str, task_id: str, scheduled_time: str | None) -> dict[str, Any]:
        if task_id == "unknown":
            raise LookupError("no schedule task-unknown")
        fired.append((environment, task_id, scheduled_time))
        return {"payload": {"environment": environment, "task_id": task_id}}

    app = LocalApi(deployment=deployment, host=host, monotonic=clock,
                   mail_outbox=lambda: [{"from": "a@example.com", "subject": "hi"}], fire_task=fire)
    yield Client(app), host, clock, fired
    host.close()


def _body(response: TestResponse) -> Any:
    return json.loads(response.get_data(as_text=True))


def _authorizer_calls() -> list[Any]:
    return sys.modules["pimtasks_local_fn_AuthFunction"].CALLS  # type: ignore[no-any-return]


def test_a_public_route_needs_no_key(stack: Any) -> None:
    client, *_ = stack
    response = client.get("/public?a=1&a=2&b=x")

    assert response.status_code == 200
    event = _body(response)["event"]
    assert event["resource"] == "/public" and event["path"] == "/public" and event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["requestContext"]["stage"] == "v1" and "authorizer" not in event["requestContext"]
    assert response.headers.getlist("X-Multi") == ["a", "b"]


def test_a_request_without_a_key_is_401_without_calling_the_authorizer(stack: Any) -> None:
    client, *_ = stack
    response = client.get("/items/i1")

    assert response.status_code == 401 and _body(response) == {"message": "Unauthorized"}


def test_an_unknown_key_is_401(stack: Any) -> None:
    client, *_ = stack
    response = client.get("/items/i1", headers={"x-api-key": "nope"})

    assert response.status_code == 401 and _body(response) == {"message": "Unauthorized"}


def test_an_allowed_call_reaches_the_handler_with_the_authorizer_context(stack: Any) -> None:
    client, *_ = stack
    response = client.post("/items", json={"name": "thing"}, headers={"X-Api-Key": "good"})

    event = _body(response)["event"]
    assert response.status_code == 200
    assert json.loads(event["body"]) == {"name": "thing"} and event["isBase64Encoded"] is False
    assert event["headers"]["x-api-key"] == "good"
    assert event["requestContext"]["authorizer"] == {"principalId": "key-good", "admin": "false",
                                                     "environments": "000001", "count": "3"}
    authorizer_event = _authorizer_calls()[-1]
    assert authorizer_event["type"] == "REQUEST"
    assert authorizer_event["methodArn"].endswith("/v1/POST/items")


def test_path_parameters_and_the_most_specific_route(stack: Any) -> None:
    client, *_ = stack
    item = _body(client.get("/items/i%201", headers={"x-api-key": "good"}))["event"]
    special = _body(client.get("/items/special", headers={"x-api-key": "good"}))["event"]

    assert item["resource"] == "/items/{item_id}" and item["pathParameters"] == {"item_id": "i 1"}
    assert special["resource"] == "/items/special" and special["pathParameters"] is None


def test_an_explicit_deny_is_403(stack: Any) -> None:
    client, *_ = stack
    assert client.post("/items", headers={"x-api-key": "no-items"}).status_code == 200
    response = client.get("/items/i1", headers={"x-api-key": "no-items"})

    assert response.status_code == 403
    assert _body(response) == {"message": "User is not authorized to access this resource"}


def test_a_policy_without_a_matching_resource_is_403(stack: Any) -> None:
    client, *_ = stack
    assert client.get("/items/i1", headers={"x-api-key": "other"}).status_code == 403


def test_an_authorizer_crash_is_500(stack: Any) -> None:
    client, *_ = stack
    assert client.get("/items/i1", headers={"x-api-key": "crash"}).status_code == 500


def test_policies_are_cached_per_key_for_the_ttl(stack: Any) -> None:
    client, _, clock, _ = stack
    before = len(_authorizer_calls())
    client.get("/items/a", headers={"x-api-key": "cached"})
    client.get("/items/b", headers={"x-api-key": "cached"})
    assert len(_authorizer_calls()) == before + 1

    clock.now += 61
    client.get("/items/c", headers={"x-api-key": "cached"})
    assert len(_authorizer_calls()) == before + 2


def test_unknown_routes_and_wrong_methods(stack: Any) -> None:
    client, *_ = stack
    assert client.get("/nowhere").status_code == 404
    response = client.delete("/public")
    assert response.status_code == 405 and response.headers["Allow"] == "GET"


def test_local_endpoints_need_the_admin_key(stack: Any) -> None:
    client, _, _, fired = stack
    assert client.get("/_local/mail").status_code == 401
    assert client.get("/_local/mail", headers={"x-api-key": "good"}).status_code == 403

    mail = client.get("/_local/mail", headers={"x-api-key": "admin"})
    assert mail.status_code == 200 and _body(mail) == [{"from": "a@example.com", "subject": "hi"}]

    fire = client.post("/_local/fire/000001/t1", json={"scheduled_time": "2026-11-30T11:53:00Z"},
                       headers={"x-api-key": "admin"})
    assert fire.status_code == 202 and _body(fire)["payload"] == {"environment": "000001", "task_id": "t1"}
    assert fired == [("000001", "t1", "2026-11-30T11:53:00Z")]
    assert client.post("/_local/fire/000001/unknown", headers={"x-api-key": "admin"}).status_code == 404
