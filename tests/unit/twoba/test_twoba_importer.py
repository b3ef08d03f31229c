"""The 2BA import over the local server with the catalog and the task state in memory: the GTIN rule across a
delta, a supplier failing past the retries, a 400, Stop and the next run, every supplier failing, the products'
classifications, brands and descriptions across a delta, and a selection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from pimtasks.catalog.codes import gs1_check_digit
from pimtasks.clock import SystemClock
from pimtasks.domain.run import Run, RunStatus, Trigger
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.services.run_job import RunJob, StopRequested, WorkerFailure
from pimtasks.twoba.client import RetryPolicy, TwobaClient
from pimtasks.twoba.importer import TwobaImport
from pimtasks.twoba.state import MemoryTwobaState
from pydantic import TypeAdapter

from tests.support.memory_catalog import MemoryCatalog
from tests.support.twoba_server import TwobaServer, catalog_rows

A, B = "8712345000004", "8712345000011"
PRICINGS = "trade-items/bulk/pricings"


class Runs:
    """A run store that takes every save, until ``stop_after`` saves: then the run was asked to stop."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.saves = 0
        self.stop_after = stop_after
        self.stopped: Run | None = None

    def save(self, run: Run, **kwargs: Any) -> bool:
        self.saves += 1
        if self.stop_after is not None and self.saves > self.stop_after:
            self.stopped = run.model_copy(update={"cancel_requested": True})
            return False
        return True

    def find(self, **kwargs: Any) -> Run | None:
        return self.stopped

    def extend_lease(self, **kwargs: Any) -> bool:
        return True


@pytest.fixture
def server() -> Iterator[TwobaServer]:
    with TwobaServer() as running:
        running.now = 1_800_000_000.0
        for gln, count, prefix in ((A, 12, "A"), (B, 5, "B")):
            rows = catalog_rows(gln, count, prefix=prefix)
            for n, details in enumerate(rows["trade-items/bulk/details"]):
                body = f"871{gln[-4:]}{n:05d}"
                details["itemGtins"] = [body + str(gs1_check_digit(body))]
            for resource, served in rows.items():
                running.put(resource, served)
        running.now += 60
        yield running


def run_import(server: TwobaServer, state: MemoryTwobaState, catalog: MemoryCatalog, *, runs: Runs | None = None,
               checkpoint: dict[str, Any] | None = None, **settings: Any) -> tuple[RunStatus | None, Run]:
    clock = SystemClock()
    spec = TypeAdapter(TaskSpec).validate_python({
        "type": "import_2ba", "description": "2BA", "frequency": {"every": "day", "time": "05:00"},
        "settings": {"client_id": "client", "client_secret": "s", "supplier_glns": [A, B], "page_size": 5,
                     "api_url": f"{server.url}/v1", "token_url": f"{server.url}/connect/token", **settings}})
    task = Task(task_id="t" * 32, environment="000001", spec=spec, version=1, schedule_anchor=clock.now(),
                created_at=clock.now(), updated_at=clock.now())
    run = Run(run_id="r" * 32, environment="000001", task_id=task.task_id, task_type="import_2ba",
              trigger=Trigger.MANUAL, status=RunStatus.RUNNING, created_at=clock.now(), checkpoint=checkpoint)
    job = RunJob(task=task, run=run, runs=runs or Runs(), clock=clock, secrets=None,  # type: ignore[arg-type]
                 remaining_ms=lambda: 900_000, heartbeat_seconds=300, lease_seconds=300,
                 continuation_margin_seconds=60)
    client = TwobaClient(api_url=f"{server.url}/v1", token_url=f"{server.url}/connect/token", client_id="client",
                         client_secret="secret", clock=clock, retry=RetryPolicy(max_attempts=2),
                         sleep=lambda seconds: None)
    importer = TwobaImport(settings=spec.settings, source=client, state=state,
                           writer=CatalogWriter(store=catalog, clock=clock), clock=clock, write_batch=4)
    return importer.run(job), run


def texts(run: Run) -> str:
    return "\n".join(message.text for message in run.messages)


def first_run(server: TwobaServer) -> tuple[MemoryTwobaState, MemoryCatalog, dict[str, Any]]:
    """A full run's state and catalog, and what it stored of item ``A 3/x``."""
    state, catalog = MemoryTwobaState(), MemoryCatalog()
    status, run = run_import(server, state, catalog)
    stored = catalog.data("A 3/x")
    assert status is None and stored is not None, texts(run)
    return state, catalog, stored


