"""Memory a warm import function keeps after its runs (issue 8, item 2).

A warm Lambda keeps its process between invocations, so whatever one import run leaves behind is still
there for the next one. This benchmark runs the emulator (the local stack's moto server, provisioned from
``infra/template.yaml``) in this process and the import function's real handler
(``functions/import_handler/app.py``, loaded by the local function host) in a child process of its own that
stays warm across ``RUNS`` consecutive runs. Each run imports the same 100,000-row, 16-column sales-conditions
XLSX of ``bench_import_reading`` (uploaded into ``Uploads/`` again, started by hand): run 1 creates every
condition, the later ones find them unchanged. After each run the child reports its RSS; the figure that
matters is the drift of runs 2.. against run 1 (target: within ``DRIFT_TARGET_MIB``). The runs' seconds
give ``ratio_unchanged_to_create`` too: the median re-import over the first import, outside the emulator's
process (target < 1).

    .venv/bin/python -m benchmarks import_memory
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.bench_import_reading import XLSX_ROWS, conditions_xlsx

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.yaml"
RUNS = 5
DRIFT_TARGET_MIB = 30
ENVIRONMENT = "000001"
IMPORT_NAME = "Bench conditions"
TASK = {
    "type": "import", "description": "Bench: sales conditions, warm worker", "active": False,
    "frequency": {"every": "day", "time": "03:00"}, "notification": {"emails": [], "when": "never"},
    "settings": {"import_name": IMPORT_NAME, "target": "sales_conditions", "archived": False},
}


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_mib() -> float:
    """This process's resident set now (``VmRSS``), in MiB."""
    return _status_mib("VmRSS")


class _RecordingInvoker:
    """Takes the asynchronous invocation a started run sends, so the benchmark hands it to the child."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def invoke_async(self, *, function: str, payload: dict[str, Any]) -> None:
        self.payloads.append(payload)


# --- the warm function (child process) -----------------------------------------------------------


def _worker(spec_json: str) -> int:
    """The child: load the import function once, then run every event read from stdin, replying with RSS.

    The handler logs to stdout, so the replies go to a duplicate of the original stdout and everything
    else to stderr.
    """
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    from pimtasks_local.deployment import FunctionSpec
    from pimtasks_local.functions import FunctionHost

    fields = json.loads(spec_json)
    spec = FunctionSpec(**{**fields, "code_uri": Path(fields["code_uri"])})
    host = FunctionHost([spec])
    host.prepare_environment()
    host.load_all()
    replies.write(json.dumps({"rss_mib": rss_mib()}) + "\n")
    for line in sys.stdin:
        started = time.perf_counter()
        result = host.invoke(spec.function_name, json.loads(line))
        replies.write(json.dumps({"result": result, "seconds": time.perf_counter() - started,
                                  "rss_mib": rss_mib(), "peak_rss_mib": _status_mib("VmHWM")}) + "\n")
    return 0


class _WarmFunction:
    """The child process hosting the import function, and the pipe to invoke it."""

    def __init__(self, spec: Any, *, environment: dict[str, str], log: Path) -> None:
        spec_json = json.dumps({**dataclasses.asdict(spec), "code_uri": str(spec.code_uri)})
        self._log = log.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_import_memory", "--worker", spec_json],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, env=environment, cwd=ROOT)
        self.cold_rss_mib = float(self._reply()["rss_mib"])

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(event) + "\n")
        self._process.stdin.flush()
        return self._reply()

    def _reply(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the import function's process ended (exit {self._process.wait()}); "
                               f"see {self._log.name}")
        return dict(json.loads(line))

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)
        self._log.close()


# --- the emulator side (this process) ------------------------------------------------------------


@contextmanager
def _emulator() -> Iterator[Any]:
    """The local stack's emulator in this process, provisioned from the template; yields the deployment."""
    from pimtasks_local.deployer import deploy_template
    from pimtasks_local.emulator import Emulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines in the figures
    saved = dict(os.environ)
    emulator = Emulator(port=0).start()  # points this process's boto3 clients at it
    try:
        yield deploy_template(TEMPLATE, stack_name="bench", parameters={"MailSender": "bench@example.com"},
                              clients=emulator.clients(), region=emulator.region, account_id=emulator.account_id)
    finally:
        emulator.stop()
        os.environ.clear()
        os.environ.update(saved)


