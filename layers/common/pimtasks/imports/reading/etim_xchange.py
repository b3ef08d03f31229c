"""ETIM xChange 1.x JSON (the public ETIM product data format) as rows of the standard product layout.

Structure read (other members are ignored)::

    { "CurrencyCode", "Language": [...],
      "Supplier": [ { "SupplierIdGln", "SupplierName",
        "Product": [ { "ProductIdentification": { ManufacturerIdGln, ManufacturerName,
                                                  ManufacturerProductNumber, ProductGtin[], BrandName },
                       "ProductDetails": { ProductStatus, ProductDescriptions[ {DescriptionLanguage,
                                           MinimalProductDescription, UniqueMainProductDescription} ] },
                       "EtimClassification": [ { EtimReleaseVersion, EtimClassCode,
                           EtimFeatures[ { EtimFeatureCode, EtimValueCode | EtimValueNumeric |
                                           EtimValueLogical | EtimValueRangeLower/Upper } ] } ],
                       "TradeItem": [ { ItemIdentification { SupplierItemNumber, ItemGtin[],
                                        DiscountGroupId }, Ordering { OrderUnit, MinimumOrderQuantity },
                                        Pricing[ { GrossListPrice, NetPrice, PriceQuantity,
                                                   CurrencyCode } ] } ] } ] } ] }

One row per trade item (the article a wholesaler sells: article_number = SupplierItemNumber); a product
without trade items gives one row keyed by its ManufacturerProductNumber. ``row`` is that row's
1-based ordinal in the file. Opening the table reads the file once (validating it as JSON and
collecting the description languages, which become ``description_<language>`` columns), so a broken
file fails before any row is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pimtasks.imports.reading.json_stream import JsonArrayStream, JsonContext
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.tables import Table
from pimtasks.imports.rows import CellValue, SourceRow

PRODUCT_PATH = ("Supplier", "*", "Product")
BASE_COLUMNS = (
    "article_number",
    "supplier_item_number",
    "manufacturer_product_number",
    "manufacturer_gln",
    "supplier_gln",
    "gtin",
    "brand",
    "status",
    "etim_release",
    "etim_class",
    "features",
    "discount_group",
    "gross_price",
    "currency",
    "price_unit",
    "order_unit",
    "minimum_order_quantity",
)


class EtimXchangeTable(Table):
    """The products of an ETIM xChange file."""

    def __init__(self, path: Path, *, file: str, limits: ReadLimits) -> None:
        self._path = path
        self._limits = limits
        languages: set[str] = set()
        for _context, product in self._products():
            languages.update(_descriptions(product))
        header = list(BASE_COLUMNS) + [f"description_{language}" for language in sorted(languages)]
        super().__init__(file=file, sheet=None, header_row=0, header=header)

    def _products(self) -> Iterator[tuple[JsonContext, Any]]:
        with self._path.open("r", encoding="utf-8-sig") as stream:
            yield from JsonArrayStream(
                stream, path=PRODUCT_PATH, max_item_chars=self._limits.max_json_item_bytes
            ).items()

    def rows(self, *, after_row: int = 0) -> Iterator[SourceRow]:
        """One row per trade item (or per product without trade items)."""
        number = 0
        positions = {name: index for index, name in enumerate(self.header)}
        for context, product in self._products():
            if not isinstance(product, dict):
                continue
            for cells in product_rows(product, context):
                number += 1
                if number <= after_row:
                    continue
                values: list[CellValue] = [""] * len(self.header)
                for name, value in cells.items():
                    position = positions.get(name)
                    if position is not None and value is not None:
                        values[position] = _cell(value)
                yield SourceRow(self.file, None, number, self.header, values)


def _cell(value: Any) -> CellValue:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return value
    return str(value)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _first(values: Any) -> Any:
    if isinstance(values, list):
        return values[0] if values else None
    return values


def _descriptions(product: Any) -> dict[str, str]:
    result: dict[str, str] = {}
    for entry in _get(product, "ProductDetails", "ProductDescriptions") or []:
        if not isinstance(entry, dict):
            continue
        language = entry.get("DescriptionLanguage")
        text = entry.get("UniqueMainProductDescription") or entry.get("MinimalProductDescription")
        if isinstance(language, str) and language and isinstance(text, str) and text:
            result[language] = text
    return result


def _feature_value(feature: dict[str, Any]) -> str | None:
    for key in ("EtimValueCode", "EtimValueNumeric", "EtimValueLogical"):
        value = feature.get(key)
        if value is not None and value != "":
            return str(_cell(value))
    lower, upper = feature.get("EtimValueRangeLower"), feature.get("EtimValueRangeUpper")
    if lower is not None and upper is not None:
        return f"{_cell(lower)}..{_cell(upper)}"
    return None


def features_text(features: list[tuple[str, str, str | None]]) -> str:
    """Features in the standard layout's ``features`` notation."""
    return "; ".join(f"{code}={value}" + (f"[{unit}]" if unit else "") for code, value, unit in features)


def _classification(product: Any) -> dict[str, Any]:
    classification = _first(product.get("EtimClassification"))
    if not isinstance(classification, dict):
        return {}
    features: list[tuple[str, str, str | None]] = []
    for feature in classification.get("EtimFeatures") or []:
        if isinstance(feature, dict) and feature.get("EtimFeatureCode"):
            value = _feature_value(feature)
            if value is not None:
                features.append((str(feature["EtimFeatureCode"]), value, feature.get("EtimUnitCode")))
    return {
        "etim_release": classification.get("EtimReleaseVersion"),
        "etim_class": classification.get("EtimClassCode"),
        "features": features_text(features) or None,
    }


def product_rows(product: dict[str, Any], context: JsonContext) -> list[dict[str, Any]]:
    """The standard-layout cells of one xChange product: one dict per trade item."""
    identification = product.get("ProductIdentification") or {}
    mpn = _get(identification, "ManufacturerProductNumber")
    common: dict[str, Any] = {
        "manufacturer_product_number": mpn,
        "manufacturer_gln": _get(identification, "ManufacturerIdGln"),
        "supplier_gln": context.get("SupplierIdGln"),
        "gtin": _first(_get(identification, "ProductGtin")),
        "brand": _get(identification, "BrandName") or _get(identification, "ManufacturerName"),
        "status": _get(product, "ProductDetails", "ProductStatus"),
        "currency": context.get("CurrencyCode"),
        **_classification(product),
    }
    common.update({f"description_{language}": text for language, text in _descriptions(product).items()})
    trade_items = [item for item in product.get("TradeItem") or [] if isinstance(item, dict)]
    if not trade_items:
        return [{**common, "article_number": mpn}]
    return [{**common, **_trade_item_cells(item)} for item in trade_items]


def _trade_item_cells(item: dict[str, Any]) -> dict[str, Any]:
    identification = item.get("ItemIdentification") or {}
    ordering = item.get("Ordering") or {}
    pricing = _first(item.get("Pricing")) or {}
    number = identification.get("SupplierItemNumber")
    cells = {
        "article_number": number,
        "supplier_item_number": number,
        "discount_group": identification.get("DiscountGroupId"),
        "order_unit": ordering.get("OrderUnit"),
        "minimum_order_quantity": ordering.get("MinimumOrderQuantity"),
        "gross_price": pricing.get("GrossListPrice") or pricing.get("NetPrice"),
        "price_unit": pricing.get("PriceQuantity"),
    }
    gtin = _first(identification.get("ItemGtin"))
    if gtin:
        cells["gtin"] = gtin
    if pricing.get("CurrencyCode"):
        cells["currency"] = pricing["CurrencyCode"]
    return cells
