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
                                        ItemDetails { ItemStatus, ItemDescriptions[...] },
                                        Pricing[ { GrossListPrice, NetPrice, PriceQuantity, PriceUnit,
                                                   CurrencyCode } ] } ] } ] } ] }

One row per trade item (the article a wholesaler sells: article_number = SupplierItemNumber); a product
without trade items gives one row keyed by its ManufacturerProductNumber. ``row`` is that row's
1-based ordinal in the file. Opening the table reads the file once (validating it as JSON and
collecting the description languages, which become ``description_<language>`` columns), so a broken
file fails before any row is imported.

Versions: a file without ``SchemaVersion`` is 1.x (V1.0 and V1.1 have no such member); ``"2.0"`` is
ETIM xChange 2.0, whose shapes for everything read here are those of 1.x (2.0 adds members, and makes
numbers strings), so both go through the same mapping. A 2.0 file is also checked for its structure
(``etim_xchange_checks``): a missing required member or a member of the wrong JSON type fails the file,
naming the JSON path and what was found. Any other ``SchemaVersion`` fails the file. A trade item's own
status (``ItemDetails.ItemStatus``) and descriptions (``ItemDetails.ItemDescriptions``) win over its
product's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pimtasks.catalog.codes import gs1_problem
from pimtasks.domain.run import MessageLevel, RunMessage
from pimtasks.imports.errors import CorruptFileError, UnsupportedFileError
from pimtasks.imports.reading.etim_xchange_checks import PRODUCT, ROOT, SUPPLIER, Problem, check, check_types
from pimtasks.imports.reading.json_stream import JsonArrayStream, JsonContext, json_type
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.tables import Table
from pimtasks.imports.rows import CellValue, SourceRow

PRODUCT_PATH = ("Supplier", "*", "Product")
VERSIONS = {None: "1.x", "1.0": "1.x", "1.1": "1.x", "2.0": "2.0"}
"""``SchemaVersion`` -> the version read (a file without the member is 1.x)."""
CHECKED_VERSIONS = ("2.0",)
"""Versions whose structure is checked (the 1.x schemas were never obtained as files)."""
GLN_COLUMNS = ("supplier_gln", "manufacturer_gln")
MAX_GLN_WARNINGS = 20
"""Distinct party GLNs with a wrong check digit that are named one by one (then one line for the rest)."""
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
    "price_unit_code",
    "order_unit",
    "minimum_order_quantity",
)


class EtimXchangeTable(Table):
    """The products of an ETIM xChange file."""

    def __init__(self, path: Path, *, file: str, limits: ReadLimits) -> None:
        self._path = path
        self._limits = limits
        languages: set[str] = set()
        checked = False
        self._bad_glns: dict[str, str] = {}  # GLN -> JSON path of its first use
        with self._open() as stream:
            for context, product in stream.items():
                languages.update(_languages(product))
                self._note_bad_glns(stream, context, product)
                # SchemaVersion usually comes first: then this pass checks too, else a second pass does.
                if stream.root.get("SchemaVersion") in CHECKED_VERSIONS:
                    checked = True
                    _fail_on(_product_problem(stream, context, product), file=file)
            self.version = _version(stream, file=file)
        if self.version in CHECKED_VERSIONS and not checked:
            with self._open() as stream:
                for context, product in stream.items():
                    _fail_on(_product_problem(stream, context, product), file=file)
        header = list(BASE_COLUMNS) + [f"description_{language}" for language in sorted(languages)]
        super().__init__(file=file, sheet=None, header_row=0, header=header)

    def _note_bad_glns(self, stream: JsonArrayStream, context: JsonContext, product: Any) -> None:
        """Remember the supplier and manufacturer GLNs whose GS1 check digit is wrong.

        They name parties, not the article: one wrong digit there must not reject every article of a
        supplier (ETIM's own 2.0 sample has such GLNs; its schema checks 13 digits only). So they are left
        out of the records, with a warning naming each, and the articles are imported.
        """
        found = ((context.get("SupplierIdGln"), f"{stream.location(2)}.SupplierIdGln"),
                 (_get(product, "ProductIdentification", "ManufacturerIdGln"),
                  f"{stream.location()}.ProductIdentification.ManufacturerIdGln"))
        for gln, path in found:
            if isinstance(gln, str) and _wrong_check_digit(gln):
                self._bad_glns.setdefault(gln, path)

    def reading_warnings(self) -> list[RunMessage]:
        """One warning per party GLN with a wrong check digit (left out of the records)."""
        named = list(self._bad_glns.items())[:MAX_GLN_WARNINGS]
        warnings = [self.message(MessageLevel.WARNING, f"the GLN {gln} at {path} has a wrong check digit; it is "
                                 "not stored, the articles are imported without it", column=path)
                    for gln, path in named]
        if len(self._bad_glns) > MAX_GLN_WARNINGS:
            warnings.append(self.message(MessageLevel.WARNING, f"{len(self._bad_glns) - MAX_GLN_WARNINGS} more "
                                         "GLNs with a wrong check digit are not stored"))
        return warnings

    @contextlib.contextmanager
    def _open(self) -> Iterator[JsonArrayStream]:
        with self._path.open("r", encoding="utf-8-sig") as text:
            yield JsonArrayStream(text, path=PRODUCT_PATH, max_item_chars=self._limits.max_json_item_bytes)

    def _products(self) -> Iterator[tuple[JsonContext, Any]]:
        with self._open() as stream:
            yield from stream.items()

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
                    if position is None or value is None or (name in GLN_COLUMNS and value in self._bad_glns):
                        continue
                    values[position] = _cell(value)
                yield SourceRow(self.file, None, number, self.header, values)


