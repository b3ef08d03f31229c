"""Export Art-Connect against the local hub: changed articles posted as ETIM xChange 2.0 messages, a set number
per message, well-formed and counted; nothing posted twice on a retry (deterministic MsgIds per run and chunk)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pimtasks.catalog.models import Product
from pimtasks.domain.run import RunStatus
from pimtasks.domain.task_types import ImportTarget

from tests.integration.artconnect.harness import ENV, ArtConnectTasks, artconnect_tasks

SCHEMA = Path("/work/shared/specs/etim-xchange/ETIM-xChange_Schema_V2.0-2025-11-27.json")


def product(number: int, **overrides: Any) -> Product:
    values: dict[str, Any] = {"article_number": f"A-{number:04d}", "gross_price": Decimal(f"{number}.25"),
                              "descriptions": {"nl": f"Kabel {number}"}, "brand": "Voorbeeld", "order_unit": "MTR"}
    values.update(overrides)
    return Product(**values)


def documents(artconnect: ArtConnectTasks) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(posted["MsgContent"])) for posted in artconnect.hub.state.posted]


def articles(document: dict[str, Any]) -> list[str]:
    return [p["TradeItem"][0]["ItemIdentification"]["SupplierItemNumber"] for p in document["Supplier"][0]["Product"]]


def test_changed_articles_are_posted_in_chunks(artconnect: ArtConnectTasks) -> None:
    artconnect.put_products([product(n) for n in range(7)])
    task = artconnect.create_task("export_artconnect", articles_per_message=3, sender_gln="8712345000004",
                                  supplier_name="Groothandel")
    run = artconnect.run(task)
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert (run.counts.selected, run.counts.written) == (7, 7)
    posted = artconnect.hub.state.posted
    assert [p["MsgId"] for p in posted] == [f"PIM-{run.run_id}-{n:05d}" for n in (1, 2, 3)]
    assert {(p["MsgFormat"], p["MsgVersion"], p["MsgType"]) for p in posted} == {("ETIM", "2.0", "PRICAT")}
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    for document in documents(artconnect):
        validator.validate(document)
    assert [articles(d) for d in documents(artconnect)] == [
        ["A-0000", "A-0001", "A-0002"], ["A-0003", "A-0004", "A-0005"], ["A-0006"]]
    assert documents(artconnect)[0]["CatalogueType"] == "FULL"
    assert documents(artconnect)[0]["Supplier"][0]["SupplierIdGln"] == "8712345000004"

    artconnect.put_products([product(3, gross_price=Decimal("99"))])
    again = artconnect.run(task)
    assert again.counts.written == 1 and len(artconnect.hub.state.posted) == 4
    assert articles(documents(artconnect)[3]) == ["A-0003"] and documents(artconnect)[3]["CatalogueType"] == "CHANGE"
    assert not artconnect.hub.state.duplicates

    artconnect.core.clock.advance(seconds=10)
    assert artconnect.imports.catalog.remove(environment=ENV, target=ImportTarget.PRODUCTS, identifier="A-0005",
                                             removed_at=artconnect.core.clock.now())
    artconnect.core.clock.advance(seconds=10)
    third = artconnect.run(task)
    assert (third.counts.written, third.counts.selected, third.counts.skipped) == (0, 1, 1)
    assert len(artconnect.hub.state.posted) == 4
    assert "1 removed article(s) are not posted (xChange has no removal)" in [m.text for m in third.messages]


def test_a_retry_after_a_crash_posts_nothing_twice(artconnect: ArtConnectTasks) -> None:
    artconnect.put_products([product(n) for n in range(5)])
    task = artconnect.create_task("export_artconnect", articles_per_message=2)
    crashed, run = artconnect.crash_and_retry(task, dies_after=2)
    assert crashed.status is RunStatus.RUNNING and crashed.checkpoint["chunk"] == 1  # chunk 2 posted, not recorded
    assert run.status is RunStatus.SUCCEEDED and run.counts.written == 5
    assert [p["MsgId"] for p in artconnect.hub.state.posted] == [f"PIM-{run.run_id}-{n:05d}" for n in (1, 2, 3)]
    assert artconnect.hub.state.duplicates == {f"PIM-{run.run_id}-00002": 1}
    assert [articles(d) for d in documents(artconnect)] == [["A-0000", "A-0001"], ["A-0002", "A-0003"], ["A-0004"]]


def test_a_retry_after_a_crash_goes_on_when_the_hub_refuses_the_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    # A hub whose duplicate detection answers MessageResult false to the repeated MsgId: the chunk is on the hub, so
    # the run goes on (failing would make the next run post the first chunks again under new MsgIds).
    with artconnect_tasks(monkeypatch, refuses_duplicates=True) as artconnect:
        artconnect.put_products([product(n) for n in range(5)])
        task = artconnect.create_task("export_artconnect", articles_per_message=2)
        _crashed, run = artconnect.crash_and_retry(task, dies_after=2)
        assert run.status is RunStatus.SUCCEEDED and run.counts.written == 5
        assert artconnect.hub.state.duplicates == {f"PIM-{run.run_id}-00002": 1}
        assert [articles(d) for d in documents(artconnect)] == [["A-0000", "A-0001"], ["A-0002", "A-0003"], ["A-0004"]]
        assert (f"Message PIM-{run.run_id}-00002: 2 article(s) posted (A-0002 .. A-0003) before; the hub already had "
                "it (a repeat, MessageResult false)") in [m.text for m in run.messages]
        assert all(p["MsgDateTime"].endswith("Z") for p in artconnect.hub.state.posted)
