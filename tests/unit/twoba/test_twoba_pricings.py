"""Bulk pricing rows (LEFT JOIN, allowance fields absent when none) back into catalog pricings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pimtasks.catalog.models import Pricing, Product
from pimtasks.twoba.pricings import current_pricing, group_pricings

BASE = {"supplierIdGln": "8712345000004", "supplierItemNumber": "A/1 x", "priceUnit": "C62", "priceQuantity": 1,
        "currencyCode": "EUR", "grossListPrice": 12.99, "netPrice": 9.99, "priceValidityDate": "2025-01-01"}


def test_one_row_per_allowance_becomes_one_pricing_with_its_allowances() -> None:
    rows = [
        {**BASE, "allowanceSurchargeIndicator": "ALLOWANCE", "allowanceSurchargeType": "AAD",
         "allowanceSurchargeSequenceNumber": 2, "allowanceSurchargePercentage": 5},
        {**BASE, "allowanceSurchargeIndicator": "SURCHARGE", "allowanceSurchargeType": "ABK",
         "allowanceSurchargeSequenceNumber": 1, "allowanceSurchargeAmount": 0.35},
        {**BASE, "allowanceSurchargeIndicator": "ALLOWANCE", "allowanceSurchargeType": "AAD",
         "allowanceSurchargeSequenceNumber": 2, "allowanceSurchargePercentage": 5},  # seen twice at a boundary
        {**BASE, "priceQuantity": 100, "grossListPrice": 1100.1, "priceValidityDate": "2026-01-01"},
    ]
    pricings = [Pricing.model_validate(p) for p in group_pricings(rows)]
    assert len(pricings) == 2
    first, second = pricings
    assert first.gross_price == Decimal("12.99") and first.net_price == Decimal("9.99")
    assert [(a.indicator, a.type, a.sequence) for a in first.allowances] == [("SURCHARGE", "ABK", 1),
                                                                             ("ALLOWANCE", "AAD", 2)]
    assert first.allowances[0].amount == Decimal("0.35") and first.allowances[1].percentage == Decimal(5)
    assert second.allowances == [] and second.price_quantity == Decimal(100)
    assert second.gross_price == Decimal("1100.1")


def test_the_pricing_valid_today_is_the_products_price() -> None:
    rows = [BASE, {**BASE, "grossListPrice": 14.5, "priceValidityDate": "2026-06-01"},
            {**BASE, "grossListPrice": 99, "priceValidityDate": "2099-01-01"}]
    pricings = group_pricings(rows)
    chosen = current_pricing(pricings, today=dt.date(2026, 12, 2))
    assert chosen is not None and chosen["gross_price"] == "14.5"
    product = Product(article_number="A/1 x", gross_price=chosen["gross_price"], pricings=pricings)
    assert product.gross_price == Decimal("14.5") and product.pricings is not None and len(product.pricings) == 3
