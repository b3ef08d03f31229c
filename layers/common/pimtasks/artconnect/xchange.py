"""Catalog products as an ETIM xChange 2.0 document (JSON), the content of Export Art-Connect's messages.

One document per message: the header (``SchemaVersion`` 2.0, a ``CatalogueId`` per run and chunk, ``CHANGE`` for
a delta and ``FULL`` otherwise), one ``Supplier`` and its ``Product`` list. Per product: identification (the
manufacturer, else the brand, else the supplier name; the manufacturer's product number, else the article number),
descriptions per language (``xx-XX``; a bare ``nl`` becomes ``nl-NL``, ``en`` ``en-GB``), status, the ETIM class
with its features when the release is known, and one trade item (supplier item number, GTIN, discount group,
order unit and minimum quantity, the gross list price per price quantity). Amounts carry at most 4 decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

SCHEMA_VERSION = "2.0"
_LANGUAGE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
_DEFAULT_REGION = {"en": "GB", "nl": "NL", "de": "DE", "fr": "FR", "be": "BE", "sv": "SE", "da": "DK", "nb": "NO",
                   "fi": "FI", "it": "IT", "es": "ES", "pl": "PL", "cs": "CZ", "pt": "PT"}
_RELEASE = re.compile(r"(\d{1,2}\.\d)")
_NUMERIC = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{0,4})?$")
_FOUR = Decimal("0.0001")


def xchange_language(tag: str) -> str | None:
    """``nl-NL`` as is; ``nl`` → ``nl-NL``, ``en`` → ``en-GB``; None for what xChange cannot name."""
    if _LANGUAGE.match(tag):
        return tag
    base = tag.split("-")[0].lower()
    if len(base) != 2:
        return None
    return f"{base}-{_DEFAULT_REGION.get(base, base.upper())}"


def _amount(value: Any) -> str:
    number = Decimal(str(value)).quantize(_FOUR)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def xchange_document(products: Sequence[Mapping[str, Any]], *, catalogue_id: str, generated: dt.date,
                     supplier_name: str, supplier_gln: str | None, buyer_gln: str | None,
                     delta: bool) -> dict[str, Any]:
    entries = [_product(product, supplier_name=supplier_name) for product in products]
    languages = sorted({d["DescriptionLanguage"] for entry in entries
                        for d in entry.get("ProductDetails", {}).get("ProductDescriptions", [])}) or ["en-GB"]
    supplier: dict[str, Any] = {"SupplierName": supplier_name[:80]}
    if supplier_gln:
        supplier["SupplierIdGln"] = supplier_gln
    supplier["Product"] = entries
    document: dict[str, Any] = {"SchemaVersion": SCHEMA_VERSION, "CatalogueId": catalogue_id[:20],
                                "CatalogueType": "CHANGE" if delta else "FULL",
                                "GenerationDate": generated.isoformat()}
    if buyer_gln:
        document["BuyerIdGln"] = buyer_gln
    currencies = {str(product.get("currency") or "EUR") for product in products}
    document.update({"CatalogueValidityStart": generated.isoformat(), "Language": languages})
    if len(currencies) == 1:
        document["CurrencyCode"] = currencies.pop()
    document["Supplier"] = [supplier]
    return document


def _product(product: Mapping[str, Any], *, supplier_name: str) -> dict[str, Any]:
    identification: dict[str, Any] = {
        "ManufacturerName": str(product.get("brand") or supplier_name)[:80],
        "ManufacturerProductNumber": str(product.get("manufacturer_product_number") or product["article_number"]),
    }
    if product.get("manufacturer_gln"):
        identification = {"ManufacturerIdGln": product["manufacturer_gln"], **identification}
    if product.get("gtin"):
        identification["ProductGtin"] = [str(product["gtin"])]
    if product.get("brand"):
        identification["BrandName"] = str(product["brand"])
    entry: dict[str, Any] = {"ProductIdentification": identification}
    details = _details(product)
    if details:
        entry["ProductDetails"] = details
    classification = _classification(product)
    if classification:
        entry["EtimClassification"] = [classification]
    entry["TradeItem"] = [_trade_item(product)]
    return entry


def _details(product: Mapping[str, Any]) -> dict[str, Any] | None:
    descriptions: list[dict[str, str]] = []
    for tag, text in sorted((product.get("descriptions") or {}).items()):
        language = xchange_language(tag)
        if language and text and language not in {d["DescriptionLanguage"] for d in descriptions}:
            descriptions.append({"DescriptionLanguage": language, "MinimalProductDescription": str(text)[:80]})
    if not descriptions:
        return None
    details: dict[str, Any] = {}
    if product.get("status"):
        details["ProductStatus"] = str(product["status"]).upper()
    details["ProductDescriptions"] = descriptions
    return details


def _classification(product: Mapping[str, Any]) -> dict[str, Any] | None:
    release = _RELEASE.search(str(product.get("etim_release") or ""))
    if not product.get("etim_class") or release is None:
        return None
    features = [_feature(feature) for feature in product.get("features") or []]
    classification: dict[str, Any] = {"EtimReleaseVersion": release.group(1), "EtimClassCode": product["etim_class"]}
    if features:
        classification["EtimFeatures"] = features
    return classification


def _feature(feature: Mapping[str, Any]) -> dict[str, Any]:
    value = str(feature["value"])
    entry: dict[str, Any] = {"EtimFeatureCode": feature["code"]}
    if re.fullmatch(r"EV[0-9]{6}", value):
        entry["EtimValueCode"] = value
    elif value.lower() in ("true", "false"):
        entry["EtimValueLogical"] = value.lower() == "true"
    elif _NUMERIC.match(value):
        entry["EtimValueNumeric"] = value
    else:
        entry["EtimValueDetails"] = [{"EtimValueDetails": value[:255]}]
    return entry


def _trade_item(product: Mapping[str, Any]) -> dict[str, Any]:
    identification: dict[str, Any] = {
        "SupplierItemNumber": str(product.get("supplier_item_number") or product["article_number"])}
    if product.get("gtin"):
        identification["ItemGtin"] = [str(product["gtin"])]
    if product.get("discount_group"):
        identification["DiscountGroupId"] = str(product["discount_group"])
    unit = str(product.get("order_unit") or "C62")
    item: dict[str, Any] = {
        "ItemIdentification": identification,
        "Ordering": {"OrderUnit": unit, "MinimumOrderQuantity": _amount(product.get("minimum_order_quantity") or 1),
                     "OrderStepSize": "1"},
    }
    if product.get("gross_price") is not None:
        item["Pricing"] = [{"PriceUnit": str(product.get("price_unit_code") or unit),
                            "PriceQuantity": _amount(product.get("price_unit") or 1),
                            "GrossListPrice": _amount(product["gross_price"])}]
    else:
        item["Pricing"] = [{"PriceUnit": unit, "PriceQuantity": "1", "PriceOnRequest": True}]
    return item
