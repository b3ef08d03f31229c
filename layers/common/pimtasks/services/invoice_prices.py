"""The net price the catalog's sales conditions give an article on a date (for the invoice price check).

Of the conditions about the article (or its GTIN) that have a net price, apply on the date (valid_from and
valid_until inclusive, open ends), come from the invoice's seller or name no supplier, and start at or below the
invoiced quantity: general ones (no customer group or debtor) before customer-specific ones, then the highest
quantity bracket, then the latest start. Conditions that give only discounts are not used (their price needs the
gross price and the discount chain of the customer, which an invoice does not say).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pimtasks.catalog.subjects import article_subject, gtin_subject
from pimtasks.domain.task_types import ImportTarget
from pimtasks.services.invoice_ports import SubjectRecords


class CatalogNetPrices:
    def __init__(self, *, catalog: SubjectRecords) -> None:
        self._catalog = catalog

    def net_price(self, *, environment: str, article: str, gtin: str | None, seller_gln: str, on: dt.date,
                  quantity: Decimal) -> Decimal | None:
        subjects = [article_subject(article)] + ([gtin_subject(gtin)] if gtin else [])
        found = self._catalog.about(environment=environment, subjects=subjects)
        candidates = [change.data for change in found.get(ImportTarget.SALES_CONDITIONS, [])
                      if _applies(change.data, seller_gln=seller_gln, on=on, quantity=quantity)]
        if not candidates:
            return None
        best = min(candidates, key=_preference)
        return Decimal(str(best["net_price"]))


def _applies(data: dict[str, Any], *, seller_gln: str, on: dt.date, quantity: Decimal) -> bool:
    if data.get("net_price") is None:
        return False
    if data.get("supplier_gln") not in (None, seller_gln):
        return False
    start, end = data.get("valid_from"), data.get("valid_until")
    if start and dt.date.fromisoformat(str(start)) > on:
        return False
    if end and dt.date.fromisoformat(str(end)) < on:
        return False
    return Decimal(str(data.get("quantity_lower_limit") or 0)) <= quantity


def _preference(data: dict[str, Any]) -> tuple[bool, Decimal, int]:
    specific = bool(data.get("customer_group") or data.get("debtor"))
    start = dt.date.fromisoformat(str(data["valid_from"])).toordinal() if data.get("valid_from") else 0
    return specific, -Decimal(str(data.get("quantity_lower_limit") or 0)), -start
