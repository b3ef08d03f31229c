"""The function host: the template's Lambda handlers, imported and invoked in this process.

Each handler is loaded from its file (``CodeUri`` + ``Handler``) under a module name of its own, with
the functions' environment variables in ``os.environ`` first (all functions share one process, so the
union of their variables is set; conflicting values are reported). Invocations get a Lambda-like context
object; asynchronous ones run on a bounded pool of daemon threads, like Lambda's ``Event`` invocations,
so a long-running handler never keeps Ctrl-C from stopping the stack.

Every invocation runs inside ``pimtasks.observability.hosted_invocation``: its logs carry its own function's
service name (the handlers share one Logger, created when the first of them was imported) and its metrics go
to the emulator's CloudWatch, where the template's alarms are evaluated (``cloudwatch_metrics``).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from pimtasks_local.deployment import FunctionSpec

if TYPE_CHECKING:
    from pimtasks.observability import MetricsSink

LOGGER = logging.getLogger(__name__)

# Variables whose value legitimately differs per function; they are set while that handler is imported
# (so a module-level Powertools Logger picks up its own service name) and never left in os.environ.
SERVICE_NAME_VARIABLE = "POWERTOOLS_SERVICE_NAME"
PER_FUNCTION_VARIABLES = frozenset({SERVICE_NAME_VARIABLE})
# Defaults for a process that hosts the handlers outside Lambda: no X-Ray daemon. (Metrics stay on: they go to
# the emulator's CloudWatch instead of stdout.) The local schedule runner fires every schedule due in a minute
# in the same tick, so the sequence settle (which in AWS waits for EventBridge Scheduler's spread of a few
# seconds) can be short here.
LOCAL_DEFAULTS = {"POWERTOOLS_TRACE_DISABLED": "true", "SEQUENCE_SETTLE_SECONDS": "3"}
# What the handlers' shared Logger says outside any invocation (the FTPS gateway, the seed): the host, not the
# function whose handler happened to be imported first. Powertools drops stdlib records of every logger whose
# name *contains* its service name (SuppressFilter on the root handlers), so this must not be part of
# "pimtasks_local" ("local" silenced the stack's own log).
HOST_SERVICE_NAME = "local-stack"


class FunctionNotFoundError(LookupError):
    """No hosted function has that name or ARN."""


class FunctionLoadError(RuntimeError):
    """The handler of a function could not be imported (the reason is chained)."""


class FunctionError(RuntimeError):
    """A synchronous invocation failed; ``error`` is what the handler raised (also chained)."""

    def __init__(self, function_name: str, error: BaseException) -> None:
        super().__init__(f"{function_name}: {type(error).__name__}: {error}")
        self.function_name = function_name
        self.error = error


class FunctionInvoker(Protocol):
    """What the pollers, the schedule runner and the servers need from the host."""

    def find(self, name_or_arn: str) -> FunctionSpec | None: ...

    def invoke(self, name_or_arn: str, event: Any, *, log_failure: bool = True) -> Any: ...

    def invoke_async(self, name_or_arn: str, event: Any) -> Future[Any]: ...


@dataclass
class LambdaContext:
    """The parts of ``awslambdaric``'s context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed_ms = (time.monotonic() - self._started) * 1000
        return max(0, int(self.timeout_seconds * 1000 - elapsed_ms))


def lambda_context(function_name: str, *, timeout_seconds: int = 30, memory_limit_in_mb: int = 512,
                   region: str = "eu-west-1", account_id: str = "123456789012") -> LambdaContext:
    """A context for calling a handler directly (tests, benchmarks): fresh request id, full time budget."""
    import uuid

    return LambdaContext(function_name=function_name, memory_limit_in_mb=memory_limit_in_mb,
                         invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{function_name}",
                         aws_request_id=str(uuid.uuid4()), timeout_seconds=timeout_seconds)


