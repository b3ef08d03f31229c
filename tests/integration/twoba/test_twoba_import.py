"""Import 2BA tasks end to end: run engine, worker, client, catalog writer and state on moto, against the local
Product Data OpenAPI server. The catalog read back must hold exactly what the server served; a second run after
known mutations changes only those; a supplier the client may not read fails alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pimtasks.catalog.codes import gs1_check_digit
from pimtasks.domain.run import MessageLevel, Run, RunStatus

from tests.integration.twoba.harness import ENV, TwobaTasks, twoba_tasks
from tests.support.twoba_server import TwobaServer

SMALL, LARGE, FORBIDDEN = "8712345000004", "8712345000011", "8712345000028"
DETAILS, DESCRIPTIONS = "trade-items/bulk/details", "trade-items/bulk/descriptions"
ORDERING, PRICINGS = "trade-items/bulk/ordering", "trade-items/bulk/pricings"
CLASSIFICATIONS = "products/bulk/etim-classifications"
PRODUCT_DETAILS, PRODUCT_DESCRIPTIONS = "products/bulk/details", "products/bulk/descriptions"


def item_number(gln: str, n: int) -> str:
    return f"{ {SMALL: 'PIJP', LARGE: 'KABEL'}.get(gln, 'LAMP')} {n}/16 x"


def product_number(n: int) -> str:
    return f"MPN {n}/B"


def gtin(n: int) -> str:
    body = f"871{n:09d}"
    return f"{body}{gs1_check_digit(body)}"


def serve(server: TwobaServer, gln: str, count: int) -> None:
    """``count`` trade items: descriptions in two languages with é, ø and \u2013; every odd one a pricing with two
    allowances (two rows), every even one a pricing without (one row, the allowance fields absent); every item's
    product but each fifth an ETIM class with two features (one row each); every product's details (a brand but for
    each fourth) and descriptions in nl-NL (the item's own win) and en-GB (the item has none: the product's fill
    it), with fields of no spec in the rows."""
    for n in range(count):
        item = item_number(gln, n)
        key = {"supplierIdGln": gln, "supplierItemNumber": item}
        server.put(DETAILS, [{**key, "manufacturerIdGln": gln, "manufacturerProductNumber": product_number(n),
                              "itemGtins": [gtin(n)], "discountGroupId": f"DG{n % 4}", "itemStatus": "ACTIVE",
                              "somethingNew": {"nested": True}}])
        server.put(DESCRIPTIONS, [
            {**key, "descriptionLanguage": "nl-NL", "minimalItemDescription": f"Buis ø{n} \u2013 wit é"},
            {**key, "descriptionLanguage": "de-DE", "minimalItemDescription": f"Rohr ø{n}",
             "uniqueMainItemDescription": f"Rohr ø{n} \u2013 weiß"}])
        server.put(ORDERING, [{**key, "orderUnit": "MTR" if n % 3 else "C62", "minimumOrderQuantity": n % 5 + 1}])
        identity = {"manufacturerIdGln": gln, "manufacturerProductNumber": product_number(n)}
        server.put(PRODUCT_DETAILS, [{**identity, "productValidityDate": "2025-01-01", "productStatus": "ACTIVE",
                                      **({"brandName": f"Bé ø\u2013{n % 3}"} if n % 4 else {"unbrandedProduct": True}),
                                      "somethingNew": [{"deep": 1}]}])
        server.put(PRODUCT_DESCRIPTIONS, [
            {**identity, "descriptionLanguage": "nl-NL", "minimalProductDescription": f"Product ø{n}",
             "productKeyword": ["buis"]},
            {**identity, "descriptionLanguage": "en-GB", "minimalProductDescription": f"Conduit {n}",
             **({"uniqueMainProductDescription": f"Conduit ø{n} \u2013 white, café"} if n % 2 else {}),
             "somethingNew": "x"}])
        if n % 5:
            product = {**identity, "etimClassCode": "EC000042", "etimReleaseVersion": "9.0"}
            server.put(CLASSIFICATIONS, [{**product, "etimFeatureCode": "EF000008", "etimValueNumeric": n % 40,
                                          "etimUnitCode": "EU570448"},
                                         {**product, "etimFeatureCode": "EF000007", "etimValueLogical": n % 2 == 0}])
        pricing = {**key, "priceUnit": "C62", "priceQuantity": 100 if n % 2 else 1, "currencyCode": "EUR",
                   "grossListPrice": float(f"{n}.{n % 100:02d}") + 0.5, "priceValidityDate": "2025-01-01"}
        if n % 2:
            server.put(PRICINGS, [
                {**pricing, "allowanceSurchargeIndicator": "ALLOWANCE", "allowanceSurchargeType": "AEQ",
                 "allowanceSurchargeSequenceNumber": seq, "allowanceSurchargePercentage": 2.5 * seq}
                for seq in (2, 1)])
        else:
            server.put(PRICINGS, [pricing])


def expected(server: TwobaServer, gln: str) -> dict[str, dict[str, Any]]:
    """What the catalog must hold per article, worked out from the served rows alone."""
    products: dict[str, dict[str, Any]] = {}
    for row in server.served(DETAILS, gln):
        products[row["supplierItemNumber"]] = {
            "supplier_gln": gln, "manufacturer_product_number": row["manufacturerProductNumber"],
            "gtin": row["itemGtins"][0], "discount_group": row.get("discountGroupId"), "descriptions": {}}
    for row in server.served(DESCRIPTIONS, gln):
        text = row.get("uniqueMainItemDescription") or row["minimalItemDescription"]
        products[row["supplierItemNumber"]]["descriptions"][row["descriptionLanguage"]] = text
    by_product = {(v["manufacturer_product_number"]): v for v in products.values()}
    for row in server.rows.get(PRODUCT_DETAILS, []):
        if row["manufacturerIdGln"] == gln and row["manufacturerProductNumber"] in by_product:
            by_product[row["manufacturerProductNumber"]]["brand"] = row.get("brandName")
    for row in server.rows.get(PRODUCT_DESCRIPTIONS, []):
        if row["manufacturerIdGln"] == gln and row["manufacturerProductNumber"] in by_product:
            text = row.get("uniqueMainProductDescription") or row["minimalProductDescription"]
            by_product[row["manufacturerProductNumber"]]["descriptions"].setdefault(row["descriptionLanguage"], text)
    for row in server.served(ORDERING, gln):
        products[row["supplierItemNumber"]].update(order_unit=row["orderUnit"],
                                                   minimum_order_quantity=Decimal(row["minimumOrderQuantity"]))
    for row in server.rows.get(CLASSIFICATIONS, []):
        if row["manufacturerIdGln"] == gln and row["manufacturerProductNumber"] in by_product:
            product = by_product[row["manufacturerProductNumber"]]
            product["etim_class"] = row["etimClassCode"]
            value = row.get("etimValueNumeric", row.get("etimValueLogical"))
            product.setdefault("features", []).append(
                (row["etimFeatureCode"], str(value).lower() if isinstance(value, bool) else str(value)))
    for row in server.served(PRICINGS, gln):
        product = products[row["supplierItemNumber"]]
        product.update(gross_price=Decimal(str(row["grossListPrice"])), price_unit=Decimal(row["priceQuantity"]),
                       price_unit_code=row["priceUnit"])
        allowances = product.setdefault("allowances", [])
        if "allowanceSurchargePercentage" in row:
            allowances.append((row["allowanceSurchargeSequenceNumber"],
                               Decimal(str(row["allowanceSurchargePercentage"]))))
    return products


def assert_catalog_holds_what_was_served(twoba: TwobaTasks, gln: str) -> None:
    wanted = expected(twoba.server, gln)
    assert wanted
    for item, values in wanted.items():
        product = twoba.product(item)
        assert product is not None, f"{item} is not in the catalog"
        assert product.supplier_item_number == item and product.supplier_gln == values["supplier_gln"]
        assert product.gtin == values["gtin"] and product.discount_group == values["discount_group"]
        assert product.manufacturer_product_number == values["manufacturer_product_number"]
        assert product.descriptions == values["descriptions"], item
        assert product.brand == values.get("brand"), item
        assert product.order_unit == values["order_unit"]
        assert product.minimum_order_quantity == values["minimum_order_quantity"]
        assert product.gross_price == values["gross_price"] and product.price_unit == values["price_unit"]
        assert product.price_unit_code == values["price_unit_code"]
        assert product.pricings is not None and len(product.pricings) == 1
        assert product.etim_class == values.get("etim_class"), item
        assert [(f.code, f.value) for f in product.features] == values.get("features", []), item
        allowances = [(a.sequence, a.percentage) for a in product.pricings[0].allowances]
        assert allowances == sorted(values["allowances"]), item


def supplier_line(run: Run, gln: str) -> str:
    lines = [m.text for m in run.messages if m.text.startswith(f"Supplier {gln}")]
    assert len(lines) == 1, run.messages
    return lines[0]


def test_three_suppliers_one_forbidden_then_a_delta_of_known_mutations() -> None:
    with pytest.MonkeyPatch.context() as monkeypatch, twoba_tasks(monkeypatch, token_seconds=1) as twoba:
        server = twoba.server
        server.now = 1_800_000_000.0
        serve(server, SMALL, 7)
        serve(server, LARGE, 130)
        serve(server, FORBIDDEN, 3)
        server.forbidden.add(FORBIDDEN)
        server.now += 60
        task = twoba.create_task([SMALL, LARGE, FORBIDDEN], page_size=50)
        server.inject.extend([429, 503])

        # when the task runs for the first time
        first = twoba.run(task)

        # then both readable suppliers are in the catalog exactly as served, the forbidden one is named
        assert first.status is RunStatus.PARTIALLY_SUCCEEDED, first.messages
        assert_catalog_holds_what_was_served(twoba, SMALL)
        assert_catalog_holds_what_was_served(twoba, LARGE)
        assert twoba.product(item_number(FORBIDDEN, 0)) is None
        assert "7 trade items read, 7 created, 0 updated, 0 unchanged, 0 rejected" in supplier_line(first, SMALL)
        assert "full scan" in supplier_line(first, LARGE)
        failed = supplier_line(first, FORBIDDEN)
        assert "403 Forbidden" in failed and f"no access to the data of supplier {FORBIDDEN}" in failed
        assert "reads it whole" in failed
        assert first.counts.read == 137 and first.counts.created == 137
        marks = twoba.state.watermarks(environment=ENV, task_id=task.task_id)
        assert set(marks) == {SMALL, LARGE}
        assert marks[SMALL] == dt.datetime.fromtimestamp(1_800_000_060, dt.UTC)

        # when known rows change (one at the watermark's very second: inclusive), and the task runs again
        server.now = 1_800_000_060.0
        server.mutate(ORDERING, item_number(SMALL, 1), orderUnit="MTR", minimumOrderQuantity=2)  # as it was
        server.now = 1_800_000_200.0
        server.mutate(PRICINGS, item_number(LARGE, 5), grossListPrice=99.5)
        server.mutate(DESCRIPTIONS, item_number(SMALL, 2), minimalItemDescription="Buis \u2013 nieuw ø")
        server.mutate(DETAILS, item_number(LARGE, 8), discountGroupId=None)
        server.mutate_product(PRODUCT_DESCRIPTIONS, SMALL, product_number(3), language="en-GB",
                              minimalProductDescription="Conduit \u2013 new ø é", uniqueMainProductDescription=None)
        server.mutate_product(PRODUCT_DESCRIPTIONS, LARGE, product_number(9), language="nl-NL",
                              minimalProductDescription="Nieuw ø")  # the item's own nl-NL text stays
        server.mutate_product(PRODUCT_DETAILS, LARGE, product_number(10), brandName=None, unbrandedProduct=True)
        server.forbidden.clear()
        requests_before = len(server.requests)
        second = twoba.run(task)

        # then only those change, and the catalog still holds exactly what is served
        assert second.status is RunStatus.SUCCEEDED, second.messages
        assert_catalog_holds_what_was_served(twoba, SMALL)
        assert_catalog_holds_what_was_served(twoba, LARGE)
        assert_catalog_holds_what_was_served(twoba, FORBIDDEN)  # its first complete scan: read whole
        assert "3 trade items read, 0 created, 2 updated, 1 unchanged" in supplier_line(second, SMALL)
        assert "4 trade items read, 0 created, 3 updated, 1 unchanged" in supplier_line(second, LARGE)
        assert "3 trade items read, 3 created" in supplier_line(second, FORBIDDEN)
        assert f"changes since {dt.datetime.fromtimestamp(1_800_000_060, dt.UTC):%Y-%m-%dT%H:%M:%SZ}" in \
            supplier_line(second, LARGE)
        assert twoba.product(item_number(LARGE, 8)).discount_group is None  # type: ignore[union-attr]
        assert twoba.product(item_number(LARGE, 5)).gross_price == Decimal("99.5")  # type: ignore[union-attr]
        assert twoba.product(item_number(LARGE, 10)).brand is None  # type: ignore[union-attr]
        assert twoba.product(item_number(SMALL, 3)).descriptions["en-GB"] == "Conduit \u2013 new ø é"  # type: ignore[union-attr]
        assert len(server.requests) - requests_before == 3 * 7  # one page per endpoint and supplier


def test_a_run_that_continues_after_every_page_ends_like_one_that_does_not(twoba: TwobaTasks) -> None:
    twoba.server.now = 1_800_000_000.0
    serve(twoba.server, SMALL, 23)
    twoba.server.now += 60
    task = twoba.create_task([SMALL], page_size=10)

    # when every checkpoint finds the time budget low (a fresh invocation per page and batch)
    run = twoba.run(task, remaining_ms=lambda: 1_000)

    # then the run went on from each checkpoint and read every page once
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert run.invocations > 10
    assert_catalog_holds_what_was_served(twoba, SMALL)
    assert run.counts.created == 23 and run.counts.read == 23
    # 23, 46, 23 and 34 trade-item rows, 36 classification, 23 product detail and 46 description rows, 10 a page
    pages = {"details": 3, "descriptions": 5, "ordering": 3, "pricings": 4, "etim-classifications": 4,
             "products/bulk/details": 3, "products/bulk/descriptions": 5}
    assert len(twoba.server.requests) == sum(pages.values())


def test_items_the_catalog_refuses_name_supplier_item_and_field(twoba: TwobaTasks) -> None:
    serve(twoba.server, SMALL, 3)
    twoba.server.mutate(PRICINGS, item_number(SMALL, 1), grossListPrice="twelve")
    twoba.server.put(DETAILS, [{"supplierIdGln": SMALL, "supplierItemNumber": "X" + "9" * 35}])
    task = twoba.create_task([SMALL])

    run = twoba.run(task)

    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    errors = [m for m in run.messages if m.level is MessageLevel.ERROR]
    assert any(f"supplier {SMALL}, item '{item_number(SMALL, 1)}': grossListPrice 'twelve'" in m.text
               and m.column == "grossListPrice" for m in errors), errors
    assert any("supplierItemNumber" in m.text and m.column == "supplierItemNumber" for m in errors)
    assert run.counts.rejected == 2 and run.counts.created == 2


def test_wrong_credentials_fail_the_run_naming_the_token_url(twoba: TwobaTasks) -> None:
    serve(twoba.server, SMALL, 1)
    twoba.set_secret("twoba-secret", "wrong")
    run = twoba.run(twoba.create_task([SMALL]))
    assert run.status is RunStatus.FAILED
    assert f"{twoba.server.url}/connect/token" in (run.error or "") and "invalid_client" in (run.error or "")


def test_a_selection_narrows_every_bulk_scan_to_its_items_and_products(twoba: TwobaTasks) -> None:
    server = twoba.server
    serve(server, SMALL, 6)
    chosen = {1, 4}
    server.selections["SELECTION-2026 ø/1"] = {
        *((SMALL, item_number(SMALL, n)) for n in chosen), (SMALL, product_number(1))}  # not the product of 4
    task = twoba.create_task([SMALL], selection_id="SELECTION-2026 ø/1")

    run = twoba.run(task)

    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert run.counts.created == 2
    assert [n for n in range(6) if twoba.product(item_number(SMALL, n))] == sorted(chosen)
    one, four = twoba.product(item_number(SMALL, 1)), twoba.product(item_number(SMALL, 4))
    assert one is not None and one.brand == "Bé ø\u20131" and one.etim_class == "EC000042"
    assert one.descriptions["en-GB"] == "Conduit ø1 \u2013 white, café"
    assert four is not None and four.brand is None and "en-GB" not in four.descriptions and four.etim_class is None
    received = [server.queries(resource) for resource in (DETAILS, DESCRIPTIONS, ORDERING, PRICINGS,
                                                          CLASSIFICATIONS, PRODUCT_DETAILS, PRODUCT_DESCRIPTIONS)]
    assert all(len(queries) == 1 for queries in received)  # one page each: the selection is small
    assert all(queries[0]["selectionId"] == ["SELECTION-2026 ø/1"] for queries in received)
    assert sum(map(len, received)) == len(server.requests)


def test_a_new_item_of_an_unchanged_product_gets_that_products_data_on_a_delta(twoba: TwobaTasks) -> None:
    server = twoba.server
    server.now = 1_800_000_000.0
    serve(server, SMALL, 4)
    server.now += 60
    task = twoba.create_task([SMALL], page_size=50)
    assert twoba.run(task).status is RunStatus.SUCCEEDED

    # when the supplier adds a trade item (another packaging, say) of product 1, which itself does not change
    server.now += 100
    new = f"{item_number(SMALL, 1)} / 10"
    key = {"supplierIdGln": SMALL, "supplierItemNumber": new}
    server.put(DETAILS, [{**key, "manufacturerIdGln": SMALL, "manufacturerProductNumber": product_number(1),
                          "itemGtins": [gtin(50)], "itemStatus": "ACTIVE"}])
    server.put(DESCRIPTIONS, [{**key, "descriptionLanguage": "nl-NL",
                               "minimalItemDescription": "Buis ø1 \u2013 10 st"}])
    server.put(ORDERING, [{**key, "orderUnit": "C62", "minimumOrderQuantity": 10}])
    server.put(PRICINGS, [{**key, "priceUnit": "C62", "priceQuantity": 1, "currencyCode": "EUR",
                           "grossListPrice": 12.5, "priceValidityDate": "2025-01-01"}])
    second = twoba.run(task)

    # then the new article holds product 1's data, as a full scan would have given it
    assert second.status is RunStatus.SUCCEEDED, second.messages
    sibling, added = twoba.product(item_number(SMALL, 1)), twoba.product(new)
    assert sibling is not None and added is not None
    assert added.brand == sibling.brand and added.brand is not None
    assert added.etim_class == sibling.etim_class == "EC000042"
    assert [(f.code, f.value) for f in added.features] == [(f.code, f.value) for f in sibling.features]
    assert added.descriptions["en-GB"] == sibling.descriptions["en-GB"]
