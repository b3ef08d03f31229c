"""The catalog's change feed on moto: one order over the shards, tombstones, reads proportional to changes."""

from __future__ import annotations

import datetime as dt

from pimtasks.catalog.models import Product, SalesCondition
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.catalog_writer import planned_write

from tests.integration.imports.harness import ENV, Imports

PRODUCTS = ImportTarget.PRODUCTS
T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def put_products(imports: Imports, numbers: range, *, at: dt.datetime, brand: str = "Acme") -> None:
    records = [planned_write(Product(article_number=f"A{n:05d}", brand=brand)) for n in numbers]
    imports.catalog.put_many(environment=ENV, target=PRODUCTS, records=records, changed_at=at, run_id="run-1")


def test_the_feed_lists_every_record_once_in_change_order_across_the_shards(imports: Imports) -> None:
    # Given 300 products written at three times (spread over all shards)
    put_products(imports, range(0, 100), at=T0)
    put_products(imports, range(100, 200), at=T0 + dt.timedelta(minutes=1))
    put_products(imports, range(200, 300), at=T0 + dt.timedelta(minutes=2))

    # When the whole feed is read in small chunks
    changes = list(imports.catalog.changes(environment=ENV, target=PRODUCTS, chunk=7))

    # Then each product comes once, in (changed_at, record id) order
    assert len(changes) == 300
    assert [c.position for c in changes] == sorted(c.position for c in changes)
    assert [c.record_id for c in changes][:3] == ["A00000", "A00001", "A00002"]


def test_a_delta_reads_only_what_changed_and_resumes_after_a_position(imports: Imports) -> None:
    # Given 400 products, 10 of which change later
    put_products(imports, range(0, 400), at=T0)
    later = T0 + dt.timedelta(hours=1)
    put_products(imports, range(50, 60), at=later, brand="Other")

    # When the changes since ``later`` are read
    feed = imports.catalog.changes(environment=ENV, target=PRODUCTS, since=later, chunk=50)
    changes = list(feed)

    # Then exactly the 10 come, and the index read no more than those
    assert [c.record_id for c in changes] == [f"A{n:05d}" for n in range(50, 60)]
    assert feed.items_read == 10
    # and a reader resuming after the fourth gets the other six
    rest = list(imports.catalog.changes(environment=ENV, target=PRODUCTS, since=later, after=changes[3].position))
    assert [c.record_id for c in rest] == [f"A{n:05d}" for n in range(54, 60)]


def test_a_removal_leaves_a_tombstone_the_feed_lists_and_reads_by_key_ignore(imports: Imports) -> None:
    # Given two products
    put_products(imports, range(0, 2), at=T0)
    removed_at = T0 + dt.timedelta(minutes=5)

    # When one is removed (and removing it again finds nothing)
    assert imports.catalog.remove(environment=ENV, target=PRODUCTS, identifier="A00001", removed_at=removed_at)
    assert not imports.catalog.remove(environment=ENV, target=PRODUCTS, identifier="A00001", removed_at=removed_at)

    # Then the feed since the removal lists its tombstone, with its last data
    [tombstone] = list(imports.catalog.changes(environment=ENV, target=PRODUCTS, since=removed_at))
    assert tombstone.deleted and tombstone.record_id == "A00001" and tombstone.data["brand"] == "Acme"
    # and reads by key and the live listing no longer see it
    assert imports.catalog.get(environment=ENV, target=PRODUCTS, key=("A00001",)) is None
    assert [r.key for r in imports.catalog.list_records(environment=ENV, target=PRODUCTS)] == [("A00000",)]
    # and importing it again creates it anew
    put_products(imports, range(1, 2), at=removed_at + dt.timedelta(minutes=1))
    assert imports.catalog.get(environment=ENV, target=PRODUCTS, key=("A00001",)) is not None


def test_a_listed_record_changed_meanwhile_is_not_removed(imports: Imports) -> None:
    # Given a product listed at one position and written again after that
    put_products(imports, range(0, 1), at=T0)
    [listed] = list(imports.catalog.changes(environment=ENV, target=PRODUCTS))
    put_products(imports, range(0, 1), at=T0 + dt.timedelta(minutes=1), brand="Newer")

    # When the sweep removes what it listed
    removed = imports.catalog.remove_listed(environment=ENV, target=PRODUCTS, listed=[listed],
                                            removed_at=T0 + dt.timedelta(minutes=2), run_id="run-2")

    # Then the newer write wins
    assert removed == 0
    assert imports.catalog.get(environment=ENV, target=PRODUCTS, key=("A00000",)) is not None


def test_conditions_and_attachments_are_found_by_the_product_they_are_about(imports: Imports) -> None:
    # Given conditions on an article, on its discount group and on another article
    conditions = [SalesCondition(article_number="A00001", net_price="10", region="APAC"),
                  SalesCondition(discount_group="DG1", discount_1="5", region="APAC"),
                  SalesCondition(article_number="A00002", net_price="9", region="APAC")]
    imports.catalog.put_many(environment=ENV, target=ImportTarget.SALES_CONDITIONS,
                             records=[planned_write(c) for c in conditions], changed_at=T0, run_id=None)

    # When the records about the article and its discount group are asked for
    found = imports.catalog.about(environment=ENV, subjects=["ART#A00001", "DG#DG1"])

    # Then the first two come
    assert sorted(c.data.get("article_number") or c.data["discount_group"]
                  for c in found[ImportTarget.SALES_CONDITIONS]) == ["A00001", "DG1"]
