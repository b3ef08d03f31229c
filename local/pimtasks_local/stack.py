"""The local stack put together: ``python -m pimtasks_local`` (``make run``).

Start order: the state directory's lock, the emulator's saved state (``emulator_state``; ``--fresh``
removes it instead), emulator, template deployment, Lambda Invoke endpoint, function host, the runs a
previous stack process left active are ended, API, stream and queue pollers, schedule runner, FTPS gateway,
seed; then ``stack.json`` is written (only once everything serves) and the next steps are printed, saying
whether the state was restored. SIGINT/SIGTERM stop everything in reverse order within seconds; the
emulator's state is saved once more just before the emulator stops.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from pimtasks_local.deployment import Deployment
from pimtasks_local.emulator import Emulator, PortInUseError, ensure_port_free
from pimtasks_local.emulator_state import (
    MIN_INTERVAL_SECONDS,
    EmulatorState,
    SnapshotError,
    SnapshotInfo,
    Snapshotter,
)
from pimtasks_local.functions import FunctionHost, FunctionInvoker
from pimtasks_local.stack_state import (
    DEFAULT_STATE_DIR,
    EMULATOR_STATE_DIRECTORY,
    StateDirInUseError,
    StateDirLock,
    read_seed,
    remove_seed,
    remove_state,
    write_seed,
    write_state,
)

LOGGER = logging.getLogger("pimtasks_local")

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = REPOSITORY_ROOT / "infra" / "template.yaml"
DEFAULT_STACK_NAME = "pimtasks-local"
_STREAM_ITERATOR_PRUNE_SECONDS = 30.0
_THREAD_STOP_SECONDS = 3.0


@dataclass
class StackOptions:
    host: str = "127.0.0.1"
    emulator_port: int = 4566
    api_port: int = 8080
    ftps_port: int = 2121
    ftps_passive_ports: range = range(30000, 30020)
    state_dir: Path = DEFAULT_STATE_DIR
    seed: bool = True
    fresh: bool = False
    snapshot_seconds: float = MIN_INTERVAL_SECONDS
    log_level: str = "INFO"
    template: Path = DEFAULT_TEMPLATE
    stack_name: str = DEFAULT_STACK_NAME
    parameters: dict[str, str] = field(default_factory=dict)


def _port_range(text: str) -> range:
    first, _, last = text.partition("-")
    try:
        ports = range(int(first), int(last or first) + 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port range: {text!r} (use FIRST-LAST)") from exc
    if not ports:
        raise argparse.ArgumentTypeError(f"empty port range {text!r}")
    return ports


def parse_arguments(argv: list[str] | None = None) -> StackOptions:
    parser = argparse.ArgumentParser(prog="python -m pimtasks_local",
                                     description="Run pimtasks locally: AWS emulator, API, schedules, FTPS.")
    parser.add_argument("--host", default="127.0.0.1", help="address every server binds to")
    parser.add_argument("--emulator-port", type=int, default=4566, help="moto server port (0: any free port)")
    parser.add_argument("--api-port", type=int, default=8080, help="REST API port (0: any free port)")
    parser.add_argument("--ftps-port", type=int, default=2121, help="FTPS gateway port (0: any free port)")
    parser.add_argument("--ftps-passive-ports", type=_port_range, default=range(30000, 30020), metavar="FIRST-LAST",
                        help="FTPS passive data ports (default 30000-30019)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help="where the stack keeps its state across restarts (the emulator's data, the admin "
                             "key, the FTPS certificate) and writes stack.json (ports, names, admin key)")
    parser.add_argument("--fresh", action="store_true",
                        help="start empty: remove the emulator's saved state and the admin key first")
    parser.add_argument("--no-seed", action="store_true",
                        help="no demo environment and tasks (an admin key is still issued)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help=argparse.SUPPRESS)
    # the least time between two snapshots of the emulator (benchmarks compare with snapshots all but off)
    parser.add_argument("--snapshot-seconds", type=float, default=MIN_INTERVAL_SECONDS, help=argparse.SUPPRESS)
    parser.add_argument("--stack-name", default=DEFAULT_STACK_NAME, help=argparse.SUPPRESS)
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="override a template parameter (repeatable)")
    arguments = parser.parse_args(argv)
    parameters = {}
    for item in arguments.parameter:
        name, separator, value = item.partition("=")
        if not separator:
            parser.error(f"--parameter needs NAME=VALUE, got {item!r}")
        parameters[name] = value
    return StackOptions(
        host=arguments.host,
        emulator_port=arguments.emulator_port,
        api_port=arguments.api_port,
        ftps_port=arguments.ftps_port,
        ftps_passive_ports=arguments.ftps_passive_ports,
        state_dir=arguments.state_dir,
        seed=not arguments.no_seed,
        fresh=arguments.fresh,
        snapshot_seconds=arguments.snapshot_seconds,
        log_level=arguments.log_level,
        template=arguments.template,
        stack_name=arguments.stack_name,
        parameters=parameters,
    )


class LocalStack:
    """Every component of the local stack; ``start()`` brings them up, ``stop()`` takes them down."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.state: dict[str, Any] = {}
        self._stop = threading.Event()
        self._stoppers: list[tuple[str, Callable[[], None]]] = []
        self._threads: list[threading.Thread] = []
        self.ftps_certificate: str | None = None

    # --- start -----------------------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        """Bring everything up; returns the state written to ``stack.json``."""
        started = time.monotonic()
        options = self.options
        lock = StateDirLock(options.state_dir).acquire()
        self._stoppers.append(("state directory lock", lock.release))
        ensure_port_free(options.host, options.api_port, what="the API")
        ensure_port_free(options.host, options.ftps_port, what="the FTPS gateway")
        kept = EmulatorState(options.state_dir / EMULATOR_STATE_DIRECTORY)
        restored = self._restore(kept)
        emulator = Emulator(host=options.host, port=options.emulator_port).start()
        self._stoppers.append(("emulator", emulator.stop))
        LOGGER.info("emulator (moto) serving on %s", emulator.url)
        snapshots = Snapshotter(kept, emulator.gate, min_interval_seconds=options.snapshot_seconds)
        snapshots.start()
        self._stoppers.append(("emulator state", snapshots.stop))

        deployment = self._deploy(emulator)
        host = FunctionHost(deployment.functions.values())
        lambda_url = self._start_lambda_endpoint(host)
        self._start_function_host(host, deployment)
        ended_runs = self._end_runs_of_previous_process() if restored else []
        api_url = self._start_api(deployment, host, emulator)
        self._start_pollers(deployment, host, emulator)
        self._start_janitor(emulator)
        ftps_port = self._start_ftps(deployment, emulator)
        etim_url = self._start_fake_etim()

        from pimtasks_local.seed import SeedResult, seed

        saved_seed = read_seed(options.state_dir) if restored else None
        seeded = seed(api_url=api_url, with_demo_data=options.seed,
                      saved=SeedResult.from_dict(saved_seed) if saved_seed else None, etim_api_url=etim_url)
        write_seed(options.state_dir, seeded.to_dict())
        self.state = {
            "pid": os.getpid(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "stack_name": deployment.stack_name,
            "region": deployment.region,
            "account_id": deployment.account_id,
            "api_url": api_url,
            "docs_url": f"{api_url}/docs",
            "emulator_url": emulator.url,
            "lambda_url": lambda_url,
            "ftps_host": options.host,
            "ftps_port": ftps_port,
            "ftps_certificate": self.ftps_certificate,
            "etim_api_url": etim_url,
            "environment": seeded.environment,
            "admin_key_id": seeded.admin_key_id,
            "admin_api_key": seeded.admin_api_key,
            "demo_task_ids": seeded.task_ids,
            "bucket": _function_variable(deployment, "FILES_BUCKET"),
            "tables": deployment.names_of_type("AWS::DynamoDB::Table"),
            "queues": deployment.names_of_type("AWS::SQS::Queue"),
            "functions": {key: spec.function_name for key, spec in deployment.functions.items()},
            "schedule_group_prefix": self._schedule_group_prefix(deployment),
            "emulator_state": {"directory": str(kept.directory), "restored": restored is not None,
                               "saved_at": restored.taken_at if restored else None, "fresh": options.fresh},
            "runs_ended_at_start": ended_runs,
        }
        path = write_state(options.state_dir, self.state)
        LOGGER.info("local stack ready in %.1f s; state in %s", time.monotonic() - started, path)
        return self.state

    def _restore(self, kept: EmulatorState) -> SnapshotInfo | None:
        """The emulator's saved state put back (None: there was none, or ``--fresh`` removed it)."""
        if self.options.fresh:
            if kept.discard():
                LOGGER.info("--fresh: the saved emulator state in %s was removed", kept.directory)
            remove_seed(self.options.state_dir)
            return None
        restored = kept.restore()
        if restored is None:
            LOGGER.info("no saved emulator state in %s: starting empty", kept.directory)
        else:
            LOGGER.info("emulator state restored from %s (saved %s, %.1f MB and %d S3 bodies, %.1f s)",
                        kept.directory, restored.taken_at, restored.bytes / 1e6, restored.blobs,
                        restored.pickle_seconds)
        return restored

    def _end_runs_of_previous_process(self) -> list[str]:
        """End the runs a previous stack process left queued or running: their invocations died with it.

        The sweeper does it, as it would in AWS once their heartbeat is overdue, only without waiting for that.
        """
        from pimtasks.wiring import run_sweeper

        sweeper = run_sweeper(stale_after_seconds=0, queued_timeout_seconds=0)
        ended: list[str] = []
        while True:  # the sweeper reads bounded pages; here it goes on until it has seen every active run
            report = sweeper.sweep(remaining_ms=lambda: 60_000)
            ended.extend(report.swept)
            if report.complete:
                break
        if ended:
            LOGGER.warning("%d run(s) still active when the stack last stopped were ended (failed): %s",
                           len(ended), ", ".join(ended))
        return ended

    def _deploy(self, emulator: Emulator) -> Deployment:
        from pimtasks_local.deployer import deploy_template
        from pimtasks_local.template import load_template

        parameters = dict(self.options.parameters)
        if "LogLevel" in (load_template(self.options.template).get("Parameters") or {}):
            parameters.setdefault("LogLevel", self.options.log_level)
        deployment = deploy_template(self.options.template, stack_name=self.options.stack_name,
                                     parameters=parameters, clients=emulator.clients(),
                                     region=emulator.region, account_id=emulator.account_id)
        LOGGER.info("template provisioned: %d resources, %d functions, %d schedules, %d API routes",
                    len(deployment.resources) - len(deployment.skipped), len(deployment.functions),
                    len(deployment.schedules), len(deployment.routes))
        self._deployment = deployment
        return deployment

    def _start_lambda_endpoint(self, host: FunctionInvoker) -> str:
        from pimtasks_local.http_server import BackgroundServer
        from pimtasks_local.lambda_endpoint import LambdaInvokeApp

        server = BackgroundServer(LambdaInvokeApp(host), host=self.options.host, port=0,
                                  name="lambda-endpoint").start()
        self._stoppers.append(("Lambda Invoke endpoint", server.stop))
        # Set before any handler is imported: their boto3 Lambda clients then invoke the host.
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = server.url
        LOGGER.info("Lambda Invoke API on %s", server.url)
        return server.url

    def _start_function_host(self, host: FunctionHost, deployment: Deployment) -> None:
        host.prepare_environment()
        failed = host.load_all()
        self._stoppers.append(("function host", host.close))
        LOGGER.info("function host: %d of %d handlers loaded%s", len(deployment.functions) - len(failed),
                    len(deployment.functions), f" (failed: {', '.join(sorted(failed))})" if failed else "")

    def _start_api(self, deployment: Deployment, host: FunctionInvoker, emulator: Emulator) -> str:
        from pimtasks_local.api_server import LocalApi
        from pimtasks_local.http_server import BackgroundServer
        from pimtasks_local.schedule_runner import ScheduleRunner

        clients = emulator.clients()
        self._runner = ScheduleRunner(scheduler=clients("scheduler"), sqs=clients("sqs"), invoker=host)
        app = LocalApi(deployment=deployment, host=host, mail_outbox=emulator.mail_outbox,
                       fire_task=self._fire_task)
        server = BackgroundServer(app, host=self.options.host, port=self.options.api_port, name="api").start()
        self._stoppers.append(("API", server.stop))
        LOGGER.info("API on %s (Swagger UI: %s/docs)", server.url, server.url)
        return server.url

    def _fire_task(self, environment: str, task_id: str, scheduled_time: str | None) -> dict[str, Any]:
        from pimtasks_local.schedule_runner import task_schedule_location

        group, name = task_schedule_location(prefix=self._schedule_group_prefix(self._deployment),
                                             environment=environment, task_id=task_id)
        moment = None
        if scheduled_time:
            moment = dt.datetime.fromisoformat(scheduled_time.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("scheduled_time needs a time zone, e.g. 2026-11-30T11:53:00Z")
        return self._runner.fire_now(group=group, name=name, scheduled_time=moment)

    @staticmethod
    def _schedule_group_prefix(deployment: Deployment) -> str:
        return _function_variable(deployment, "SCHEDULE_GROUP_PREFIX") or deployment.stack_name

    def _start_pollers(self, deployment: Deployment, host: FunctionInvoker, emulator: Emulator) -> None:
        from pimtasks_local.queue_poller import QueuePoller
        from pimtasks_local.stream_poller import StreamPoller

        clients = emulator.clients()
        for stream_source in deployment.stream_sources:
            if not stream_source.enabled:
                continue
            spec = deployment.functions[stream_source.function]
            stream_poller = StreamPoller(source=stream_source, function_name=spec.function_name,
                                         function_arn=spec.arn, invoker=host, streams=clients("dynamodbstreams"),
                                         sqs=clients("sqs"), region=deployment.region)
            self._thread(f"stream-{spec.function_name}", functools.partial(stream_poller.run, self._stop))
            LOGGER.info("stream poller: %s -> %s", stream_source.stream_arn.split("/")[1], spec.function_name)
        for queue_source in deployment.queue_sources:
            if not queue_source.enabled:
                continue
            spec = deployment.functions[queue_source.function]
            queue_poller = QueuePoller(source=queue_source, function_name=spec.function_name, invoker=host,
                                       sqs=clients("sqs"), region=deployment.region)
            self._thread(f"queue-{spec.function_name}", functools.partial(queue_poller.run, self._stop))
            LOGGER.info("queue poller: %s -> %s", queue_source.queue_arn.rsplit(":", 1)[-1], spec.function_name)
        self._runner.start()
        self._thread("schedule-runner", lambda: self._runner.run(self._stop))
        LOGGER.info("schedule runner: firing EventBridge Scheduler schedules every second")

    def _start_janitor(self, emulator: Emulator) -> None:
        def prune() -> None:
            while not self._stop.wait(_STREAM_ITERATOR_PRUNE_SECONDS):
                emulator.prune_stream_iterators()
                emulator.stop_tracking_model_instances()  # model classes moto imported since

        self._thread("emulator-janitor", prune)

    def _start_ftps(self, deployment: Deployment, emulator: Emulator) -> int | None:
        from pimtasks.wiring import ftps_user_service, task_service

        from pimtasks_local.ftps_gateway import GatewayOptions, start_ftps_gateway

        bucket = _function_variable(deployment, "FILES_BUCKET")
        admin_table = _function_variable(deployment, "ADMIN_TABLE")
        if not bucket or not admin_table:
            LOGGER.warning("FTPS gateway not started: no function has FILES_BUCKET and ADMIN_TABLE")
            return None
        users = ftps_user_service()  # the same login code as the Transfer Family identity function
        gateway = start_ftps_gateway(host=self.options.host, port=self.options.ftps_port,
                                     passive_ports=self.options.ftps_passive_ports, bucket=bucket,
                                     s3_client=emulator.clients()("s3"), user_service=users,
                                     state_dir=self.options.state_dir / "ftps",
                                     options=GatewayOptions(import_folders=task_service().import_folders))
        self._stoppers.append(("FTPS gateway", functools.partial(gateway.stop, timeout=3.0)))
        self.ftps_certificate = str(gateway.certificate_path)
        LOGGER.info("FTPS gateway (explicit TLS) on %s:%s, passive ports %s-%s", gateway.host, gateway.port,
                    self.options.ftps_passive_ports.start, self.options.ftps_passive_ports.stop - 1)
        return int(gateway.port)

    def _start_fake_etim(self) -> str:
        """A fake ETIM API on a free port, so the demo Import ETIM task has something to import from."""
        from pimtasks_local.etim_server import demo_server

        server = demo_server(host=self.options.host)
        url = server.start()
        self._stoppers.append(("fake ETIM API", server.stop))
        LOGGER.info("fake ETIM API on %s (the demo Import ETIM task uses it)", url)
        return url

    def _thread(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # --- stop ------------------------------------------------------------------------------------

    def wait(self) -> None:
        """Block until ``request_stop()`` (signals call it)."""
        while not self._stop.wait(0.5):
            pass

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        """Stop every component that started, newest first; never waits long for one."""
        self._stop.set()
        remove_state(self.options.state_dir, pid=os.getpid())
        deadline = time.monotonic() + _THREAD_STOP_SECONDS
        for thread in self._threads:
            # Pollers finish their current receive or handler call; one still busy after the shared
            # deadline is a daemon thread and does not hold up the exit.
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for name, stopper in reversed(self._stoppers):
            try:
                stopper()
            except Exception:  # keep stopping the others; the failure is logged
                LOGGER.exception("stopping %s failed", name)
        self._stoppers.clear()


def _function_variable(deployment: Deployment, name: str) -> str | None:
    """The value of an environment variable the template gives its functions (the first that has it)."""
    return next((spec.environment[name] for spec in deployment.functions.values() if name in spec.environment), None)


def next_steps(state: dict[str, Any]) -> str:
    """What to do next, printed once the stack is ready."""
    api, key, env = state["api_url"], state["admin_api_key"], state.get("environment") or "000001"
    ftps = "not running"
    if state.get("ftps_port"):
        ftps = f"ftp://{state['ftps_host']}:{state['ftps_port']} (explicit TLS)"
    tasks = state.get("demo_task_ids") or []
    example_task = tasks[0] if tasks else "<task_id>"
    return f"""
pimtasks local stack is up.

  Web console    {api}/   (sign in with the admin API key below)
  API            {api}
  Swagger UI     {api}/docs
  FTPS           {ftps}
  AWS emulator   {state['emulator_url']}   (region {state['region']}, any credentials)
  State          {state_summary(state)}
  Environment    {env}
  Admin API key  {key}

Try:
  curl -s {api}/health
  curl -s -H 'x-api-key: {key}' {api}/environments/{env}/tasks
  pimtasks tasks list
  pimtasks tasks show {example_task}
  pimtasks tasks start {example_task}
  pimtasks runs list {example_task}
  pimtasks local fire {example_task}      # fire its schedule now, as EventBridge Scheduler would
  pimtasks local mail                     # the run report e-mails SES accepted

(`pimtasks` reads the URL and key from {state.get('state_file', '.pimtasks/local/stack.json')}.)
Ctrl-C stops everything.
"""


def state_summary(state: dict[str, Any]) -> str:
    """Whether the emulator's data was restored, and from where (a line of the start-up output)."""
    kept = state.get("emulator_state") or {}
    directory = kept.get("directory", "?")
    if kept.get("restored"):
        summary = f"RESTORED from {directory} (saved {kept.get('saved_at')}); --fresh starts empty"
    elif kept.get("fresh"):
        summary = f"EMPTY (--fresh removed what was saved); kept in {directory} from now on"
    else:
        summary = f"EMPTY (nothing saved in {directory} yet); kept there from now on"
    ended = state.get("runs_ended_at_start") or []
    if ended:
        summary += (f"\n                 {len(ended)} run(s) active when the stack stopped are now failed "
                    "(their work died with it)")
    return summary


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level), format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                        stream=sys.stderr)
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3", "moto"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))
    # Powertools warns on every invocation that publishes no metric; metrics are off locally anyway.
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    configure_logging(options.log_level)
    stack = LocalStack(options)

    ready = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        LOGGER.info("%s received, stopping", signal.Signals(number).name)
        stack.request_stop()
        if not ready.is_set():
            raise KeyboardInterrupt  # abandon start-up; the finally below stops what is running

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        state = stack.start()
        ready.set()
        state["state_file"] = str(options.state_dir / "stack.json")
        print(next_steps(state), flush=True)
        stack.wait()
    except KeyboardInterrupt:
        LOGGER.info("interrupted during start-up, stopping")
    except PortInUseError as exc:
        LOGGER.error("%s", exc.strerror)
        stack.stop()
        return 1
    except StateDirInUseError as exc:
        LOGGER.error("%s", exc)
        stack.stop()
        return 1
    except SnapshotError as exc:
        LOGGER.error("the saved emulator state cannot be restored: %s. Start with --fresh (make run ARGS=--fresh) "
                     "to start empty; that removes the saved state.", exc)
        stack.stop()
        return 1
    except Exception:
        LOGGER.exception("the local stack could not start")
        stack.stop()
        return 1
    stack.stop()
    LOGGER.info("local stack stopped")
    return 0
