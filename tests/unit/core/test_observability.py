"""The handler decorator and metrics of ``pimtasks.observability``: clean logger state per invocation, a service
name per hosted invocation, alarm metrics with exactly the dimension the alarms name."""

from __future__ import annotations

import importlib
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pimtasks.observability import (
    METRICS_NAMESPACE,
    TRACE_PAYLOADS_ATTRIBUTE,
    hosted_invocation,
    lambda_handler,
    logger,
    put_stack_metric,
)
from pimtasks.settings import get_settings
from pimtasks_local.functions import lambda_context
from pimtasks_local.template import load_template

TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "template.yaml"
# Their replies or events carry API keys or passwords.
HANDLERS_WITH_SECRETS = {"ApiFunction", "AuthorizerFunction", "FtpsIdentityFunction"}


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the shared Logger writes, as text (one JSON document a line)."""
    captured = io.StringIO()
    previous = logger.registered_handler.setStream(captured)  # type: ignore[attr-defined]
    yield captured
    logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]


def _lines(logs: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.getvalue().splitlines()]


def test_keys_appended_in_one_invocation_never_reach_the_next(logs: io.StringIO) -> None:
    @lambda_handler()
    def handler(event: dict[str, Any], context: Any) -> None:
        if event.get("first"):
            logger.append_keys(task_id="task-of-the-first-call")
            logger.thread_safe_append_keys(environment="000001")
        logger.info("called")

    handler({"first": True}, lambda_context("pimtasks-test"))
    handler({}, lambda_context("pimtasks-test"))

    first, second = _lines(logs)
    assert (first["task_id"], first["environment"]) == ("task-of-the-first-call", "000001")
    assert "task_id" not in second and "environment" not in second


def test_concurrent_hosted_invocations_each_log_under_their_own_service(logs: io.StringIO) -> None:
    both_inside = threading.Barrier(2, timeout=10)

    @lambda_handler()
    def handler(event: dict[str, Any], context: Any) -> None:
        logger.info("before", extra={"who": event["who"]})
        both_inside.wait()  # the other invocation has set its service too
        logger.info("after", extra={"who": event["who"]})

    def invoke(service: str) -> None:
        with hosted_invocation(service=service):
            handler({"who": service}, lambda_context(f"pimtasks-{service}"))

    threads = [threading.Thread(target=invoke, args=(service,)) for service in ("api", "import")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    lines = _lines(logs)
    assert len(lines) == 4
    # the service, and the keys of the invocation's own context, although both share one Logger
    assert all((line["service"], line["function_name"]) == (line["who"], f"pimtasks-{line['who']}")
               for line in lines), lines


def test_stack_metrics_carry_exactly_the_stack_dimension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "import")
    monkeypatch.setenv("STACK_NAME", "pimtasks-prod")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    get_settings.cache_clear()
    documents: list[Any] = []
    try:
        with hosted_invocation(service=None, metrics_sink=documents.append):
            put_stack_metric("RunsFailed")
    finally:
        get_settings.cache_clear()

    [document] = documents
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == METRICS_NAMESPACE
    assert directive["Dimensions"] == [["stack"]] and document["stack"] == "pimtasks-prod"
    assert [m["Name"] for m in directive["Metrics"]] == ["RunsFailed"] and document["RunsFailed"] == [1.0]


def test_disabled_metrics_write_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    documents: list[Any] = []
    with hosted_invocation(service=None, metrics_sink=documents.append):
        put_stack_metric("RunsFailed")
    assert documents == []


def _template_handlers() -> dict[str, Any]:
    """Each function of the template and its handler object, imported as the template names it."""
    handlers = {}
    for logical_id, resource in load_template(TEMPLATE)["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        folder = Path(resource["Properties"]["CodeUri"]).name
        module, _, attribute = resource["Properties"]["Handler"].rpartition(".")
        handlers[logical_id] = getattr(importlib.import_module(f"functions.{folder}.{module}"), attribute)
    return handlers


def test_every_handler_of_the_template_wears_the_observability_decorator() -> None:
    handlers = _template_handlers()
    assert len(handlers) >= 10

    undecorated = [name for name, handler in handlers.items() if not hasattr(handler, TRACE_PAYLOADS_ATTRIBUTE)]
    tracing_secrets = [name for name in HANDLERS_WITH_SECRETS if getattr(handlers[name], TRACE_PAYLOADS_ATTRIBUTE)]
    assert undecorated == [] and tracing_secrets == []


def test_an_alarm_watches_a_metric_only_with_exactly_its_dimensions() -> None:
    from pimtasks_local.cloudwatch_metrics import MetricKey, alarm_watches, emf_datums

    document = {"_aws": {"Timestamp": 1_796_000_000_000, "CloudWatchMetrics": [
        {"Namespace": "Pimtasks", "Dimensions": [["service", "stack"]], "Metrics": [{"Name": "RunsFailed",
                                                                                      "Unit": "Count"}]}]},
                "service": "etim", "stack": "prod", "RunsFailed": [1.0, 1.0]}
    [(key, datum), (_, second)] = list(emf_datums(document))
    assert key == MetricKey("Pimtasks", "RunsFailed", frozenset({("service", "etim"), ("stack", "prod")}))
    assert datum["Value"] == second["Value"] == 1.0 and datum["Unit"] == "Count"

    alarm = {"Namespace": "Pimtasks", "MetricName": "RunsFailed", "Dimensions": [{"Name": "stack", "Value": "prod"}]}
    # CloudWatch does not match a metric that carries more dimensions than the alarm names
    assert not alarm_watches(alarm, key)
    assert alarm_watches(alarm, MetricKey("Pimtasks", "RunsFailed", frozenset({("stack", "prod")})))
