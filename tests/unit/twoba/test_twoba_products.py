"""A trade item's rows joined into a catalog product; items the catalog refuses are named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pimtasks.domain.task_types import ArticleNumberRule
from pimtasks.twoba.products import (
    ArticleRule,
    JoinedItem,
    ProductRows,
    TradeItemRejected,
    trade_item_product,
    trade_item_record,
)

GLN = "8712345000004"
TODAY = dt.date(2026, 12, 2)
DETAILS = {"supplierIdGln": GLN, "supplierItemNumber": "A/1 x", "manufacturerIdGln": GLN,
           "manufacturerProductNumber": "MPN 1", "itemGtins": ["8712345000011"], "itemStatus": "ACTIVE",
           "itemValidityDate": "2025-01-01", "somethingNew": True}
PRICE = {"supplierIdGln": GLN, "supplierItemNumber": "A/1 x", "priceUnit": "C62", "priceQuantity": 1,
         "currencyCode": "EUR", "grossListPrice": 12.99, "priceValidityDate": "2025-01-01"}


def join(item: str = "A/1 x", rule: ArticleRule | None = None, **rows: object) -> object:
    arguments: dict[str, object] = {"details": DETAILS, "descriptions": [
        {"descriptionLanguage": "nl-NL", "minimalItemDescription": "Buis ø 16 \u2013 wit, é"}],
        "ordering": {"orderUnit": "C62", "minimumOrderQuantity": 10, "orderStepSize": 1}, "pricing_rows": [PRICE]}
    arguments.update(rows)
    return trade_item_product(supplier_gln=GLN, item_number=item, rule=rule or ArticleRule(
        ArticleNumberRule.SUPPLIER_ITEM_NUMBER), today=TODAY, **arguments)  # type: ignore[arg-type]


def test_the_rows_become_one_product() -> None:
    product = join()
    assert product.article_number == "A/1 x" and product.gtin == "8712345000011"  # type: ignore[attr-defined]
    assert product.descriptions == {"nl-NL": "Buis ø 16 \u2013 wit, é"}  # type: ignore[attr-defined]
    assert product.gross_price == Decimal("12.99") and product.price_unit == 1  # type: ignore[attr-defined]
    assert product.price_unit_code == "C62" and product.minimum_order_quantity == 10  # type: ignore[attr-defined]
    assert product.status == "active"  # type: ignore[attr-defined]


def test_article_number_rules() -> None:
    assert join(rule=ArticleRule(ArticleNumberRule.GTIN)).article_number == "8712345000011"  # type: ignore[attr-defined]
    assert join(rule=ArticleRule(ArticleNumberRule.PREFIX, "BA-")).article_number == "BA-A/1 x"  # type: ignore[attr-defined]


def test_refused_items_name_supplier_item_and_field() -> None:
    with pytest.raises(TradeItemRejected, match=rf"supplier {GLN}, item 'X{'9' * 35}': supplierItemNumber") as error:
        join(item="X" + "9" * 35)
    assert error.value.field == "supplierItemNumber"
    with pytest.raises(TradeItemRejected, match="grossListPrice 'twelve'") as error:
        join(pricing_rows=[{**PRICE, "grossListPrice": "twelve"}])
    assert error.value.value == "twelve"


def test_gs1_numbers_with_a_wrong_check_digit_are_left_out_with_a_warning() -> None:
    joined = trade_item_record(
        supplier_gln=GLN, item_number="A/1 x", details={**DETAILS, "itemGtins": ["8712345000012"],
                                                        "manufacturerIdGln": "8712345000005"},
        descriptions=[], ordering=None, pricing_rows=[PRICE], rule=ArticleRule(ArticleNumberRule.SUPPLIER_ITEM_NUMBER),
        today=TODAY, complete=True)
    assert joined.product.gtin is None and joined.product.manufacturer_gln is None  # type: ignore[attr-defined]
    assert joined.product.gross_price == Decimal("12.99")  # type: ignore[attr-defined]
    assert not {"gtin", "manufacturer_gln"} & (joined.fields | joined.cleared)  # the catalog keeps what it held
    assert joined.warnings == (
        f"supplier {GLN}, item 'A/1 x': itemGtins '8712345000012' is left out (gtin: wrong check digit (the last "
        "digit should be 1)); the item is imported without it",
        f"supplier {GLN}, item 'A/1 x': manufacturerIdGln '8712345000005' is left out (manufacturer_gln: wrong check "
        "digit (the last digit should be 4)); the item is imported without it")


PRODUCT = ProductRows(
    details={"manufacturerIdGln": GLN, "manufacturerProductNumber": "MPN 1", "brandName": "Gé\u2013ø",
             "productValidityDate": "2025-01-01", "somethingNew": {"x": 1}},
    descriptions=({"descriptionLanguage": "nl-NL", "minimalProductDescription": "Productbuis"},
                  {"descriptionLanguage": "en-GB", "minimalProductDescription": "Conduit",
                   "uniqueMainProductDescription": "Conduit ø 16 \u2013 white, café"},
                  {"descriptionLanguage": "fr-FR", "minimalProductDescription": "Tube ø 16 \u2013 blanc"}),
    classification=None)


def record(*, complete: bool = True, described: tuple[str, ...] = (), product: ProductRows = PRODUCT,
           descriptions: list[dict[str, str]] | None = None) -> JoinedItem:
    return trade_item_record(
        supplier_gln=GLN, item_number="A/1 x", details=DETAILS, ordering=None, pricing_rows=[],
        descriptions=[{"descriptionLanguage": "nl-NL", "minimalItemDescription": "Buis ø 16 \u2013 wit, é"}]
        if descriptions is None else descriptions, rule=ArticleRule(ArticleNumberRule.SUPPLIER_ITEM_NUMBER),
        today=TODAY, complete=complete, product=product, described=described)


def test_the_product_brings_the_brand_and_the_descriptions_the_item_lacks() -> None:
    joined = record()
    assert joined.product.brand == "Gé\u2013ø"  # type: ignore[attr-defined]
    assert joined.product.descriptions == {  # type: ignore[attr-defined]
        "nl-NL": "Buis ø 16 \u2013 wit, é", "en-GB": "Conduit ø 16 \u2013 white, café",
        "fr-FR": "Tube ø 16 \u2013 blanc"}
    assert {"brand", "descriptions.nl-NL", "descriptions.en-GB", "descriptions.fr-FR"} <= joined.fields


def test_languages_an_earlier_scan_found_the_item_describing_keep_its_own_text() -> None:
    joined = record(complete=False, descriptions=[], described=("en-GB", "nl-NL"))
    assert joined.product.descriptions == {"fr-FR": "Tube ø 16 \u2013 blanc"}  # type: ignore[attr-defined]
    assert not {"descriptions.nl-NL", "descriptions.en-GB"} & joined.fields


def test_product_details_without_a_brand_clear_it_and_no_product_details_on_a_delta_leave_it() -> None:
    unbranded = ProductRows(details={"manufacturerIdGln": GLN, "manufacturerProductNumber": "MPN 1",
                                     "unbrandedProduct": True})
    assert "brand" in record(complete=False, product=unbranded).cleared
    untouched = record(complete=False, product=ProductRows())
    assert "brand" not in untouched.cleared and "brand" not in untouched.fields
    assert "brand" in record(complete=True, product=ProductRows()).cleared  # a full scan: it has none


def test_a_brand_over_50_characters_is_rejected_naming_the_product_field() -> None:
    long = ProductRows(details={"manufacturerIdGln": GLN, "manufacturerProductNumber": "MPN 1", "brandName": "B" * 51})
    with pytest.raises(TradeItemRejected, match=rf"supplier {GLN}, item 'A/1 x': brandName 'B{{51}}'") as error:
        record(product=long)
    assert error.value.field == "brandName"
