"""Shared benchmark plumbing: a moto server on a free port, percentiles."""

from __future__ import annotations

import os
import socket
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server in this process; boto3 clients made inside go to it (AWS_ENDPOINT_URL)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log lines in the figures

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    previous = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                "AWS_DEFAULT_REGION")}
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-1"})
    try:
        yield url
    finally:
        server.stop()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 0.5) * 1000, 1), "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "mean_ms": round(statistics.mean(values) * 1000, 1)}


class _Runs:
    """A run store that accepts every save and lease (a benchmark's run is never swept or stopped)."""

    def save(self, run: Any, **kwargs: Any) -> bool:
        return True

    def extend_lease(self, **kwargs: Any) -> bool:
        return True


def bench_job(task_document: dict[str, Any]) -> Any:
    """A ``RunJob`` of a running manual run of the task ``task_document`` (type, settings), with a day's budget."""
    from pimtasks.clock import SystemClock
    from pimtasks.domain.run import Run, RunStatus, Trigger
    from pimtasks.domain.task import Task, TaskSpec
    from pimtasks.services.run_job import RunJob
    from pydantic import TypeAdapter

    clock = SystemClock()
    spec = TypeAdapter(TaskSpec).validate_python({"description": "Bench", **task_document})
    task = Task(task_id="0" * 32, environment="000001", spec=spec, version=1, schedule_anchor=clock.now(),
                created_at=clock.now(), updated_at=clock.now())
    run = Run(run_id="1" * 32, environment="000001", task_id=task.task_id, task_type=spec.type,
              trigger=Trigger.MANUAL, status=RunStatus.RUNNING, created_at=clock.now())
    return RunJob(task=task, run=run, runs=_Runs(), clock=clock, secrets=None,  # type: ignore[arg-type]
                  remaining_ms=lambda: 900_000, heartbeat_seconds=3, lease_seconds=300,
                  continuation_margin_seconds=60)
