"""The one Logger/Tracer/Metrics setup every function uses (STYLE §6), and the decorator every handler wears.

Log key-value pairs, never rows of customer data. The service name comes from POWERTOOLS_SERVICE_NAME (set
per function in the template); the metrics namespace is the product's and fixed here, so it does not depend on
when this module was first imported.

Traces: every function has Lambda's own X-Ray tracing (``Tracing: Active``: the invocation's segment and its
timing). Powertools' Tracer adds subsegments, but needs the X-Ray SDK, which is not in the layer: it pulls in
its own botocore (25 MB, shadowing the runtime's) and costs more to import than boto3 itself. Where the SDK is
installed (the dev venv, or a layer whose lock adds ``aws-xray-sdk``), handlers are traced with it, with the
payload policy of ``lambda_handler``; without it they run untraced by Powertools.

Metrics leave the process as CloudWatch EMF documents through a *sink*: in Lambda a JSON line on stdout (which
CloudWatch Logs turns into metrics); a process that hosts several functions (the local stack) gives each
invocation its own sink and service name with ``hosted_invocation``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.utilities import jmespath_utils

METRICS_NAMESPACE = "Pimtasks"
# The only dimension of the metrics alarms watch (see ``put_stack_metric``).
STACK_DIMENSION = "stack"
# Set on every handler ``lambda_handler`` made: whether its payloads may appear in traces.
TRACE_PAYLOADS_ATTRIBUTE = "trace_payloads"

MetricsSink = Callable[[Mapping[str, Any]], None]
"""Takes one EMF document (``{"_aws": {...}, <dimensions>, <metric values>}``)."""

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def write_emf_line(document: Mapping[str, Any]) -> None:
    """The Lambda sink: one JSON line on stdout, which CloudWatch Logs extracts the metrics from."""
    print(json.dumps(document, separators=(",", ":")), flush=True)


# Per invocation (a ContextVar is per thread), so concurrently hosted functions do not share them.
_hosted_service: ContextVar[str | None] = ContextVar("pimtasks_hosted_service", default=None)
_metrics_sink: ContextVar[MetricsSink] = ContextVar("pimtasks_metrics_sink", default=write_emf_line)


class _SinkEmfProvider(AmazonCloudWatchEMFProvider):
    """Powertools' EMF provider, flushing into the invocation's metrics sink instead of always to stdout, with
    the hosted invocation's service as the ``service`` dimension (as its own process would have it in Lambda)."""

    def serialize_metric_set(self, metrics: dict | None = None, dimensions: dict | None = None,
                             metadata: dict | None = None) -> Any:
        hosted = _hosted_service.get()
        if hosted and not self.dimension_set.get("service"):
            self.add_dimension(name="service", value=hosted)
        return super().serialize_metric_set(metrics=metrics, dimensions=dimensions, metadata=metadata)

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if not raise_on_empty_metrics and not self.metric_set:
            warnings.warn("No application metrics to publish.", stacklevel=2)
        elif not is_metrics_disabled():
            document = self.serialize_metric_set()
            _metrics_sink.get()(document)
            self.clear_metrics()


logger = Logger()
tracer: Tracer | None = Tracer() if importlib.util.find_spec("aws_xray_sdk") is not None else None
# Metrics keeps its sets in class attributes shared by every instance; the provider works on those same sets.
metrics = Metrics(namespace=METRICS_NAMESPACE, provider=_SinkEmfProvider(
    namespace=METRICS_NAMESPACE, metric_set=Metrics._metrics, dimension_set=Metrics._dimensions,
    metadata_set=Metrics._metadata, default_dimensions=Metrics._default_dimensions))


def put_stack_metric(name: str, *, value: float = 1.0, unit: MetricUnit = MetricUnit.Count) -> None:
    """Write metric ``name`` now, with exactly one dimension: ``stack`` (the stack's name, STACK_NAME).

    The template's alarms watch these. CloudWatch matches an alarm's dimensions exactly, so a metric in the
    shared set (which also carries ``service``, different in every function) would never reach one. Written as
    an EMF document of its own, so it does not join the shared set.
    """
    from pimtasks.settings import get_settings  # here: importing this module stays free of pydantic

    if is_metrics_disabled():
        return
    # service="" rather than None: None would read POWERTOOLS_SERVICE_NAME and add the service dimension.
    single = AmazonCloudWatchEMFProvider(namespace=METRICS_NAMESPACE, service="")
    single.add_dimension(name=STACK_DIMENSION, value=get_settings().stack_name)
    single.add_metric(name=name, unit=unit, value=value)
    _metrics_sink.get()(single.serialize_metric_set())


@contextmanager
def hosted_invocation(*, service: str | None, metrics_sink: MetricsSink | None = None) -> Iterator[None]:
    """Within this block (in this thread), handlers log as ``service`` and write metrics to ``metrics_sink``.

    For a process that hosts several functions at once (the local stack), whose Logger was created once for
    all of them. In Lambda every function has a process of its own and needs neither.
    """
    service_token = _hosted_service.set(service)
    sink_token = _metrics_sink.set(metrics_sink or _metrics_sink.get())
    try:
        yield
    finally:
        _metrics_sink.reset(sink_token)
        _hosted_service.reset(service_token)
        # Neither this invocation's thread-local keys nor the context keys it left in the shared formatter may
        # label what is logged next outside an invocation (a concurrent hosted one has its own, thread-local).
        logger.clear_state()


def lambda_handler(*, correlation_id_path: str | None = None,
                   trace_payloads: bool = True) -> Callable[[HandlerT], HandlerT]:
    """The Powertools decorators of every handler, in their fixed order: logger context, metrics, tracer.

    The logger starts each invocation from a clean state (``clear_state``): keys appended during one
    invocation (a task id, an environment) never show up in the next. ``trace_payloads=False`` keeps the
    handler's response and error out of the trace (X-Ray keeps timing and annotations only): for handlers whose
    replies can hold secrets, such as a one-time API key or a generated FTPS password.
    """

    def decorate(handler: HandlerT) -> HandlerT:
        @functools.wraps(handler)
        def as_hosted_service(event: Any, context: Any) -> Any:
            service = _hosted_service.get()
            if service:
                # inject_lambda_context keeps the invocation's keys in the one shared formatter, where a
                # concurrent invocation overwrites them; thread-local keys win over those, so the invocation's
                # own are repeated there (after clear_state, which clears thread-local keys too).
                keys: dict[str, Any] = dict(build_lambda_context_model(context).__dict__)
                if correlation_id_path:
                    keys["correlation_id"] = jmespath_utils.query(envelope=correlation_id_path, data=event)
                logger.thread_safe_append_keys(service=service, **keys)
            return handler(event, context)

        traced = as_hosted_service if tracer is None else tracer.capture_lambda_handler(
            as_hosted_service, capture_response=trace_payloads, capture_error=trace_payloads)
        measured = metrics.log_metrics(traced)
        logged = logger.inject_lambda_context(measured, correlation_id_path=correlation_id_path, clear_state=True)
        decorated = functools.wraps(handler)(logged)
        # Tells a reader (and the tests that check every handler of the template) how this one is traced.
        setattr(decorated, TRACE_PAYLOADS_ATTRIBUTE, trace_payloads)
        return decorated  # type: ignore[return-value]

    return decorate