def test_the_gtin_rule_finds_the_article_of_an_item_whose_delta_brings_no_details(server: TwobaServer) -> None:
    state, catalog = MemoryTwobaState(), MemoryCatalog()
    status, first = run_import(server, state, catalog, article_number="gtin")
    assert status is None and first.counts.created == 17
    gtin = server.served("trade-items/bulk/details", A)[3]["itemGtins"][0]

    server.now += 60
    server.mutate(PRICINGS, "A 3/x", grossListPrice=77.25)
    status, second = run_import(server, state, catalog, article_number="gtin")

    assert status is None and second.counts.updated == 1 and second.counts.read == 1, texts(second)
    stored = catalog.data(gtin)
    assert stored is not None and Decimal(stored["gross_price"]) == Decimal("77.25")
    assert stored["descriptions"]["nl-NL"].startswith("Installatiebuis")  # the delta left them alone


def test_a_gtin_with_a_wrong_check_digit_is_left_out_with_a_warning_and_the_item_imported(
        server: TwobaServer) -> None:
    # The specification asks only for 8-14 digits; the item's prices and texts are worth having without it.
    state, catalog = MemoryTwobaState(), MemoryCatalog()
    good = server.served("trade-items/bulk/details", A)[3]["itemGtins"][0]
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    server.mutate("trade-items/bulk/details", "A 3/x", itemGtins=[bad])

    status, run = run_import(server, state, catalog)

    assert status is None and run.counts.created == 17 and run.counts.rejected == 0, texts(run)
    stored = catalog.data("A 3/x")
    assert stored is not None and stored.get("gtin") is None and stored["gross_price"] is not None
    assert f"supplier {A}, item 'A 3/x': itemGtins '{bad}' is left out (gtin: wrong check digit" in texts(run)

    # With the GTIN rule the number is still the article's, and a later delta without details finds it (another
    # item's later change moves the watermark past the details row, which the inclusive boundary would re-serve).
    server.now += 60
    server.mutate(PRICINGS, "A 4/x", grossListPrice=55.5)
    state, catalog = MemoryTwobaState(), MemoryCatalog()
    status, run = run_import(server, state, catalog, article_number="gtin")
    assert status is None and catalog.data(bad) is not None, texts(run)
    server.now += 60
    server.mutate(PRICINGS, "A 3/x", grossListPrice=66.5)
    status, run = run_import(server, state, catalog, article_number="gtin")
    assert status is None and run.counts.updated == 1, texts(run)
    assert Decimal(catalog.data(bad)["gross_price"]) == Decimal("66.5")  # type: ignore[index]


def test_a_supplier_failing_past_the_retries_keeps_its_watermark(server: TwobaServer) -> None:
    state, catalog = MemoryTwobaState(), MemoryCatalog()
    run_import(server, state, catalog)
    marks = state.watermarks(environment="000001", task_id="t" * 32)

    server.now += 60
    server.inject.extend([503, 503])  # the first supplier's first call, twice: past 2 attempts
    status, run = run_import(server, state, catalog)

    assert status is RunStatus.PARTIALLY_SUCCEEDED
    assert f"Supplier {A} failed: GET /v1/trade-items/bulk/details?supplierIdGln={A}&mutationDateTime=" in texts(run)
    assert "Service Unavailable" in texts(run) and "its watermark stays at 2027-01-15T08:01:00Z" in texts(run)
    after = state.watermarks(environment="000001", task_id="t" * 32)
    assert after[A] == marks[A] and after[B] > marks[B]


