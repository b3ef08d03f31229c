"""Art-Connect invoice import rate: 1,000 INSBOU003 invoices (5 lines each) from the local MessageService hub
(``tests.support.artconnect_server``, its own process, 20 ms latency per request, digest and timestamp checked)
imported by ``InvoiceImport``: each fetched, parsed, checked (amounts, and prices against the catalog's sales
conditions), its raw XML put in S3 and the invoice with its lines in the invoices table (a moto server in its own
process, as DynamoDB and S3 are for a Lambda function; tables from the template), then deleted on the hub.

Baseline: bare ``GetMessage`` + ``DeleteMessage`` calls alone (``http.client``, one kept-alive connection,
prepared envelopes) for 1,000 other messages of the same hub; target ratio >= 0.8. The import handles
``max_in_flight`` (4, the default) messages at a time; the same import one message at a time is measured too, on
250 more invoices. Also the peak RSS of this process (the function's part: hub and moto run elsewhere; target
<= 200 MB).
"""

from __future__ import annotations

import datetime as dt
import http.client
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.support import free_port

INVOICES = 1000
SEQUENTIAL = 250
LATENCY_SECONDS = 0.02
BUCKET = "bench-files"
ROOT = Path(__file__).resolve().parents[1]


class _Runs:
    def save(self, run: Any, **kwargs: Any) -> bool:
        return True

    def extend_lease(self, **kwargs: Any) -> bool:
        return True


def _envelope(operation: str, msg_id: str) -> bytes:
    from pimtasks.artconnect.envelope import CustomInfo, message_request, request_envelope
    from pimtasks.artconnect.security import PasswordType, UsernameToken

    token = UsernameToken(username="pim", password="s3cret", password_type=PasswordType.TEXT)
    return request_envelope(body=message_request(msg_id=msg_id, msg_format="INSBOU", msg_version="003"),
                            headers=[token.security_header(now=dt.datetime.now(dt.UTC))], custom_info=CustomInfo())


