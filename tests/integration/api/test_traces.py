"""Secrets never reach a trace: the X-Ray SDK records for real (in memory) while the API issues secrets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pimtasks.observability import lambda_handler
from pimtasks.wiring import clear_caches
from pimtasks_local.functions import lambda_context

from tests.integration.api.conftest import Api


class MemoryEmitter:
    """Stands in for the UDP emitter to the X-Ray daemon: keeps every trace document it would send."""

    def __init__(self) -> None:
        self.documents: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.documents.append(entity.serialize())

    def set_daemon_address(self, address: str | None) -> None:
        """Nothing to connect to."""


class Tracing:
    """Runs calls inside an X-Ray segment, as the Lambda runtime does, and hands back what was recorded."""

    def __init__(self, emitter: MemoryEmitter) -> None:
        self.emitter = emitter

    def record(self, call: Callable[[], Any]) -> Any:
        from aws_xray_sdk.core import xray_recorder

        xray_recorder.begin_segment("pimtasks-test")
        try:
            return call()
        finally:
            xray_recorder.end_segment()

    @property
    def text(self) -> str:
        return "\n".join(self.emitter.documents)


@pytest.fixture
def tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracing]:
    """The X-Ray SDK enabled (tests run with tracing off) and writing into memory; restored afterwards."""
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.core.context import Context

    monkeypatch.delenv("AWS_XRAY_SDK_ENABLED", raising=False)
    saved = (xray_recorder.emitter, xray_recorder.context, xray_recorder.sampling, global_sdk_config.sdk_enabled())
    emitter = MemoryEmitter()
    global_sdk_config.set_sdk_enabled(True)
    xray_recorder.configure(emitter=emitter, context=Context(), sampling=False)
    yield Tracing(emitter)
    xray_recorder.emitter, xray_recorder.context, xray_recorder.sampling, enabled = saved
    global_sdk_config.set_sdk_enabled(enabled)


def test_a_handler_that_may_trace_payloads_shows_its_reply_in_the_trace(tracing: Tracing) -> None:
    # The control for the test below: the in-memory trace does see replies when a handler allows it.
    @lambda_handler()
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"answer": "visible-in-the-trace"}

    tracing.record(lambda: handler({}, lambda_context("pimtasks-control")))

    assert "## handler" in tracing.text and "visible-in-the-trace" in tracing.text


def test_issued_keys_and_passwords_appear_in_no_trace(api: Api, tracing: Tracing,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.ftps_identity.app import handler as ftps_identity

    monkeypatch.setenv("TRANSFER_USER_ROLE_ARN", "arn:aws:iam::123456789012:role/pimtasks-ftps-user")
    clear_caches()  # settings are read once per process
    admin = api.admin_key

    key = tracing.record(lambda: api.call("POST", "/api-keys", key=admin, body={"environments": ["000001"]}))
    user = tracing.record(lambda: api.call("POST", "/environments/000001/ftps-users", key=admin,
                                           body={"username": "supplier-acme"}))
    reset = tracing.record(lambda: api.call("POST", "/environments/000001/ftps-users/supplier-acme/reset-password",
                                            key=admin, body={}))
    secret = tracing.record(lambda: api.call("PUT", "/environments/000001/secrets/etim-secret", key=admin,
                                             body={"value": "etim-client-secret-value"}))
    login = {"username": "supplier-acme", "password": reset.body["password"], "protocol": "FTPS",
             "serverId": "s-1", "sourceIp": "192.0.2.7"}
    answer = tracing.record(lambda: ftps_identity(login, lambda_context("pimtasks-ftps-identity", timeout_seconds=15)))
    refused = tracing.record(lambda: ftps_identity({**login, "password": "wrong-password-typed"},
                                                   lambda_context("pimtasks-ftps-identity", timeout_seconds=15)))

    assert (key.status, user.status, reset.status, secret.status) == (201, 201, 200, 200), (key, user, reset, secret)
    assert answer.get("Role") and refused == {}
    issued = [key.body["api_key"], user.body["password"], reset.body["password"], admin,
              "etim-client-secret-value", "wrong-password-typed"]
    assert tracing.text.count("## handler") >= 10  # authorizer + api per call, and both logins were traced
    leaked = [value for value in issued if value in tracing.text]
    assert leaked == []
