"""The catalog read service over an in-memory change feed: order, paging, deltas with removals, filters."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from pimtasks.domain.task_types import ImportTarget
from pimtasks.errors import NotFoundError, ValidationFailedError
from pimtasks.services.catalog_reading import EXAMINE_LIMIT, CatalogReadService, filter_fields

from tests.unit.catalog.memory_catalog import ENV, PRODUCTS, T0, MemoryCatalog


class Clock:
    def __init__(self) -> None:
        self.current = T0 + dt.timedelta(hours=1)

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
def catalog() -> MemoryCatalog:
    store = MemoryCatalog()
    for n in range(10):  # written newest first, so change order differs from id order
        store.put(PRODUCTS, f"A{n}", {"article_number": f"A{n}", "brand": "Acme" if n % 2 else "Other",
                                      "gross_price": "12.50"}, at=T0 + dt.timedelta(minutes=10 - n))
    return store


def service(catalog: MemoryCatalog) -> CatalogReadService:
    return CatalogReadService(catalog=catalog, clock=Clock())


def every_page(reader: CatalogReadService, **query: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = reader.page(environment=ENV, entity=PRODUCTS, cursor=cursor, **query)
        pages.append([c.record_id for c in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_pages_come_in_change_order_and_every_record_once(catalog: MemoryCatalog) -> None:
    # When every page of 3 is read
    pages = every_page(service(catalog), limit=3)

    # Then the records come oldest change first, each once, and the last page has no cursor
    assert pages == [["A9", "A8", "A7"], ["A6", "A5", "A4"], ["A3", "A2", "A1"], ["A0"]]


def test_a_full_listing_leaves_removals_out_and_a_delta_carries_them(catalog: MemoryCatalog) -> None:
    # Given a product removed after T0 + 30 minutes
    reader = service(catalog)
    reader.remove(environment=ENV, entity=PRODUCTS, record_id="A3")

    # Then the full listing no longer has it
    full = reader.page(environment=ENV, entity=PRODUCTS, limit=100)
    assert "A3" not in [c.record_id for c in full.items] and len(full.items) == 9
    # and a delta since before the removal lists exactly the removal, with the record's last data
    delta = reader.page(environment=ENV, entity=PRODUCTS, limit=100, changed_since=T0 + dt.timedelta(minutes=30))
    [removal] = delta.items
    assert removal.record_id == "A3" and removal.deleted and removal.data["brand"] == "Acme"


def test_a_delta_cursor_stays_a_delta(catalog: MemoryCatalog) -> None:
    # Given two removals after the delta's start
    reader = service(catalog)
    for record_id in ("A1", "A2"):
        reader.remove(environment=ENV, entity=PRODUCTS, record_id=record_id)

    # When a delta is started, then followed by its cursor alone
    first = reader.page(environment=ENV, entity=PRODUCTS, limit=1, changed_since=T0 + dt.timedelta(minutes=6))
    rest = reader.page(environment=ENV, entity=PRODUCTS, limit=100, cursor=first.next_cursor)

    # Then the later pages still carry the removals (and nothing changed before the delta's start)
    assert [c.record_id for c in first.items] == ["A4"]
    assert [(c.record_id, c.deleted) for c in rest.items] == [("A3", False), ("A0", False), ("A1", True),
                                                              ("A2", True)]


def test_filters_compare_values_as_the_fields_type(catalog: MemoryCatalog) -> None:
    reader = service(catalog)
    acme = reader.page(environment=ENV, entity=PRODUCTS, limit=100, filters={"brand": "Acme"})
    assert [c.record_id for c in acme.items] == ["A9", "A7", "A5", "A3", "A1"]
    priced = reader.page(environment=ENV, entity=PRODUCTS, limit=100, filters={"gross_price": "12.5"})
    assert len(priced.items) == 10
    none = reader.page(environment=ENV, entity=PRODUCTS, limit=100, filters={"brand": "Acme", "gross_price": "13"})
    assert none.items == []


def test_an_unknown_filter_field_names_itself_and_the_valid_ones(catalog: MemoryCatalog) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        service(catalog).page(environment=ENV, entity=PRODUCTS, limit=10, filters={"colour": "red"})
    assert raised.value.field == "colour"
    assert "brand" in raised.value.message and "gross_price" in raised.value.message
    assert "descriptions" not in filter_fields(PRODUCTS) and "region" in filter_fields(ImportTarget.SALES_CONDITIONS)


def test_a_filter_value_the_field_cannot_hold_is_refused(catalog: MemoryCatalog) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        service(catalog).page(environment=ENV, entity=PRODUCTS, limit=10, filters={"gross_price": "cheap"})
    assert raised.value.field == "gross_price"


FORGED = [
    "garbage",
    base64.urlsafe_b64encode(b"{}").decode(),
    base64.urlsafe_b64encode(json.dumps({"entity": "products", "after": "x", "delta": False}).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps({"entity": "products", "after": "2026-12-01T08:00:00.000Z#A1",
                                         "delta": "yes"}).encode()).decode(),
]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_forged_cursor_is_refused_naming_cursor(catalog: MemoryCatalog, cursor: str) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        service(catalog).page(environment=ENV, entity=PRODUCTS, limit=10, cursor=cursor)
    assert raised.value.field == "cursor"


def test_a_cursor_of_another_entity_is_refused(catalog: MemoryCatalog) -> None:
    reader = service(catalog)
    cursor = reader.page(environment=ENV, entity=PRODUCTS, limit=1).next_cursor
    with pytest.raises(ValidationFailedError, match="a cursor of products"):
        reader.page(environment=ENV, entity=ImportTarget.ATTACHMENTS, limit=1, cursor=cursor)


def test_a_filtered_page_stops_after_the_examine_limit_with_a_cursor(catalog: MemoryCatalog) -> None:
    # Given more records than one page examines, none of them matching
    for n in range(EXAMINE_LIMIT + 5):
        catalog.put(PRODUCTS, f"B{n:05d}", {"article_number": f"B{n:05d}", "brand": "Rare"}, at=T0)
    reader = service(catalog)

    # When a page filters for a brand only the last records have
    page = reader.page(environment=ENV, entity=PRODUCTS, limit=10, filters={"brand": "Acme"})

    # Then it comes back short, having read the limit and one more, with a cursor that continues
    assert page.items == [] and page.next_cursor is not None and page.items_read == EXAMINE_LIMIT + 1
    rest = reader.page(environment=ENV, entity=PRODUCTS, limit=10, filters={"brand": "Acme"}, cursor=page.next_cursor)
    assert [c.record_id for c in rest.items] == ["A9", "A7", "A5", "A3", "A1"] and rest.next_cursor is None


def test_a_product_comes_with_its_conditions_and_attachments(catalog: MemoryCatalog) -> None:
    catalog.put(ImportTarget.SALES_CONDITIONS, "c1", {"article_number": "A1", "net_price": "9"}, at=T0,
                subject="ART#A1")
    catalog.put(ImportTarget.SALES_CONDITIONS, "c2", {"article_number": "A2", "net_price": "9"}, at=T0,
                subject="ART#A2")
    catalog.put(ImportTarget.ATTACHMENTS, "f1", {"article_number": "A1"}, at=T0, subject="ART#A1")

    detail = service(catalog).record(environment=ENV, entity=PRODUCTS, record_id="A1")

    assert detail.record.record_id == "A1"
    assert [c.record_id for c in detail.related[ImportTarget.SALES_CONDITIONS]] == ["c1"]
    assert [c.record_id for c in detail.related[ImportTarget.ATTACHMENTS]] == ["f1"]


def test_unknown_and_removed_records_are_not_found(catalog: MemoryCatalog) -> None:
    reader = service(catalog)
    with pytest.raises(NotFoundError):
        reader.record(environment=ENV, entity=PRODUCTS, record_id="nope")
    reader.remove(environment=ENV, entity=PRODUCTS, record_id="A1")
    with pytest.raises(NotFoundError):
        reader.record(environment=ENV, entity=PRODUCTS, record_id="A1")
    with pytest.raises(NotFoundError):
        reader.remove(environment=ENV, entity=PRODUCTS, record_id="A1")
    with pytest.raises(NotFoundError):  # another environment's catalog is another catalog
        reader.record(environment="000002", entity=PRODUCTS, record_id="A2")