def _bare(url: str) -> float:
    """GetMessage and DeleteMessage of every BENCH message, one after the other."""
    prepared = [(operation, _envelope(operation, f"BENCH-{index:06d}")) for index in range(INVOICES)
                for operation in ("GetMessage", "DeleteMessage")]
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    started = time.perf_counter()
    for operation, body in prepared:
        connection.request("POST", parts.path, body=body, headers={"Content-Type": "text/xml; charset=utf-8",
                                                                   "SOAPAction": f'"messageservice/{operation}"'})
        response = connection.getresponse()
        answer = response.read()
        assert response.status == 200 and b"Fault" not in answer, answer[:300]
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _tables(dynamodb: Any) -> None:
    from pimtasks_local.template import load_template

    resources = load_template(ROOT / "infra" / "template.yaml")["Resources"]
    for name in ("InvoicesTable", "CatalogTable"):
        properties = resources[name]["Properties"]
        dynamodb.create_table(TableName=name, BillingMode=properties["BillingMode"],
                              AttributeDefinitions=properties["AttributeDefinitions"],
                              KeySchema=properties["KeySchema"],
                              GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"])


def _import(url: str, *, message_type: str, max_in_flight: int, expected: int) -> tuple[float, Any]:
    import boto3
    from pimtasks.adapters.catalog_repository import CatalogRepository
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.file_store import FileStore
    from pimtasks.adapters.invoice_repository import InvoiceRepository
    from pimtasks.artconnect.invoice_import import InvoiceImport
    from pimtasks.clock import SystemClock
    from pimtasks.domain.run import Run, RunStatus, Trigger
    from pimtasks.domain.task import Task, TaskSpec
    from pimtasks.services.invoice_prices import CatalogNetPrices
    from pimtasks.services.run_job import RunJob
    from pimtasks.workers.artconnect_worker import message_service
    from pydantic import TypeAdapter

    dynamodb = boto3.client("dynamodb")
    s3 = boto3.client("s3")
    if message_type == "INVOIC":
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        _tables(dynamodb)
    tables = {"invoices": "InvoicesTable", "catalog": "CatalogTable"}
    clock = SystemClock()
    spec: Any = TypeAdapter(TaskSpec).validate_python({
        "type": "import_artconnect_invoices", "description": "Bench", "frequency": {"every": "day", "time": "06:00"},
        "settings": {"endpoint_url": url, "username": "pim", "password": "pw", "message_type": message_type,
                     "max_in_flight": max_in_flight}})
    task = Task(task_id="0" * 32, environment="000001", spec=spec, version=1, schedule_anchor=clock.now(),
                created_at=clock.now(), updated_at=clock.now())
    run = Run(run_id="1" * 32, environment="000001", task_id=task.task_id, task_type=spec.type,
              trigger=Trigger.MANUAL, status=RunStatus.RUNNING, created_at=clock.now())
    job = RunJob(task=task, run=run, runs=_Runs(), clock=clock, secrets=None,  # type: ignore[arg-type]
                 remaining_ms=lambda: 900_000, heartbeat_seconds=3, lease_seconds=300, continuation_margin_seconds=60)
    settings = spec.settings
    work = InvoiceImport(
        hub=message_service(clock)(settings, "s3cret"),
        invoices=InvoiceRepository(table=DynamoTable(table_name=tables["invoices"], dynamodb_client=dynamodb)),
        files=FileStore(bucket=BUCKET, s3_client=s3),
        prices=CatalogNetPrices(catalog=CatalogRepository(table=DynamoTable(table_name=tables["catalog"],
                                                                            dynamodb_client=dynamodb))),
        clock=clock, max_in_flight=settings.max_in_flight)
    started = time.perf_counter()
    work.run(job, settings)
    elapsed = time.perf_counter() - started
    assert run.counts.created == expected, (run.counts, run.messages[-3:])
    return elapsed, run


@contextmanager
def _moto_process() -> Iterator[None]:
    """A moto server in a process of its own; boto3 clients made meanwhile go to it."""
    import os
    import socket

    port = free_port()
    # With the local stack's constant-cost transactions (moto copies whole tables for each one otherwise).
    script = ("from pimtasks_local.moto_transactions import install; install(); from moto.server import main; "
              f"main(['-H', '127.0.0.1', '-p', '{port}'])")
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    names = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    previous = {name: os.environ.get(name) for name in names}
    os.environ.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"})
    try:
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run() -> dict[str, Any]:
    hub = subprocess.Popen([sys.executable, "-m", "tests.support.artconnect_server", str(LATENCY_SECONDS),
                            str(INVOICES), f"BENCH={INVOICES}", f"SEQ={SEQUENTIAL}"],
                           cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert hub.stdout is not None
        url = hub.stdout.readline().strip()
        bare_seconds = _bare(url)
        with _moto_process():
            import_seconds, imported = _import(url, message_type="INVOIC", max_in_flight=4, expected=INVOICES)
            sequential_seconds, _ = _import(url, message_type="SEQ", max_in_flight=1, expected=SEQUENTIAL)
    finally:
        if hub.stdin:
            hub.stdin.close()
        hub.wait(timeout=30)
    return {
        "invoices": INVOICES,
        "lines_per_invoice": 5,
        "latency_ms": LATENCY_SECONDS * 1000,
        "max_in_flight": 4,
        "bare_get_delete_per_s": round(INVOICES / bare_seconds, 1),
        "import_invoices_per_s": round(INVOICES / import_seconds, 1),
        "import_seconds": round(import_seconds, 2),
        "ratio_import_to_bare_calls": round(bare_seconds / import_seconds, 2),
        "sequential_invoices": SEQUENTIAL,
        "sequential_invoices_per_s": round(SEQUENTIAL / sequential_seconds, 1),
        "ratio_sequential_to_bare_calls": round(bare_seconds / INVOICES * SEQUENTIAL / sequential_seconds, 2),
        "target_ratio": 0.8,
        "counts": imported.counts.model_dump(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_peak_rss_mb": 200,
    }
