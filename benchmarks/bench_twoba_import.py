"""Import 2BA rate: three suppliers (SUPPLIERS trade items in all) read from the local Product Data OpenAPI server
(``tests.support.twoba_server``, its own process, 20 ms latency per request) over the four trade-item bulk
endpoints and the products' ETIM classifications, details and descriptions (the supplier is the manufacturer
here) at limit 1000, staged,
joined and written through the catalog writer; as a ratio to a bare client
(``requests``, one session) that only GETs the same pages one after the other (the import's extra time is
staging, joining and writing). Also: the requests made against the minimum at limit 1000 (one request per 1000
rows per endpoint and supplier, at least one; target <= 1.1x), the peak RSS of this process (target <= 300 MB),
and a delta run after 1 % of the items changed their price: its requests (proportional to the changes).

``BENCH_TWOBA_ITEMS`` (default 50000) scales the three suppliers (60, 30 and 10 % of the items), for a quick run.

The catalog store and the task state are in memory here (the figures are the import's, not DynamoDB's or moto's):
the in-memory catalog holds every product's JSON, which the peak RSS includes and a Lambda would not; the state
holds the staged pages gzip-compressed, as the repository does, so the peak is the join's (one supplier's rows).
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LATENCY_SECONDS = 0.02
ITEMS = int(os.environ.get("BENCH_TWOBA_ITEMS", "50000"))
SUPPLIERS = {"8712345000004": ITEMS * 6 // 10, "8712345000011": ITEMS * 3 // 10, "8712345000028": ITEMS // 10}
CHANGED_FRACTION = 0.01
LIMIT = 1000


def _rows_per_endpoint(count: int) -> dict[str, int]:
    """What ``tests.support.twoba_server.catalog_rows`` serves for ``count`` items."""
    with_allowances = math.ceil(count / 3)
    return {"details": count, "descriptions": 2 * count, "ordering": count,
            "pricings": count + with_allowances, "etim-classifications": 2 * count, "product-details": count,
            "product-descriptions": count}


def _minimum_requests() -> int:
    return sum(max(1, math.ceil(rows / LIMIT)) for count in SUPPLIERS.values()
               for rows in _rows_per_endpoint(count).values())


def _bare_scan(url: str) -> tuple[float, int]:
    """GET every page of every endpoint and supplier, nothing else; (seconds, requests)."""
    import requests

    from tests.support.twoba_server import IMPORTED_RESOURCES

    session = requests.Session()
    token = session.post(f"{url}/connect/token", data={"grant_type": "client_credentials", "client_id": "client",
                                                       "client_secret": "secret"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    sent = 0
    for gln in SUPPLIERS:
        for path in IMPORTED_RESOURCES:
            cursor = None
            while True:
                key = "manufacturerIdGln" if path.startswith("products/") else "supplierIdGln"
                params = {key: gln, "limit": str(LIMIT), **({"cursor": cursor} if cursor else {})}
                body = session.get(f"{url}/v1/{path}", params=params, headers=headers).json()
                sent += 1
                if not body["meta"]["hasNext"]:
                    break
                cursor = body["meta"]["cursor"]
    return time.perf_counter() - started, sent


def _import(url: str, *, catalog: Any, state: Any) -> tuple[float, int, Any]:
    from pimtasks.clock import SystemClock
    from pimtasks.services.catalog_writer import CatalogWriter
    from pimtasks.twoba.client import TwobaClient
    from pimtasks.twoba.importer import TwobaImport

    from benchmarks.support import bench_job

    clock = SystemClock()
    job = bench_job({"type": "import_2ba", "frequency": {"every": "day", "time": "05:00"}, "settings": {
        "client_id": "client", "client_secret": "s", "supplier_glns": list(SUPPLIERS), "api_url": f"{url}/v1",
        "token_url": f"{url}/connect/token", "page_size": LIMIT}})
    run, spec = job.run, job.task.spec
    client = TwobaClient(api_url=f"{url}/v1", token_url=f"{url}/connect/token", client_id="client",
                         client_secret="secret", clock=clock)
    started = time.perf_counter()
    status = TwobaImport(settings=spec.settings, source=client, state=state, writer=CatalogWriter(
        store=catalog, clock=clock), clock=clock).run(job)
    elapsed = time.perf_counter() - started
    assert status is None and run.counts.rejected == 0, run.messages[-5:]
    return elapsed, client.requests + client.token_requests, run.counts


def run() -> dict[str, Any]:
    from pimtasks.twoba.state import MemoryTwobaState

    from tests.support.memory_catalog import MemoryCatalog

    server = subprocess.Popen([sys.executable, "-m", "tests.support.twoba_server", str(LATENCY_SECONDS),
                               *[f"{gln}:{count}" for gln, count in SUPPLIERS.items()]],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdin is not None and server.stdout is not None
        url = server.stdout.readline().strip()
        bare_seconds, bare_requests = _bare_scan(url)
        catalog, state = MemoryCatalog(), MemoryTwobaState()
        full_seconds, full_requests, full = _import(url, catalog=catalog, state=state)
        server.stdin.write(f"mutate {CHANGED_FRACTION}\n")
        server.stdin.flush()
        changed = int(server.stdout.readline().split()[1])
        delta_seconds, delta_requests, delta = _import(url, catalog=catalog, state=state)
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    items = sum(SUPPLIERS.values())
    minimum = _minimum_requests() + 1  # and one token
    return {
        "suppliers": len(SUPPLIERS), "trade_items": items, "latency_ms": LATENCY_SECONDS * 1000, "limit": LIMIT,
        "full_items_per_s": round(items / full_seconds, 1), "full_seconds": round(full_seconds, 2),
        "bare_client_items_per_s": round(items / bare_seconds, 1), "bare_client_requests": bare_requests,
        "ratio_import_to_bare_client": round(bare_seconds / full_seconds, 2),
        "full_requests": full_requests, "minimum_requests": minimum,
        "requests_to_minimum": round(full_requests / minimum, 3), "target_requests_to_minimum": 1.1,
        "full_counts": full.model_dump(),
        "delta_changed_items": changed, "delta_requests": delta_requests, "delta_seconds": round(delta_seconds, 2),
        "delta_counts": delta.model_dump(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_peak_rss_mb": 300,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
