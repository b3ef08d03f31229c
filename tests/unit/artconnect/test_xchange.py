"""Products as ETIM xChange 2.0 documents, validated against the published schema (read from the shared specs)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pimtasks.artconnect.xchange import xchange_document, xchange_language

SCHEMA = Path("/work/shared/specs/etim-xchange/ETIM-xChange_Schema_V2.0-2025-11-27.json")

FULL: dict[str, Any] = {
    "article_number": "A-1", "gtin": "8712345000011", "descriptions": {"nl": "Installatiekabel", "en-GB": "Cable"},
    "brand": "Voorbeeld", "manufacturer_gln": "8712345000004", "manufacturer_product_number": "VB-1",
    "etim_class": "EC000034", "etim_release": "ETIM-9.0", "status": "active", "discount_group": "DG1",
    "features": [{"code": "EF000007", "value": "EV000080"}, {"code": "EF000008", "value": "2.5", "unit": "EU570448"},
                 {"code": "EF000009", "value": "true"}, {"code": "EF000010", "value": "grijs"}],
    "gross_price": "12.50", "price_unit": "100", "price_unit_code": "MTR", "order_unit": "MTR",
    "minimum_order_quantity": "100", "currency": "EUR",
}


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(document)


@pytest.mark.parametrize("products", [[FULL], [{"article_number": "B-2"}], [FULL, {"article_number": "B-2"}]])
def test_documents_follow_the_schema(products: list[dict[str, Any]]) -> None:
    document = xchange_document(products, catalogue_id="PIM-run-00001", generated=dt.date(2026, 12, 2),
                                supplier_name="Groothandel", supplier_gln="8712345000004",
                                buyer_gln="1234567890123", delta=True)
    validate(document)
    assert document["CatalogueType"] == "CHANGE" and len(document["Supplier"][0]["Product"]) == len(products)


def test_what_a_product_becomes() -> None:
    document = xchange_document([FULL], catalogue_id="c", generated=dt.date(2026, 12, 2), supplier_name="S",
                                supplier_gln=None, buyer_gln=None, delta=False)
    product = document["Supplier"][0]["Product"][0]
    assert document["Language"] == ["en-GB", "nl-NL"] and document["CatalogueType"] == "FULL"
    assert product["ProductIdentification"]["ManufacturerProductNumber"] == "VB-1"
    assert product["ProductDetails"]["ProductStatus"] == "ACTIVE"
    features = product["EtimClassification"][0]["EtimFeatures"]
    assert features == [{"EtimFeatureCode": "EF000007", "EtimValueCode": "EV000080"},
                        {"EtimFeatureCode": "EF000008", "EtimValueNumeric": "2.5"},
                        {"EtimFeatureCode": "EF000009", "EtimValueLogical": True},
                        {"EtimFeatureCode": "EF000010", "EtimValueDetails": [{"EtimValueDetails": "grijs"}]}]
    assert product["EtimClassification"][0]["EtimReleaseVersion"] == "9.0"
    assert product["TradeItem"][0]["Pricing"] == [{"PriceUnit": "MTR", "PriceQuantity": "100",
                                                   "GrossListPrice": "12.5"}]


def test_the_validator_can_fail() -> None:
    document = xchange_document([FULL], catalogue_id="c", generated=dt.date(2026, 12, 2), supplier_name="S",
                                supplier_gln=None, buyer_gln=None, delta=False)
    document["Supplier"][0]["Product"][0]["TradeItem"][0]["Ordering"]["OrderUnit"] = "BOGUS"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_languages() -> None:
    assert [xchange_language(tag) for tag in ("nl", "en", "nl-BE", "pt", "x")] == [
        "nl-NL", "en-GB", "nl-BE", "pt-PT", None]