def _wrong_check_digit(gln: str) -> bool:
    """A 13-digit GLN whose last digit is not its GS1 check digit (other bad GLNs are rejected as usual)."""
    return len(gln) == 13 and gln.isdigit() and gs1_problem(gln, lengths=(13,), name="GLN") is not None


def _version(stream: JsonArrayStream, *, file: str) -> str:
    """The version read, from the walked document's ``SchemaVersion``; a 2.0 top level is checked here."""
    found = stream.root.get("SchemaVersion")
    if "SchemaVersion" in stream.root_types and not isinstance(found, str):
        _fail_on(check_types(stream.root_types, ROOT, "$"), file=file)
    version = VERSIONS.get(found)
    if version is None:
        raise UnsupportedFileError(
            f"the ETIM xChange file has SchemaVersion {found!r} at $.SchemaVersion; this import reads "
            "1.x (without SchemaVersion, or 1.0/1.1) and 2.0",
            file=file,
            column="$.SchemaVersion",
            value=str(found),
        )
    if version in CHECKED_VERSIONS:
        _fail_on(check_types(stream.root_types, ROOT, "$"), file=file)
    return version


def _product_problem(stream: JsonArrayStream, context: JsonContext, product: Any) -> Problem | None:
    """The first structural problem of a 2.0 product or of its supplier's scalar members."""
    supplier_types = {name: json_type(value) for name, value in context.items() if name not in stream.root}
    return check_types(supplier_types, SUPPLIER, stream.location(2)) or check(product, PRODUCT, stream.location())


def _fail_on(problem: Problem | None, *, file: str) -> None:
    if problem is not None:
        raise CorruptFileError(
            f"the ETIM xChange 2.0 file does not follow its schema at {problem.path}: {problem.message}",
            file=file,
            column=problem.path,
            value=problem.value,
        )


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


def _descriptions(entries: Any, *, main: str, minimal: str) -> dict[str, str]:
    """Language -> text of a description list: its ``main`` text, else its ``minimal`` one."""
    result: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        language = entry.get("DescriptionLanguage")
        text = entry.get(main) or entry.get(minimal)
        if isinstance(language, str) and language and isinstance(text, str) and text:
            result[language] = text
    return result


def _product_descriptions(product: Any) -> dict[str, str]:
    return _descriptions(_get(product, "ProductDetails", "ProductDescriptions"),
                         main="UniqueMainProductDescription", minimal="MinimalProductDescription")


def _item_descriptions(item: Any) -> dict[str, str]:
    return _descriptions(_get(item, "ItemDetails", "ItemDescriptions"),
                         main="UniqueMainItemDescription", minimal="MinimalItemDescription")


def _trade_items(product: dict[str, Any]) -> list[dict[str, Any]]:
    items = product.get("TradeItem")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _languages(product: Any) -> set[str]:
    """Every description language of a product and of its trade items."""
    if not isinstance(product, dict):
        return set()
    languages = set(_product_descriptions(product))
    for item in _trade_items(product):
        languages.update(_item_descriptions(item))
    return languages


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
    common.update(_description_cells(_product_descriptions(product)))
    trade_items = _trade_items(product)
    if not trade_items:
        return [{**common, "article_number": mpn}]
    return [{**common, **_trade_item_cells(item)} for item in trade_items]


def _description_cells(descriptions: dict[str, str]) -> dict[str, str]:
    return {f"description_{language}": text for language, text in descriptions.items()}


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
        "price_unit_code": pricing.get("PriceUnit"),
    }
    gtin = _first(identification.get("ItemGtin"))
    if gtin:
        cells["gtin"] = gtin
    if pricing.get("CurrencyCode"):
        cells["currency"] = pricing["CurrencyCode"]
    status = _get(item, "ItemDetails", "ItemStatus")
    if status:
        cells["status"] = status
    cells.update(_description_cells(_item_descriptions(item)))
    return cells