def _function_environment(spec: Any) -> dict[str, str]:
    """What the function's process sees: the emulator's endpoint, the local defaults, the function's variables."""
    from pimtasks_local.functions import LOCAL_DEFAULTS

    keep = ("PATH", "HOME", "LANG", "TMPDIR", "VIRTUAL_ENV")
    environment = {name: os.environ[name] for name in keep if name in os.environ}
    environment.update({name: value for name, value in os.environ.items() if name.startswith("AWS_")})
    environment.update(LOCAL_DEFAULTS)
    environment.update(spec.environment)
    environment["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # no lines per run in the log
    return environment


def _import_task() -> str:
    """The demo environment and a (never scheduled) import task of the benchmark's file; its id."""
    from pimtasks import wiring
    from pimtasks.domain.task import TaskSpec
    from pydantic import TypeAdapter

    wiring.access_service().create_environment(environment=ENVIRONMENT, name="Bench", timezone="Europe/Amsterdam")
    return wiring.task_service().create(environment=ENVIRONMENT,
                                        spec=TypeAdapter(TaskSpec).validate_python(TASK)).task_id


def _start_run(task_id: str, invoker: _RecordingInvoker) -> dict[str, Any]:
    """Start the task by hand as the API would; the invocation its run sends."""
    from pimtasks import wiring
    from pimtasks.services.runs import RunService

    service = RunService(tasks=wiring.task_repository(), runs=wiring.run_repository(), invoker=invoker,
                         finisher=wiring.run_finisher(), clock=wiring.clock, queued_timeout_seconds=3600)
    service.start(environment=ENVIRONMENT, task_id=task_id)
    return invoker.payloads.pop()


def _warm_runs(workbook: Path, *, scratch: Path) -> tuple[float, list[dict[str, Any]]]:
    """(the function's RSS before its first run, each run's figures) for ``RUNS`` runs of ``workbook``."""
    from pimtasks import wiring
    from pimtasks.adapters.aws_clients import client

    with _emulator() as deployment:
        spec = deployment.functions["ImportFunction"]
        os.environ.update(spec.environment)  # this process's wiring talks to the same tables
        wiring.clear_caches()
        task_id, invoker = _import_task(), _RecordingInvoker()
        warm = _WarmFunction(spec, environment=_function_environment(spec), log=scratch / "function.log")
        runs: list[dict[str, Any]] = []
        try:
            for _ in range(RUNS):
                client("s3").upload_file(str(workbook), spec.environment["FILES_BUCKET"],
                                         f"environments/{ENVIRONMENT}/Uploads/{IMPORT_NAME}/{workbook.name}")
                reply = warm.invoke(_start_run(task_id, invoker))
                stored = wiring.run_repository().find(environment=ENVIRONMENT, run_id=reply["result"]["run_id"])
                assert stored is not None
                runs.append({"status": stored.status.value, "counts": stored.counts.model_dump(),
                             "seconds": reply["seconds"], "rss_mib": round(reply["rss_mib"], 1),
                             "peak_rss_mib": round(reply["peak_rss_mib"], 1), "emulator_rss_mib": round(rss_mib())})
        finally:
            warm.close()
            wiring.clear_caches()
    return warm.cold_rss_mib, runs


def run(rows: int = XLSX_ROWS) -> dict[str, Any]:
    from pimtasks.adapters.aws_clients import reset_clients

    workbook = conditions_xlsx(rows)
    reset_clients()
    with tempfile.TemporaryDirectory() as scratch:
        cold, runs = _warm_runs(workbook, scratch=Path(scratch))
    reset_clients()
    first = runs[0]["rss_mib"]
    drifts = [round(r["rss_mib"] - first, 1) for r in runs]
    reimports = statistics.median(r["seconds"] for r in runs[1:])
    return {
        "rows": rows, "runs": RUNS,
        "cold_rss_mib": round(cold, 1),
        "rss_after_run_mib": [r["rss_mib"] for r in runs],
        "drift_against_run_1_mib": drifts,
        "max_drift_mib": max(drifts[1:], key=abs),
        "drift_target_mib": DRIFT_TARGET_MIB,
        "peak_rss_mib": runs[-1]["peak_rss_mib"],
        "passed": max(abs(d) for d in drifts[1:]) <= DRIFT_TARGET_MIB,
        "seconds_per_run": [round(r["seconds"], 1) for r in runs],
        "ratio_unchanged_to_create": round(reimports / runs[0]["seconds"], 2),
        # For comparison: the emulator's process, which keeps what the runs stored (items, object versions).
        "emulator_rss_after_run_mib": [r["emulator_rss_mib"] for r in runs],
        "statuses": [r["status"] for r in runs],
        "counts": [r["counts"] for r in runs],
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(_worker(sys.argv[2]))
    print(json.dumps(run(int(sys.argv[1]) if sys.argv[1:] else XLSX_ROWS), indent=2))
