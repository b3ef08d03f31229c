"""Import ETIM at ETIM's real size: a model of 5,500 classes, 10,000 features, 15,000 values, 300 units and 180
groups in 3 languages, served by the fake ETIM API (``pimtasks_local.etim_server``, true to the OpenAPI
document) with 20 ms latency per request, stored in the catalog table of the template on a moto server.

Figures:
- ``requests`` of a first sync against ``minimum_requests``, the fewest the API's paging limits allow (pages of
  1000 per list and language, ``Class/DetailsMany`` batches of the server's maximum, the token and the two
  checks): target ratio <= 1.2;
- wall time of the first sync, and as a ratio to a baseline measured in the same run: the same minimum number
  of requests sent bare (no parsing, no storage) to the same server;
- peak RSS of the process doing the sync (target <= 300 MB); it runs in a fresh subprocess, the fake API and
  the emulator in others, so the figure is the sync's own;
- a re-sync with nothing changed: its requests, and the DynamoDB items it wrote (target 0), counted from the
  boto3 calls themselves.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("EN", "nl-NL", "de-DE")
LATENCY_MS = 20
REQUESTS_RATIO_TARGET = 1.2
RSS_TARGET_MB = 300
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"


def _minimum_requests() -> int:
    from pimtasks_local.etim_fake_model import REAL_SIZE
    from pimtasks_local.etim_server import FakeEtimApi

    details_max = FakeEtimApi.__dataclass_fields__["details_max"].default
    size, languages = REAL_SIZE, len(LANGUAGES)
    lists = sum(math.ceil(n / 1000) for n in (size.groups, size.units, size.values, size.features, size.classes))
    return 3 + languages * lists + math.ceil(size.classes / details_max)  # token, LanguagesAllowed, Releases


# --- the measured process -----------------------------------------------------------------------------------


class _Job:
    checkpoint: dict[str, Any] | None = None

    def keep_alive(self, checkpoint: dict[str, Any] | None = None) -> None:
        if checkpoint is not None:
            self.checkpoint = checkpoint

    def progress(self, fraction: float | None, text: str | None = None) -> None:
        pass


class _Writes:
    def __init__(self, client: Any) -> None:
        self.items = 0
        client.meta.events.register("before-parameter-build.dynamodb.*", self._count)

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.items += 1
        elif model.name == "BatchWriteItem":
            self.items += sum(len(requests) for requests in params["RequestItems"].values())


def _sync_once(etim_url: str, table: str, dynamodb: Any, run_id: str) -> dict[str, Any]:
    from pimtasks.adapters.dynamo import DynamoTable
    from pimtasks.adapters.etim_api import EtimApiClient
    from pimtasks.adapters.etim_repository import EtimRepository
    from pimtasks.clock import SystemClock
    from pimtasks.services.etim_sync import EtimSync

    writes = _Writes(dynamodb)
    source = EtimApiClient(api_url=etim_url, auth_url=etim_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           clock=SystemClock())
    store = EtimRepository(table=DynamoTable(table_name=table, dynamodb_client=dynamodb))
    sync = EtimSync(source=source, store=store, clock=SystemClock(), environment="000001", languages=LANGUAGES,
                    release=None, run_id=run_id)
    started = time.perf_counter()
    result = sync.run(_Job())
    seconds = time.perf_counter() - started
    dynamodb.meta.events.unregister("before-parameter-build.dynamodb.*", writes._count)
    return {"seconds": seconds, "requests": result.requests, "items_written": writes.items,
            "switched": result.switched, "entities": {k.plural: v for k, v in result.entities.items()},
            "created": sum(c.created for c in result.counts.values()),
            "unchanged": sum(c.unchanged for c in result.counts.values())}


def _measure(moto_url: str, etim_url: str) -> None:
    import boto3
    from pimtasks_local.template import load_template

    from benchmarks.bench_import_reading import peak_rss_mb

    os.environ.update({"AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"})
    dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
    properties = load_template(ROOT / "infra" / "template.yaml")["Resources"]["CatalogTable"]["Properties"]
    dynamodb.create_table(TableName="CatalogTable", BillingMode=properties["BillingMode"],
                          AttributeDefinitions=properties["AttributeDefinitions"], KeySchema=properties["KeySchema"],
                          GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"])
    first = _sync_once(etim_url, "CatalogTable", dynamodb, "a" * 32)
    first["peak_rss_mb"] = peak_rss_mb()
    again = _sync_once(etim_url, "CatalogTable", dynamodb, "b" * 32)
    print(json.dumps({"first": first, "again": again}))


# --- the runner -------------------------------------------------------------------------------------------


def _start(command: list[str], ready: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server; its output goes to a file (a pipe nobody reads would block it once full)."""
    log = tempfile.NamedTemporaryFile(prefix="bench-etim-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        for line in Path(log.name).read_text(errors="replace").splitlines():
            if ready in line:
                return process, line
        time.sleep(0.2)
    raise RuntimeError(f"{command[2]} did not start: {Path(log.name).read_text(errors='replace')[-2000:]}")


def _moto_server() -> tuple[subprocess.Popen[bytes], str]:
    from benchmarks.support import free_port

    port = free_port()
    process, _ = _start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], "Running on")
    return process, f"http://127.0.0.1:{port}"