def test_a_400_fails_the_run_naming_the_request_and_field(server: TwobaServer) -> None:
    # The settings bound limit to 1..1000; a server with a lower cap answers 400 to a valid one.
    served = server._page

    def capped(resource: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        return served(resource, {**query, "limit": ["5000"]})

    server._page = capped  # type: ignore[method-assign]
    with pytest.raises(WorkerFailure, match=rf"supplier {A}: GET /v1/trade-items/bulk/details\?supplierIdGln={A} "
                                            r"answered 400 Bad Request.*\(limit: The field limit must be between"):
        run_import(server, MemoryTwobaState(), MemoryCatalog())


def test_stop_leaves_no_watermark_and_the_next_run_reads_the_supplier_whole(server: TwobaServer) -> None:
    state, catalog = MemoryTwobaState(), MemoryCatalog()
    with pytest.raises(StopRequested):
        run_import(server, state, catalog, runs=Runs(stop_after=3))
    assert state.watermarks(environment="000001", task_id="t" * 32) == {}
    assert catalog.records == {}  # only pages were staged

    status, run = run_import(server, state, catalog)
    assert status is None and run.counts.created == 17
    assert state.pages == {}  # every supplier's staged pages are gone once it is written


def test_every_supplier_failing_fails_the_run(server: TwobaServer) -> None:
    server.forbidden.update({A, B})
    with pytest.raises(WorkerFailure, match=f"every supplier failed: {A}, {B}"):
        run_import(server, MemoryTwobaState(), MemoryCatalog())


def test_mutation_date_time_is_rfc_3339_utc_with_z() -> None:
    from pimtasks.twoba.importer import rfc3339

    moment = dt.datetime(2026, 12, 2, 13, 4, 5, 999, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert rfc3339(moment) == "2026-12-02T12:04:05Z"


def test_etim_classifications_come_per_manufacturer_and_a_changed_one_updates_only_its_items(
        server: TwobaServer) -> None:
    state, catalog, stored = first_run(server)
    assert stored["etim_class"] == "EC000042" and stored["etim_release"] == "9.0"
    assert stored["features"] == [{"code": "EF000008", "value": "4", "unit": "EU570448"},
                                  {"code": "EF000007", "value": "EV000003"}]
    assert any("products/bulk/etim-classifications?manufacturerIdGln=" + A in path for path in server.requests)

    server.now += 60
    for row in server.rows["products/bulk/etim-classifications"]:
        if row["manufacturerProductNumber"] == "M3" and row["manufacturerIdGln"] == A:
            row.update(etimValueNumeric=39, _mutated=server.now)
    status, second = run_import(server, state, catalog)

    assert status is None and (second.counts.read, second.counts.updated) == (1, 1), texts(second)
    changed = catalog.data("A 3/x")
    assert changed is not None and changed["features"][0]["value"] == "39"
    assert changed["descriptions"] == stored["descriptions"] and changed["gross_price"] == stored["gross_price"]


PRODUCT_DETAILS, PRODUCT_DESCRIPTIONS = "products/bulk/details", "products/bulk/descriptions"


def test_product_details_and_descriptions_join_by_product_and_a_delta_keeps_the_items_own_texts(
        server: TwobaServer) -> None:
    state, catalog, first = first_run(server)
    assert first["brand"] == "Merk 3"
    assert first["descriptions"] == {"nl-NL": "Installatiebuis ø3 \u2013 wit", "de-DE": "Installationsrohr 3 weiß",
                                     "en-GB": "Conduit ø3 \u2013 white"}  # en-GB: the product's, the item has none

    server.now += 60
    server.mutate_product(PRODUCT_DESCRIPTIONS, A, "M3", language="en-GB",
                          minimalProductDescription="Conduit \u2013 é ø")
    server.put(PRODUCT_DESCRIPTIONS, [{"manufacturerIdGln": A, "manufacturerProductNumber": "M4",
                                       "descriptionLanguage": "nl-NL", "minimalProductDescription": "Product ø4"}])
    server.mutate_product(PRODUCT_DETAILS, A, "M5", brandName="Ørsted \u2013 é")
    before = len(server.requests)
    status, second = run_import(server, state, catalog)

    assert status is None and "a full scan" not in texts(second)
    assert (second.counts.read, second.counts.updated, second.counts.unchanged) == (3, 2, 1), texts(second)
    changed = catalog.data("A 3/x")
    assert changed is not None and changed["descriptions"] == {**first["descriptions"], "en-GB": "Conduit \u2013 é ø"}
    kept = catalog.data("A 4/x")
    assert kept is not None and kept["descriptions"]["nl-NL"] == "Installatiebuis ø4 \u2013 wit"  # the item's own
    branded = catalog.data("A 5/x")
    assert branded is not None and branded["brand"] == "Ørsted \u2013 é" and branded["gross_price"] is not None
    delta = server.queries(PRODUCT_DETAILS)[-2:]  # this run's: one page per manufacturer (A, then B)
    assert [q["manufacturerIdGln"] for q in delta] == [[A], [B]] and all("mutationDateTime" in q for q in delta)
    assert len(server.requests) - before == 2 * 7


def test_selection_id_goes_to_every_bulk_endpoint_and_a_changed_selection_reads_the_suppliers_whole(
        server: TwobaServer) -> None:
    selection = "Q1 2026/ø 1"
    server.selections[selection] = {(A, "A 1/x"), (A, "M1"), (A, "A 2/x")}  # the product of A 2/x is not in it
    state, catalog = MemoryTwobaState(), MemoryCatalog()
    status, run = run_import(server, state, catalog, selection_id=selection)

    assert status is None and run.counts.created == 2, texts(run)
    assert set(catalog.records) == {("A 1/x",), ("A 2/x",)}
    one, two = catalog.data("A 1/x"), catalog.data("A 2/x")
    assert one is not None and one["brand"] == "Merk 1" and "en-GB" in one["descriptions"]
    assert two is not None and two.get("brand") is None and "en-GB" not in two["descriptions"]
    for resource in ("trade-items/bulk/details", "trade-items/bulk/descriptions", "trade-items/bulk/ordering",
                     PRICINGS, "products/bulk/etim-classifications", PRODUCT_DETAILS, PRODUCT_DESCRIPTIONS):
        queries = server.queries(resource)
        assert queries and all(q["selectionId"] == [selection] for q in queries), resource
    assert len(server.requests) == sum(len(server.queries(r)) for r in (
        "trade-items/bulk/details", "trade-items/bulk/descriptions", "trade-items/bulk/ordering", PRICINGS,
        "products/bulk/etim-classifications", PRODUCT_DETAILS, PRODUCT_DESCRIPTIONS))

    status, same = run_import(server, state, catalog, selection_id=selection)
    assert status is None and "a full scan" not in texts(same) and same.counts.read == 0
    status, other = run_import(server, state, catalog)  # no selection: what did not change is needed too
    assert status is None and f"Supplier {A}: a full scan, not the changes since" in texts(other)
    assert other.counts.read == 17 and other.counts.created == 15


def test_a_selection_id_of_the_wrong_shape_is_refused() -> None:
    from pimtasks.domain.task_types import Import2baSettings

    base = {"client_id": "c", "client_secret": "s", "supplier_glns": [A]}
    for wrong in ("", "x" * 51, " SEL", "SEL\t1"):
        with pytest.raises(ValueError, match="selection_id"):
            Import2baSettings.model_validate({**base, "selection_id": wrong})
    assert Import2baSettings.model_validate({**base, "selection_id": "x" * 50}).selection_id == "x" * 50


def test_a_checkpoint_written_before_the_product_endpoints_continues_with_them() -> None:
    from pimtasks.twoba.importer import JOIN, LEGACY_JOIN, PRODUCTS, Checkpoint

    joining = {"supplier": 1, "endpoint": LEGACY_JOIN, "joined": 500, "manufacturers": [A], "manufacturer": 1,
               "counts": {"read": 500}, "since": "2027-01-15T08:01:00Z", "started": "2027-01-16T08:01:00+00:00"}
    point = Checkpoint.of(joining)
    assert (point.endpoint, point.manufacturer, point.joined, point.counts.read) == (PRODUCTS + 1, 0, 0, 0)
    assert point.since == joining["since"] and point.as_dict()["join_index"] == JOIN
    classifying = Checkpoint.of({**joining, "endpoint": PRODUCTS, "joined": 0, "cursor": "7"})
    assert (classifying.endpoint, classifying.manufacturer, classifying.cursor) == (PRODUCTS, 1, "7")
    current = Checkpoint.of(Checkpoint(endpoint=LEGACY_JOIN, manufacturer=1, cursor="3").as_dict())
    assert (current.endpoint, current.manufacturer, current.cursor) == (LEGACY_JOIN, 1, "3")


class RecordingState(MemoryTwobaState):
    """Keeps every staged row of each endpoint, also after the supplier's pages are cleared."""

    def __init__(self) -> None:
        super().__init__()
        self.all_staged: dict[str, list[dict[str, Any]]] = {}

    def stage(self, *, environment: str, task_id: str, supplier_gln: str, endpoint: str, page: int,
              rows: list[dict[str, Any]]) -> None:
        super().stage(environment=environment, task_id=task_id, supplier_gln=supplier_gln, endpoint=endpoint,
                      page=page, rows=rows)
        self.all_staged.setdefault(endpoint, []).extend(rows)


def test_only_the_product_fields_the_join_reads_are_staged(server: TwobaServer) -> None:
    server.mutate_product(PRODUCT_DESCRIPTIONS, A, "M1", fullProductDescription="é" * 10_000,
                          productMarketingText="ø" * 10_000, productKeyword=["buis"])
    server.mutate_product(PRODUCT_DETAILS, A, "M1", productGtins=["8712345000011"], warrantyBusiness=12)
    state = RecordingState()
    status, _ = run_import(server, state, MemoryCatalog())

    assert status is None
    details, descriptions = state.all_staged["product-details"], state.all_staged["product-descriptions"]
    assert len(details) == len(descriptions) == 17
    assert {name for row in descriptions for name in row} == {
        "manufacturerIdGln", "manufacturerProductNumber", "descriptionLanguage", "minimalProductDescription"}
    assert {name for row in details for name in row} == {"manufacturerIdGln", "manufacturerProductNumber", "brandName"}
