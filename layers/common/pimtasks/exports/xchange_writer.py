"""ETIM xChange 2.0 (JSON) export of products, streamed: the catalogue header, one supplier, its products.

Each catalog product becomes a ``Product`` with one ``TradeItem`` (the article: SupplierItemNumber is the
article number). Values the format cannot hold are left out with a warning naming the product and field
rather than written invalid (an order unit outside the format's code list, an ETIM release such as
``ETIM-8.0`` that is not ``8.0`` or ``DYNAMIC``, a price with more than four decimals). Descriptions are written
for the settings' languages (``nl-NL`` also takes a catalog description in ``nl``); MinimalProductDescription
is the first 80 characters, UniqueMainProductDescription the whole (catalog descriptions hold up to 256, the
format 255).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pimtasks.domain.task_types import XchangeOptions
from pimtasks.exports.writers import ExportRow, ExportWarning, TextSegments, WriterOutput, WrittenFile

SCHEMA_VERSION = "2.0"
UNIT_CODES = frozenset({
    "ANN", "BE", "BG", "BO", "BX", "C62", "CA", "CI", "CL", "CMK", "CMQ", "CMT", "CQ", "CR", "CS", "CT", "D99",
    "DAY", "DR", "DZN", "FOT", "FTQ", "GRM", "HLT", "HUR", "INH", "INQ", "KG", "KGM", "KTM", "LBR", "LTN", "LTR",
    "MGM", "MIN", "MLT", "MMK", "MMQ", "MMT", "MTK", "MTQ", "MTR", "ONZ", "PA", "PF", "PK", "PL", "PR", "PU", "RG",
    "RL", "RO", "SA", "SEC", "SET", "SMI", "ST", "TN", "TNE", "TU", "WEE", "YRD", "Z2", "Z3",
})
"""The format's unit codes (OrderUnit, PriceUnit)."""
_RELEASE = re.compile(r"^(?:ETIM-)?([0-9]{1,2}\.[0-9])$|^(DYNAMIC)$", re.IGNORECASE)
_NUMERIC = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,4})?$")
_VALUE_CODE = re.compile(r"^EV[0-9]{6}$")
_PRICE_DIGITS = (11, 4)
_QUANTITY_DIGITS = (12, 4)


def _decimal_text(value: Any, digits: tuple[int, int]) -> str | None:
    """A Decimal as the format's number text (``12.5``), or None when it has too many digits."""
    if value in (None, ""):
        return None
    number = Decimal(str(value)).normalize()
    text = format(number, "f")
    whole, _, fraction = text.partition(".")
    if whole.startswith("-") or len(whole) > digits[0] or len(fraction) > digits[1]:
        return None
    return text


