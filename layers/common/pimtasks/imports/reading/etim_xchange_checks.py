"""Structural checks of an ETIM xChange 2.0 file: required members and JSON types, each problem named by its
JSON path.

Our own rules, not the official schema: the product does not ship a JSON Schema validator, and a full
schema run would need the whole document in memory. The rules cover the parts the import maps (and their
required members); each rule agrees with ETIM's V2.0 schema (a test compares them with the schema file).
Value formats (GLN digits, price patterns, lengths) are left to the catalog record checks, which reject
just the row that has them, naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pimtasks.imports.reading.json_stream import json_type


@dataclass(frozen=True)
class Shape:
    """What an object must look like: required members, member types, and the shapes of nested objects
    (a member typed ``object``) or of the items of a member typed ``array``."""

    required: tuple[str, ...] = ()
    types: dict[str, str] = field(default_factory=dict)
    children: dict[str, Shape] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """The first structural problem found: where (JSON path), what was there, and what is wrong."""

    path: str
    value: str
    message: str


_TEXT = "string"
_DESCRIPTION = Shape(
    required=("MinimalProductDescription",),
    types={"DescriptionLanguage": _TEXT, "MinimalProductDescription": _TEXT, "UniqueMainProductDescription": _TEXT},
)
_ITEM_DESCRIPTION = Shape(
    required=("MinimalItemDescription",),
    types={"DescriptionLanguage": _TEXT, "MinimalItemDescription": _TEXT, "UniqueMainItemDescription": _TEXT},
)
_FEATURE = Shape(
    required=("EtimFeatureCode",),
    types={"EtimFeatureCode": _TEXT, "EtimValueCode": _TEXT, "EtimValueNumeric": _TEXT,
           "EtimValueRangeLower": _TEXT, "EtimValueRangeUpper": _TEXT, "EtimValueLogical": "boolean"},
)
_ALLOWANCE = Shape(
    required=("AllowanceSurchargeIndicator", "AllowanceSurchargeType"),
    types={"AllowanceSurchargeIndicator": _TEXT, "AllowanceSurchargeType": _TEXT,
           "AllowanceSurchargeAmount": _TEXT, "AllowanceSurchargePercentage": _TEXT},
)
_PRICING = Shape(
    required=("PriceUnit", "PriceQuantity"),
    types={"PriceUnit": _TEXT, "PriceQuantity": _TEXT, "GrossListPrice": _TEXT, "NetPrice": _TEXT,
           "AllowanceSurcharge": "array"},
    children={"AllowanceSurcharge": _ALLOWANCE},
)
_TRADE_ITEM = Shape(
    required=("ItemIdentification", "Ordering", "Pricing"),
    types={"ItemIdentification": "object", "ItemDetails": "object", "Ordering": "object", "Pricing": "array"},
    children={
        "ItemIdentification": Shape(
            required=("SupplierItemNumber",),
            types={"SupplierItemNumber": _TEXT, "ItemGtin": "array", "DiscountGroupId": _TEXT},
        ),
        "ItemDetails": Shape(
            required=("ItemDescriptions",),
            types={"ItemStatus": _TEXT, "ItemDescriptions": "array"},
            children={"ItemDescriptions": _ITEM_DESCRIPTION},
        ),
        "Ordering": Shape(
            required=("OrderUnit", "MinimumOrderQuantity", "OrderStepSize"),
            types={"OrderUnit": _TEXT, "MinimumOrderQuantity": _TEXT, "OrderStepSize": _TEXT},
        ),
        "Pricing": _PRICING,
    },
)
PRODUCT = Shape(
    required=("ProductIdentification",),
    types={"ProductIdentification": "object", "ProductDetails": "object", "EtimClassification": "array",
           "TradeItem": "array"},
    children={
        "ProductIdentification": Shape(
            required=("ManufacturerName", "ManufacturerProductNumber"),
            types={"ManufacturerIdGln": _TEXT, "ManufacturerName": _TEXT, "ManufacturerProductNumber": _TEXT,
                   "ProductGtin": "array", "BrandName": _TEXT},
        ),
        "ProductDetails": Shape(
            required=("ProductDescriptions",),
            types={"ProductStatus": _TEXT, "ProductDescriptions": "array"},
            children={"ProductDescriptions": _DESCRIPTION},
        ),
        "EtimClassification": Shape(
            required=("EtimReleaseVersion", "EtimClassCode"),
            types={"EtimReleaseVersion": _TEXT, "EtimClassCode": _TEXT, "EtimFeatures": "array"},
            children={"EtimFeatures": _FEATURE},
        ),
        "TradeItem": _TRADE_ITEM,
    },
)
"""One element of ``Supplier[].Product[]``."""

ROOT = Shape(
    required=("SchemaVersion", "CatalogueId", "CatalogueType", "CatalogueValidityStart", "Language", "Supplier"),
    types={"SchemaVersion": _TEXT, "CatalogueId": _TEXT, "CatalogueType": _TEXT, "CatalogueValidityStart": _TEXT,
           "Language": "array", "CurrencyCode": _TEXT, "Supplier": "array"},
)
"""The document's top level (checked on the member types the stream saw, not on the members' contents)."""

SUPPLIER = Shape(required=("SupplierName",), types={"SupplierName": _TEXT, "SupplierIdGln": _TEXT})
"""One element of ``Supplier[]``, checked on its scalar members (its products are checked one by one)."""


def check_types(types: dict[str, str], shape: Shape, path: str) -> Problem | None:
    """The first required member missing or member of the wrong type, given the members' JSON types."""
    for name in shape.required:
        if name not in types:
            return Problem(f"{path}.{name}", "(missing)", f"the required member {name} is missing")
    for name, wanted in shape.types.items():
        found = types.get(name)
        # No widening: the schema types every number it carries as a (regex-checked) string.
        if found is not None and found != wanted:
            return Problem(f"{path}.{name}", found, f"{name} must be a JSON {wanted}, not a {found}")
    return None


def check(value: Any, shape: Shape, path: str) -> Problem | None:
    """The first structural problem of ``value`` (an object of ``shape``) at JSON path ``path``, or None."""
    if not isinstance(value, dict):
        return Problem(path, json_type(value), f"must be a JSON object, not a {json_type(value)}")
    problem = check_types({name: json_type(member) for name, member in value.items()}, shape, path)
    if problem is not None:
        return problem
    for name, child in shape.children.items():
        member = value.get(name)
        elements = enumerate(member) if isinstance(member, list) else [(None, member)] if member is not None else []
        for index, element in elements:
            problem = check(element, child, f"{path}.{name}" + ("" if index is None else f"[{index}]"))
            if problem is not None:
                return problem
    return None
