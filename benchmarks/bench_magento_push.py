"""Magento push rate: 10,000 products (global values and two store views: 30,000 payloads) pushed by the push
engine in async bulks of 200 to the local Magento server (``tests.support.magento_server``, 20 ms latency per
request, its consumer applying operations as they arrive), polling the operation statuses until none is open;
as a ratio to a bare HTTP client (``http.client``, one kept-alive connection) posting the same prepared bulk
bodies one after the other to the same server (target >= 0.8). Also: the requests made (bulks and status polls),
the wall time and the peak RSS of this process (target <= 250 MB); the server runs in its own process.

The catalog and the push state are in memory here (the figure is the push's, not DynamoDB's or moto's).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = 10_000
LATENCY_SECONDS = 0.02
STORE_VIEWS = {"en": "default", "nl": "nl"}


class _Changes:
    def __init__(self, products: list[dict[str, Any]]) -> None:
        self._products = products

    def changed_products(self, *, environment: str, since: dt.datetime | None,
                         after: str | None = None) -> Iterator[Any]:
        from pimtasks.domain.catalog_changes import ProductChange

        at = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        for data in self._products:
            position = data["article_number"]
            if after is None or position > after:
                yield ProductChange(data["article_number"], data, at, position)

    def current_products(self, *, environment: str, article_numbers: list[str]) -> dict[str, Any]:
        by_number = {p["article_number"]: p for p in self._products}
        return {number: by_number.get(number) for number in article_numbers}


def _products() -> list[dict[str, Any]]:
    from pimtasks.catalog.models import Product

    return [Product(article_number=f"A-{index:07d}", gross_price=Decimal(index % 997) / 4 + 1,
                    descriptions={"nl": f"Installatiekabel {index}", "en": f"Installation cable {index}"},
                    brand="Voorbeeld").model_dump(mode="json", exclude_none=True) for index in range(PRODUCTS)]


def _settings(url: str) -> Any:
    from pimtasks.domain.task_types import MagentoSettings

    return MagentoSettings(base_url=url, access_token="t", store_views=STORE_VIEWS)


def _prepared_bodies(settings: Any, products: list[dict[str, Any]]) -> list[tuple[str, str, bytes]]:
    """The bulk requests the push makes, as (method, path, body), built before the clock starts."""
    from pimtasks.magento.mapping import ProductMapper

    mapper = ProductMapper(settings)
    requests: list[tuple[str, str, bytes]] = []
    globals_ = [mapper.global_payload(p["article_number"], p) for p in products]
    for start in range(0, len(globals_), settings.chunk_size):
        chunk = [{"product": p.product} for p in globals_[start:start + settings.chunk_size]]  # type: ignore[union-attr]
        requests.append(("POST", "/rest/all/async/bulk/V1/products", json.dumps(chunk).encode()))
    for index, code in enumerate(STORE_VIEWS.values()):
        views = [mapper.store_payloads(p["article_number"], p)[index] for p in products]
        for start in range(0, len(views), settings.chunk_size):
            chunk = [{"sku": p.sku, "product": p.product} for p in views[start:start + settings.chunk_size]]  # type: ignore[union-attr]
            requests.append(("PUT", f"/rest/{code}/async/bulk/V1/products/bySku", json.dumps(chunk).encode()))
    return requests


def _bare_post(url: str, requests: list[tuple[str, str, bytes]]) -> float:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    started = time.perf_counter()
    for method, path, body in requests:
        connection.request(method, path, body=body, headers={"Authorization": "Bearer integration-token",
                                                              "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 202, response.status
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _push(url: str, products: list[dict[str, Any]]) -> tuple[float, dict[str, int], Any]:
    from pimtasks.clock import SystemClock
    from pimtasks.domain.run import RunStatus
    from pimtasks.magento.client import BearerToken, MagentoClient
    from pimtasks.magento.push import MagentoPush
    from pimtasks.magento.state import MemoryPushState

    from benchmarks.support import bench_job

    clock = SystemClock()
    settings = _settings(url)
    job = bench_job({"type": "magento", "settings": settings.model_dump(mode="json"),
                     "frequency": {"every": "day", "time": "06:00"}})
    run = job.run
    client = MagentoClient(base_url=url, auth=BearerToken("integration-token", description="the token"))
    push = MagentoPush(settings=settings, client=client, state=MemoryPushState(), changes=_Changes(products),
                       clock=clock, checkpoint_every=2000)
    started = time.perf_counter()
    status = push.run(job, since=None)
    elapsed = time.perf_counter() - started
    assert status is RunStatus.SUCCEEDED, run.messages[-5:]
    return elapsed, dict(client.requests_made), push.progress


def run() -> dict[str, Any]:
    server = subprocess.Popen([sys.executable, "-m", "tests.support.magento_server", str(LATENCY_SECONDS),
                               *[c for c in STORE_VIEWS.values() if c != "default"]],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        products = _products()
        prepared = _prepared_bodies(_settings(url), products)
        bare_seconds = _bare_post(url, prepared)
        push_seconds, requests, progress = _push(url, products)
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    payloads = PRODUCTS * (1 + len(STORE_VIEWS))
    return {
        "products": PRODUCTS,
        "payloads": payloads,
        "latency_ms": LATENCY_SECONDS * 1000,
        "requests": requests,
        "bare_client_requests": len(prepared),
        "bare_client_payloads_per_s": round(payloads / bare_seconds, 1),
        "push_payloads_per_s": round(payloads / push_seconds, 1),
        "push_seconds": round(push_seconds, 2),
        "ratio_push_to_bare_client": round(bare_seconds / push_seconds, 2),
        "target_ratio": 0.8,
        "succeeded": sum(c.succeeded for c in progress.counts.values()),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_peak_rss_mb": 250,
    }
