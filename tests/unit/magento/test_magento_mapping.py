"""Catalog products as Magento payloads: global values, store views in their language, attributes, options."""

from __future__ import annotations

from typing import Any

import pytest
from pimtasks.domain.task_types import MagentoSettings
from pimtasks.magento.mapping import GLOBAL_SCOPE, AttributeInfo, MappingProblem, Payload, ProductMapper
from pydantic import ValidationError


def settings(**overrides: Any) -> MagentoSettings:
    return MagentoSettings.model_validate({"base_url": "https://shop.example.com", "access_token": "t",
                                           "store_views": {"nl-NL": "nl", "en": "default", "de": "de"},
                                           **overrides})


PRODUCT = {"article_number": "A-1", "descriptions": {"nl": "Kraan", "en": "Tap"}, "gross_price": "125.0000",
           "price_unit": "100", "brand": "Acme", "custom_fields": {"colour": "Red"},
           "features": [{"code": "EF000007", "value": "12.5"}]}


def test_the_global_payload_carries_the_values_with_one_value_per_product() -> None:
    mapper = ProductMapper(settings(attributes=[{"field": "brand", "attribute": "manufacturer_brand"},
                                                {"field": "features.EF000007", "attribute": "weight"}]))
    payload = mapper.global_payload("A-1", PRODUCT)
    assert isinstance(payload, Payload) and payload.scope == GLOBAL_SCOPE
    assert payload.product == {
        "sku": "A-1", "name": "Kraan", "attribute_set_id": 4, "type_id": "simple", "status": 1, "visibility": 4,
        "extension_attributes": {"website_ids": [1]}, "price": 1.25, "weight": 12.5,
        "custom_attributes": [{"attribute_code": "manufacturer_brand", "value": "Acme"}]}


def test_each_store_view_gets_its_language_and_falls_back_to_the_global_name() -> None:
    mapper = ProductMapper(settings(attributes=[{"field": "descriptions", "attribute": "meta_title"}]))
    payloads = mapper.store_payloads("A-1", PRODUCT)

    def view(name: str) -> dict[str, Any]:
        return {"sku": "A-1", "name": name, "custom_attributes": [{"attribute_code": "meta_title", "value": name}]}

    # nl-NL finds the product's nl text; de has none, so it shows the global name (the first store view's)
    assert [(p.scope, p.product) for p in payloads if isinstance(p, Payload)] == [
        ("nl", view("Kraan")), ("default", view("Tap")), ("de", view("Kraan"))]


def test_equal_products_hash_equal_and_a_change_changes_the_hash() -> None:
    mapper = ProductMapper(settings())
    first = mapper.global_payload("A-1", PRODUCT)
    again = mapper.global_payload("A-1", dict(PRODUCT))
    changed = mapper.global_payload("A-1", {**PRODUCT, "gross_price": "126"})
    assert isinstance(first, Payload) and isinstance(again, Payload) and isinstance(changed, Payload)
    assert first.hash == again.hash != changed.hash


def test_select_attributes_take_option_values_and_unknown_attributes_are_problems() -> None:
    mapper = ProductMapper(settings(attributes=[{"field": "custom_fields.colour", "attribute": "color"},
                                                {"field": "brand", "attribute": "brand_code"}]),
                           {"color": AttributeInfo(True, {"red": "17"}), "brand_code": AttributeInfo(False)})
    problem = mapper.global_payload("A-1", PRODUCT)
    assert isinstance(problem, MappingProblem) and problem.unknown_attribute == "brand_code"
    assert "Magento has no attribute 'brand_code' (mapped from catalog field brand)" in problem.text
    fine = mapper.global_payload("A-2", {**PRODUCT, "brand": None})
    assert isinstance(fine, Payload)
    assert fine.product is not None
    assert fine.product["custom_attributes"] == [{"attribute_code": "color", "value": "17"}]
    wrong = mapper.global_payload("A-3", {**PRODUCT, "brand": None, "custom_fields": {"colour": "Mauve"}})
    assert isinstance(wrong, MappingProblem) and "'Mauve' of custom_fields.colour is not an option" in wrong.text


def test_missing_values_are_left_alone_unless_clear_missing() -> None:
    keep = ProductMapper(settings(attributes=[{"field": "gtin", "attribute": "ean"}])).global_payload("A", PRODUCT)
    clear = ProductMapper(settings(attributes=[{"field": "gtin", "attribute": "ean"}], clear_missing=True))
    assert isinstance(keep, Payload) and keep.product is not None and "custom_attributes" not in keep.product
    cleared = clear.global_payload("A", PRODUCT)
    assert isinstance(cleared, Payload) and cleared.product is not None
    assert cleared.product["custom_attributes"] == [{"attribute_code": "ean", "value": ""}]


def test_removed_products_are_disabled_or_deleted() -> None:
    assert ProductMapper(settings()).removal("A").product == {"sku": "A", "status": 2}
    assert ProductMapper(settings(removed="delete")).removal("A").action == "delete"


@pytest.mark.parametrize(("change", "field"), [
    ({"attributes": [{"field": "price_of_gold", "attribute": "gold"}]}, "attributes.0.field"),
    ({"attributes": [{"field": "brand", "attribute": "price"}]}, "attributes.0.attribute"),
    ({"attributes": [{"field": "brand", "attribute": "Bad-Code"}]}, "attributes.0.attribute"),
    ({"store_views": {"nl": "nl", "NL": "nl2"}}, "store_views"),
    ({"store_views": {"nl": "x", "de": "x"}}, "store_views"),
    ({"access_token": None}, ""),
    ({"admin": {"username": "a", "password": "p"}}, ""),
])
def test_settings_name_what_is_wrong(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        settings(**change)
    assert ".".join(str(part) for part in raised.value.errors()[0]["loc"]) == field
