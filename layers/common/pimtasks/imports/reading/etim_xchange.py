"""ETIM xChange JSON (the public ETIM product data format, 1.0, 1.1 and 2.0) as rows of the standard product layout.

Versions: a 2.0 file says ``"SchemaVersion": "2.0"`` and must carry the members the 2.0 schema requires at the top
(``CatalogueId``, ``CatalogueType`` FULL or CHANGE, ``CatalogueValidityStart``, ``Language``, ``Supplier``); a file
without ``SchemaVersion`` is read as 1.x; any other version fails the file, naming it. The structure below is the
same in both (2.0 adds members this reader ignores: legislation, LCA, packaging units, ...), and feature codes
follow 2.0's pattern (``EFI06272``, ``EFNL0001`` next to ``EF000008``). ``SchemaVersion`` is looked for among the
members before ``Supplier``, where the schema's own sample and every producer put it.

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

from pimtasks.imports.errors import CorruptFileError, UnsupportedFileError
from pimtasks.imports.reading.json_stream import JsonArrayStream, JsonContext
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.tables import Table
from pimtasks.imports.rows import CellValue, SourceRow

PRODUCT_PATH = ("Supplier", "*", "Product")
SCHEMA_VERSIONS = ("2.0",)
V2_REQUIRED = ("CatalogueId", "CatalogueType", "CatalogueValidityStart", "Language")
CATALOGUE_TYPES = ("FULL", "CHANGE")
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
        self.schema_version = "1.x"
        languages: set[str] = set()
        checked = False
        for context, product in self._products():
            if not checked:
                self.schema_version = schema_version(context, file=file)
                checked = True
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


def schema_version(context: JsonContext, *, file: str) -> str:
    """``2.0`` or ``1.x`` from the members before ``Supplier``; a file error for any other version or for a 2.0
    file without a member its schema requires."""
    version = context.get("SchemaVersion")
    if version is None:
        return "1.x"
    if str(version) not in SCHEMA_VERSIONS:
        raise UnsupportedFileError(f"ETIM xChange SchemaVersion {version!r} is not read here (1.0 and 1.1, which "
                                   "have no SchemaVersion, and 2.0)", file=file)
    missing = [name for name in V2_REQUIRED if name not in context]
    if missing:
        raise CorruptFileError(f"this ETIM xChange {version} file lacks {', '.join(missing)} (required by the 2.0 "
                               "schema)", file=file)
    if context["CatalogueType"] not in CATALOGUE_TYPES:
        raise CorruptFileError(f"CatalogueType {context['CatalogueType']!r} is not FULL or CHANGE (ETIM xChange "
                               f"{version})", file=file, column="CatalogueType", value=str(context["CatalogueType"]))
    return str(version)


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
