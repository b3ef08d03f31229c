"""``pimtasks catalog list | show | delete`` over real HTTP: the local API (API Gateway emulation, the real
handler, moto in-process) served on a free port of 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pimtasks.catalog.models import Product
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.catalog_writer import planned_write
from pimtasks.wiring import catalog_repository
from pimtasks_local import cli
from werkzeug.serving import make_server

from tests.integration.api.local_api import ENVIRONMENT, local_api_stack

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
SLASHED = "BUIS 16/20 mm"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str]]:
    """(API URL, admin key) of a local API with 12 products, one with a slash in its article number."""
    with pytest.MonkeyPatch.context() as monkeypatch, local_api_stack(monkeypatch) as stack:
        products = [Product(article_number=f"L{n:02d}", brand="Acme" if n < 4 else "Other") for n in range(11)]
        products.append(Product(article_number=SLASHED, brand="Buis"))
        catalog_repository().put_many(environment=ENVIRONMENT, target=ImportTarget.PRODUCTS,
                                      records=[planned_write(p) for p in products], changed_at=T0, run_id=None)
        server = make_server("127.0.0.1", 0, stack.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", stack.admin_key
        finally:
            server.shutdown()
            thread.join(timeout=10)


def pimtasks(served: tuple[str, str], *arguments: str) -> tuple[int, Any]:
    url, key = served
    out = io.StringIO()
    status = cli.main(["--api-url", url, "--api-key", key, "--env", ENVIRONMENT, "--json", *arguments], out=out)
    text = out.getvalue()
    return status, json.loads(text) if text.strip().startswith(("{", "[")) else text


def test_catalog_list_follows_the_cursor_and_filters(served: tuple[str, str]) -> None:
    status, body = pimtasks(served, "catalog", "list", "products", "--all")
    assert status == 0 and len(body["items"]) == 12 and body["next_token"] is None

    status, body = pimtasks(served, "catalog", "list", "products", "--filter", "brand=Acme", "--limit", "3")
    assert status == 0
    assert [item["record_id"] for item in body["items"]] == ["L00", "L01", "L02"] and body["next_token"]


def test_catalog_show_and_delete_take_an_article_number_with_a_slash(served: tuple[str, str]) -> None:
    status, body = pimtasks(served, "catalog", "show", "products", SLASHED)
    assert status == 0 and body["record_id"] == SLASHED and body["sales_conditions"] == []

    status, _ = pimtasks(served, "catalog", "delete", "products", SLASHED)
    assert status == 0
    status, _ = pimtasks(served, "catalog", "show", "products", SLASHED)
    assert status != 0
    status, body = pimtasks(served, "catalog", "list", "products", "--changed-since", "2026-12-01T08:00:00Z",
                            "--all")
    assert [item["record_id"] for item in body["items"] if item["removed"]] == [SLASHED]