def _fake_etim() -> tuple[subprocess.Popen[bytes], str]:
    process, line = _start([sys.executable, "-m", "pimtasks_local.etim_server", "--size", "real",
                            "--latency-ms", str(LATENCY_MS), "--languages", ",".join(LANGUAGES),
                            "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET], "fake ETIM API at")
    return process, line.split(" at ")[1].split()[0]


def _bare_requests(etim_url: str, count: int) -> float:
    """The baseline: ``count`` light requests to the same server, sent one after another, doing nothing else."""
    import requests

    session = requests.Session()
    token = session.post(f"{etim_url}/connect/token", timeout=30, data={
        "grant_type": "client_credentials", "scope": "EtimApi", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    started = time.perf_counter()
    for _ in range(count):
        session.get(f"{etim_url}/api/v2/Misc/Releases", headers=headers, timeout=30).raise_for_status()
    return time.perf_counter() - started


def run() -> dict[str, Any]:
    moto, moto_url = _moto_server()
    etim, etim_url = _fake_etim()
    try:
        completed = subprocess.run([sys.executable, "-m", "benchmarks.bench_etim_sync", "--measure", moto_url,
                                    etim_url], capture_output=True, text=True, check=False, cwd=ROOT)
        if completed.returncode:
            raise RuntimeError(f"the measured sync failed:\n{completed.stderr[-3000:]}")
        measured = json.loads(completed.stdout.strip().splitlines()[-1])
        minimum = _minimum_requests()
        baseline = _bare_requests(etim_url, minimum)
    finally:
        for process in (etim, moto):
            process.terminate()
            process.wait(timeout=10)
    first, again = measured["first"], measured["again"]
    requests_ratio = first["requests"] / minimum
    figures: dict[str, Any] = {
        "model": first["entities"],
        "languages": list(LANGUAGES),
        "latency_ms_per_request": LATENCY_MS,
        "minimum_requests": minimum,
        "first_sync_requests": first["requests"],
        "requests_ratio": round(requests_ratio, 3),
        "requests_ratio_target": REQUESTS_RATIO_TARGET,
        "first_sync_seconds": round(first["seconds"], 1),
        "bare_minimum_requests_seconds": round(baseline, 1),
        "first_sync_time_ratio": round(first["seconds"] / baseline, 2),
        "first_sync_items_written": first["items_written"],
        "peak_rss_mb": round(first["peak_rss_mb"], 1),
        "peak_rss_target_mb": RSS_TARGET_MB,
        "resync_requests": again["requests"],
        "resync_seconds": round(again["seconds"], 1),
        "resync_items_written": again["items_written"],
        "resync_unchanged": again["unchanged"],
        "passed": requests_ratio <= REQUESTS_RATIO_TARGET and first["peak_rss_mb"] <= RSS_TARGET_MB
        and again["items_written"] == 0 and not again["switched"],
    }
    print(f"ETIM sync: {first['requests']} requests for a minimum of {minimum} ({requests_ratio:.2f}x, target "
          f"<= {REQUESTS_RATIO_TARGET}); {first['seconds']:.1f} s ({figures['first_sync_time_ratio']}x the bare "
          f"requests); peak RSS {first['peak_rss_mb']:.0f} MB (target <= {RSS_TARGET_MB}); re-sync wrote "
          f"{again['items_written']} items", flush=True)
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        _measure(sys.argv[2], sys.argv[3])
    else:
        print(json.dumps(run(), indent=2))
