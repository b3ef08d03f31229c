"""Bulk pricing rows back into pricings with their allowances.

``/trade-items/bulk/pricings`` is a LEFT JOIN: one row per pricing x allowance/surcharge, the pricing fields
repeated, and a pricing without allowances is one row with every ``allowanceSurcharge*`` field *absent* (never
null). A pricing is identified by its own fields (everything but the allowance fields), so rows are grouped by
those; a row seen twice (a page boundary that moved) is the same allowance and is kept once.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

PRICING_FIELDS = {
    "priceUnit": "price_unit_code", "priceQuantity": "price_quantity", "priceUnitFactor": "price_unit_factor",
    "currencyCode": "currency", "priceOnRequest": "price_on_request", "grossListPrice": "gross_price",
    "netPrice": "net_price", "recommendedRetailPrice": "recommended_retail_price", "vat": "vat",
    "priceValidityDate": "valid_from", "priceExpiryDate": "valid_until",
}
ALLOWANCE_FIELDS = {
    "allowanceSurchargeIndicator": "indicator", "allowanceSurchargeType": "type",
    "allowanceSurchargeSequenceNumber": "sequence", "allowanceSurchargeValidityDate": "valid_from",
    "allowanceSurchargeAmount": "amount", "allowanceSurchargePercentage": "percentage",
    "allowanceSurchargeMinimumQuantity": "minimum_quantity",
}


def _decimal_text(value: Any) -> Any:
    """Numbers as their JSON text, so 12.99 stays 12.99 (never a binary float) when the catalog parses it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return repr(value) if isinstance(value, float) and math.isfinite(value) else json.dumps(value)


def _pick(row: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {ours: _decimal_text(row[theirs]) for theirs, ours in names.items() if theirs in row}


def _identity(values: dict[str, Any]) -> Any:
    """A hashable identity of picked fields (their values are JSON scalars; anything else by its JSON text)."""
    return tuple(sorted((name, value if isinstance(value, str | int | float | bool | None) else
                         json.dumps(value, sort_keys=True, default=str)) for name, value in values.items()))


def group_pricings(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The pricings of one trade item (in the order the rows came), each with ``allowances`` sorted by
    sequence number; the values are ready for ``catalog.models.Pricing``."""
    pricings: dict[Any, dict[str, Any]] = {}
    seen: dict[Any, set[Any]] = {}
    for row in rows:
        pricing = _pick(row, PRICING_FIELDS)
        identity = _identity(pricing)
        entry = pricings.setdefault(identity, {**pricing, "allowances": []})
        allowance = _pick(row, ALLOWANCE_FIELDS)
        if not allowance:
            continue
        allowance_identity = _identity(allowance)
        if allowance_identity not in seen.setdefault(identity, set()):
            seen[identity].add(allowance_identity)
            entry["allowances"].append(allowance)
    for entry in pricings.values():
        entry["allowances"].sort(key=lambda a: (a.get("sequence") is None, a.get("sequence") or 0))
    return list(pricings.values())


def current_pricing(pricings: list[dict[str, Any]], *, today: dt.date) -> dict[str, Any] | None:
    """The pricing valid ``today`` (the latest start on or before it, not expired), else the earliest one: its
    gross price, quantity and unit become the product's own ``gross_price``/``price_unit``/``price_unit_code``."""
    valid = [p for p in pricings if str(p.get("valid_from", "")) <= today.isoformat()
             and (not p.get("valid_until") or str(p["valid_until"]) >= today.isoformat())]
    if valid:
        return max(valid, key=lambda p: str(p.get("valid_from", "")))
    return min(pricings, key=lambda p: str(p.get("valid_from", "")), default=None)