def function_name_of(name_or_arn: str) -> str:
    """``my-fn`` from ``my-fn``, ``arn:aws:lambda:r:a:function:my-fn[:qualifier]`` or ``a:function:my-fn``."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        index = parts.index("function")
        if index + 1 < len(parts):
            return parts[index + 1]
    return parts[0]


def emulator_clients() -> Callable[[str], Any]:
    """``clients(service)``: boto3 clients made on first use (after the emulator pointed the process at itself)."""
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def client(service: str) -> Any:
        with lock:
            if service not in cache:
                import boto3

                cache[service] = boto3.client(service)
            return cache[service]

    return client


def _import_shared_observability() -> None:
    """Create the handlers' shared Logger/Tracer/Metrics (``pimtasks.observability``) as the host's."""
    if "pimtasks.observability" in sys.modules:
        return
    saved = os.environ.get(SERVICE_NAME_VARIABLE)
    os.environ[SERVICE_NAME_VARIABLE] = HOST_SERVICE_NAME
    try:
        importlib.import_module("pimtasks.observability")
    finally:
        if saved is None:
            os.environ.pop(SERVICE_NAME_VARIABLE, None)
        else:
            os.environ[SERVICE_NAME_VARIABLE] = saved


def union_environment(functions: Iterable[FunctionSpec]) -> dict[str, str]:
    """The variables of all functions together; a variable with conflicting values is reported."""
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    for spec in functions:
        for name, value in spec.environment.items():
            if name in PER_FUNCTION_VARIABLES:
                continue
            if name in merged and merged[name] != value:
                LOGGER.warning("environment variable %s differs between %s (%r) and %s (%r); keeping the first",
                               name, owners[name], merged[name], spec.logical_id, value)
                continue
            merged.setdefault(name, value)
            owners.setdefault(name, spec.logical_id)
    return merged


class _DaemonPool:
    """A bounded pool of daemon threads returning ``Future`` objects (unlike ThreadPoolExecutor's
    workers, daemon threads never hold up interpreter exit after Ctrl-C)."""

    def __init__(self, *, workers: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(workers)
        ]
        self._closed = False
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable[[], Any]) -> Future[Any]:
        if self._closed:
            raise RuntimeError("the function host is stopped")
        future: Future[Any] = Future()
        self._jobs.put((future, job))
        return future

    def close(self) -> None:
        self._closed = True
        for _ in self._threads:
            self._jobs.put(None)

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            future, job = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as exc:  # noqa: BLE001 - handed to the Future, whose owner logs it
                future.set_exception(exc)


class FunctionHost:
    """Loads the handlers of ``functions`` and invokes them like Lambda would."""

    def __init__(
        self,
        functions: Iterable[FunctionSpec],
        *,
        max_async_workers: int = 16,
        environ: dict[str, str] | None = None,
        metrics_sink: MetricsSink | None = None,
    ) -> None:
        """``metrics_sink`` takes the functions' EMF documents (default: the emulator's CloudWatch)."""
        from pimtasks_local.cloudwatch_metrics import CloudWatchMetricsSink

        self._specs = {spec.function_name: spec for spec in functions}
        self._clients = emulator_clients()
        self._metrics_sink = metrics_sink or CloudWatchMetricsSink(self._clients)
        self._environ: Any = os.environ if environ is None else environ
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._load_errors: dict[str, BaseException] = {}
        self._pool = _DaemonPool(workers=max_async_workers, name="lambda-async")

    @property
    def functions(self) -> list[FunctionSpec]:
        return list(self._specs.values())

    def prepare_environment(self) -> None:
        """Put the union of all functions' variables (and the local defaults) into the environment."""
        for name, value in LOCAL_DEFAULTS.items():
            self._environ.setdefault(name, value)
        self._environ.update(union_environment(self._specs.values()))

    def load_all(self) -> dict[str, BaseException]:
        """Import every handler now; returns the functions whose import failed, with the error."""
        for spec in self._specs.values():
            try:
                self._load(spec)
            except FunctionLoadError:
                continue  # logged by _load; reported in the result
        return dict(self._load_errors)

    def find(self, name_or_arn: str) -> FunctionSpec | None:
        return self._specs.get(function_name_of(name_or_arn))

    def invoke(self, name_or_arn: str, event: Any, *, log_failure: bool = True) -> Any:
        """Run the handler in this thread (RequestResponse).

        Its exception is logged (unless ``log_failure`` is False: an authorizer's "Unauthorized" is an
        answer, not a failure) and re-raised as ``FunctionError``.
        """
        spec = self._spec(name_or_arn)
        try:
            return self._run(spec, event)
        except Exception as exc:
            if log_failure:
                LOGGER.exception("function %s failed", spec.function_name)
            raise FunctionError(spec.function_name, exc) from exc

    def invoke_async(self, name_or_arn: str, event: Any) -> Future[Any]:
        """Queue the handler on the async pool (Event); the Future holds its result or exception."""
        spec = self._spec(name_or_arn)
        future = self._pool.submit(lambda: self._run(spec, event))
        future.add_done_callback(lambda done: self._on_async_done(spec, event, done))
        return future

    def close(self) -> None:
        """Stop taking asynchronous invocations; running handlers are not waited for."""
        self._pool.close()

    # --- internals -------------------------------------------------------------------------------

    def _spec(self, name_or_arn: str) -> FunctionSpec:
        spec = self.find(name_or_arn)
        if spec is None:
            raise FunctionNotFoundError(f"Function not found: {name_or_arn}")
        return spec

    def _run(self, spec: FunctionSpec, event: Any) -> Any:
        handler = self._load(spec)
        context = LambdaContext(
            function_name=spec.function_name,
            memory_limit_in_mb=spec.memory_mb,
            invoked_function_arn=spec.arn,
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=spec.timeout_seconds,
        )
        # Imported here, not at the top: it must be created after the functions' environment is in place (log
        # level); ``_import`` creates it just before the first handler.
        from pimtasks.observability import hosted_invocation

        with hosted_invocation(service=spec.environment.get(SERVICE_NAME_VARIABLE), metrics_sink=self._metrics_sink):
            result = handler(event, context)
        if context.get_remaining_time_in_millis() == 0:
            LOGGER.warning("function %s ran longer than its timeout of %s s (Lambda would have stopped it)",
                           spec.function_name, spec.timeout_seconds)
        return result

    def _load(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        handler = self._handlers.get(spec.function_name)
        if handler is not None:
            return handler
        if spec.function_name in self._load_errors:
            raise FunctionLoadError(f"handler of {spec.function_name} could not be loaded") from (
                self._load_errors[spec.function_name])
        try:
            handler = self._import(spec)
        except Exception as exc:  # any import-time error; logged and re-raised below
            # A broken handler must not take the other functions down; it is reported and its
            # invocations fail with this error.
            LOGGER.error("cannot load %s from %s: %s", spec.function_name, spec.handler_file, exc)
            self._load_errors[spec.function_name] = exc
            raise FunctionLoadError(f"handler of {spec.function_name} could not be loaded") from exc
        self._handlers[spec.function_name] = handler
        return handler

    _import_lock = threading.Lock()

    def _import(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        with self._import_lock:
            if spec.function_name in self._handlers:
                return self._handlers[spec.function_name]
            path = spec.handler_file
            if not path.is_file():
                raise FileNotFoundError(f"{path} does not exist")
            module_name = f"pimtasks_local_fn_{spec.logical_id}"
            module_spec = importlib.util.spec_from_file_location(module_name, path)
            if module_spec is None or module_spec.loader is None:
                raise ImportError(f"cannot import {path}")
            module: ModuleType = importlib.util.module_from_spec(module_spec)
            _import_shared_observability()
            sys.modules[module_name] = module
            saved = {name: self._environ.get(name) for name in PER_FUNCTION_VARIABLES}
            try:
                for name in PER_FUNCTION_VARIABLES:
                    if name in spec.environment:
                        self._environ[name] = spec.environment[name]
                module_spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(module_name, None)
                raise
            finally:
                for name, value in saved.items():
                    if value is None:
                        self._environ.pop(name, None)
                    else:
                        self._environ[name] = value
            handler = getattr(module, spec.handler_name)
            if not callable(handler):
                raise TypeError(f"{spec.handler} is not callable")
            return handler

    def _on_async_done(self, spec: FunctionSpec, event: Any, future: Future[Any]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        LOGGER.error("asynchronous invocation of %s failed: %s: %s", spec.function_name,
                     type(error).__name__, error, exc_info=error)
        if spec.async_failure_destination:
            self._record_async_failure(spec, event, error)

    def _record_async_failure(self, spec: FunctionSpec, event: Any, error: BaseException) -> None:
        """Send Lambda's OnFailure record to the function's destination queue (locally without retries first)."""
        destination = str(spec.async_failure_destination)
        account, queue_name = destination.split(":")[4], destination.split(":")[5]
        record = {
            "version": "1.0",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": f"{spec.arn}:$LATEST",
                               "condition": "RetriesExhausted", "approximateInvokeCount": 1},
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)},
        }
        try:
            sqs = self._clients("sqs")
            url = sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record, default=str))
        except Exception:  # the failure is logged above already; losing its record must not raise here
            LOGGER.exception("could not record the failed invocation of %s in %s", spec.function_name, destination)