class XchangeExportWriter(TextSegments):
    resumable = True

    def __init__(self, *, path: Path, name: str, options: XchangeOptions, full: bool, today: dt.date,
                 resume: dict[str, Any] | None = None) -> None:
        self.output = WriterOutput()
        self._file = WrittenFile(name=name, path=path)
        self._path = path
        self._options = options
        self._stream = path.open("w", encoding="utf-8", newline="\n")
        self._first = True if resume is None else bool(resume["first"])
        if resume is not None:
            return
        header: dict[str, Any] = {
            "SchemaVersion": SCHEMA_VERSION, "CatalogueId": options.catalogue_id,
            "CatalogueType": "FULL" if full else "CHANGE", "GenerationDate": today.isoformat(),
            "CatalogueValidityStart": today.isoformat(), "Language": list(options.languages),
            "CurrencyCode": options.currency,
        }
        supplier: dict[str, Any] = {"SupplierName": options.supplier_name}
        if options.supplier_gln:
            supplier["SupplierIdGln"] = options.supplier_gln
        opening = json.dumps(header, ensure_ascii=False)[:-1]
        self._stream.write(opening + ', "Supplier": [' + json.dumps(supplier, ensure_ascii=False)[:-1]
                           + ', "Product": [')

    def state(self) -> dict[str, Any]:
        return {"first": self._first}

    def write(self, row: ExportRow) -> None:
        product = self.product(row.label, row.data)
        self._stream.write(("\n" if self._first else ",\n") + json.dumps(product, ensure_ascii=False))
        self._first = False

    # --- one product ------------------------------------------------------------------------------
    def product(self, label: str, data: dict[str, Any]) -> dict[str, Any]:
        """The xChange ``Product`` of a catalog product's JSON form."""
        identification: dict[str, Any] = {
            "ManufacturerName": (data.get("brand") or self._options.supplier_name)[:80],
            "ManufacturerProductNumber": data.get("manufacturer_product_number") or data["article_number"],
        }
        if data.get("manufacturer_gln"):
            identification["ManufacturerIdGln"] = data["manufacturer_gln"]
        if data.get("gtin"):
            identification["ProductGtin"] = [data["gtin"]]
        if data.get("brand"):
            identification["BrandName"] = data["brand"]
        product: dict[str, Any] = {"ProductIdentification": identification}
        details = self._details(data)
        if details:
            product["ProductDetails"] = details
        classification = self._classification(label, data)
        if classification:
            product["EtimClassification"] = [classification]
        product["TradeItem"] = [self._trade_item(label, data)]
        return product

    def _details(self, data: dict[str, Any]) -> dict[str, Any] | None:
        descriptions = data.get("descriptions") or {}
        written = []
        for language in self._options.languages:
            text = descriptions.get(language) or descriptions.get(language.split("-")[0])
            if text:
                written.append({"DescriptionLanguage": language, "MinimalProductDescription": text[:80],
                                "UniqueMainProductDescription": text[:255]})
        details: dict[str, Any] = {}
        if data.get("status"):
            details["ProductStatus"] = str(data["status"]).upper()
        if not written:
            return None  # ProductDescriptions is required within ProductDetails
        details["ProductDescriptions"] = written
        return details

    def _classification(self, label: str, data: dict[str, Any]) -> dict[str, Any] | None:
        if not data.get("etim_class"):
            return None
        release = _RELEASE.match(str(data.get("etim_release") or "DYNAMIC"))
        if release is None:
            self._warn(label, "etim_release", f"ETIM release {data.get('etim_release')!r} is not of the form 9.0 or "
                                              "DYNAMIC: the classification is left out")
            return None
        classification: dict[str, Any] = {"EtimReleaseVersion": release.group(1) or "DYNAMIC",
                                          "EtimClassCode": data["etim_class"]}
        features = [self._feature(label, feature) for feature in data.get("features") or ()]
        if any(features):
            classification["EtimFeatures"] = [feature for feature in features if feature]
        return classification

    def _feature(self, label: str, feature: dict[str, Any]) -> dict[str, Any] | None:
        code, value = feature["code"], str(feature.get("value", ""))
        written: dict[str, Any] = {"EtimFeatureCode": code}
        lower, dots, upper = value.partition("..")
        if _VALUE_CODE.match(value):
            written["EtimValueCode"] = value
        elif value.lower() in ("true", "false"):
            written["EtimValueLogical"] = value.lower() == "true"
        elif _NUMERIC.match(value):
            written["EtimValueNumeric"] = value
        elif dots and _NUMERIC.match(lower) and _NUMERIC.match(upper):
            written["EtimValueRangeLower"], written["EtimValueRangeUpper"] = lower, upper
        else:
            self._warn(label, f"features.{code}", f"value {value!r} is no EV code, number, range or logical: "
                                                  "left out")
            return None
        return written

    def _trade_item(self, label: str, data: dict[str, Any]) -> dict[str, Any]:
        identification: dict[str, Any] = {"SupplierItemNumber": data.get("supplier_item_number")
                                          or data["article_number"]}
        if data.get("gtin"):
            identification["ItemGtin"] = [data["gtin"]]
        if data.get("discount_group"):
            identification["DiscountGroupId"] = data["discount_group"]
        order_unit = self._unit(label, "order_unit", data.get("order_unit"))
        minimum = _decimal_text(data.get("minimum_order_quantity"), _QUANTITY_DIGITS) or "1"
        ordering = {"OrderUnit": order_unit, "MinimumOrderQuantity": minimum, "OrderStepSize": "1"}
        return {"ItemIdentification": identification, "Ordering": ordering,
                "Pricing": [self._pricing(label, data, order_unit)]}

    def _pricing(self, label: str, data: dict[str, Any], order_unit: str) -> dict[str, Any]:
        unit = self._unit(label, "price_unit_code", data.get("price_unit_code")) if data.get("price_unit_code") \
            else order_unit
        quantity = _decimal_text(data.get("price_unit"), (5, 4)) or "1"
        pricing: dict[str, Any] = {"PriceUnit": unit, "PriceQuantity": quantity}
        price = _decimal_text(data.get("gross_price"), _PRICE_DIGITS)
        if price is not None:
            pricing["GrossListPrice"] = price
        elif data.get("gross_price") not in (None, ""):
            self._warn(label, "gross_price", f"price {data['gross_price']} does not fit the format (11 digits, 4 "
                                             "decimals): left out")
        return pricing

    def _unit(self, label: str, field: str, value: Any) -> str:
        if value in (None, ""):
            return "C62"
        if value in UNIT_CODES:
            return str(value)
        self._warn(label, field, f"unit {value!r} is not an ETIM xChange unit code: C62 (piece) written instead")
        return "C62"

    def _warn(self, label: str, field: str, text: str) -> None:
        self.output.warnings.append(ExportWarning(record=label, field=field, text=text))

    def finish(self) -> list[WrittenFile]:
        self._stream.write("\n]}]}\n")
        self._stream.close()
        return [self._file]

    def abort(self) -> None:
        self._stream.close()
