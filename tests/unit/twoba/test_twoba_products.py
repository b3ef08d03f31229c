"""A trade item's rows joined into a catalog product; items the catalog refuses are named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pimtasks.domain.task_types import ArticleNumberRule
from pimtasks.twoba.products import ArticleRule, TradeItemRejected, trade_item_product

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
