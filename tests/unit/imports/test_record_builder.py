"""RecordBuilder: built records equal model_validate's; models with other validators are refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pimtasks.catalog.models import Attachment, CatalogRecord, Product, SalesCondition
from pimtasks.catalog.record_builder import RecordBuilder, UnsupportedModelError, builder_for
from pydantic import ValidationError, field_validator


def validated(model: type[CatalogRecord], data: dict[str, Any]) -> dict[str, Any]:
    builder = builder_for(model)
    return {name: builder.field_validator(name)(value) for name, value in data.items()}


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (SalesCondition, {"discount_group": "DG1", "net_price": Decimal("10.5"), "valid_from": dt.date(2024, 1, 1)}),
        (SalesCondition, {"article_number": "A", "discount_1": Decimal(5), "terms_type": "project",
                          "project_number": "P1", "currency": "USD"}),
        (Product, {"article_number": "P1", "descriptions": {"NL": "Kabel"}, "features": [
            {"code": "EF000008", "value": "1", "unit": "EU570448"}], "gross_price": Decimal("1.5")}),
        (Attachment, {"article_number": "A", "type_code": "PPI", "file_name": "a.jpg"}),
    ],
)
def test_built_record_equals_the_validated_one(model: type[CatalogRecord], data: dict[str, Any]) -> None:
    built = builder_for(model).build(validated(model, data), data.keys())
    expected = model.model_validate(data)
    assert built == expected
    assert built is not None and built.model_dump_json() == expected.model_dump_json()
    assert built.model_fields_set == expected.model_fields_set
    assert built.natural_key() == expected.natural_key()


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (SalesCondition, {"discount_group": "DG1", "article_number": "A", "net_price": Decimal(1)}),  # two scopes
        (SalesCondition, {"discount_group": "DG1"}),  # no price
        (SalesCondition, {"discount_group": "DG1", "net_price": Decimal(1), "valid_from": dt.date(2024, 2, 1),
                          "valid_until": dt.date(2024, 1, 1)}),
        (Product, {"gtin": "8712345678906"}),  # article_number is required
        (Product, {"article_number": "A", "colour": "red"}),  # not a field
    ],
)
def test_a_row_breaking_a_rule_is_not_built(model: type[CatalogRecord], data: dict[str, Any]) -> None:
    assert builder_for(model).build(data, data.keys()) is None
    with pytest.raises(ValidationError):
        model.model_validate(data)


def test_update_only_rows_need_not_be_complete() -> None:
    data = {"discount_group": "DG1"}
    assert builder_for(SalesCondition).build(data, data.keys(), partial=True) is not None


def test_a_model_with_decorator_validators_is_refused() -> None:
    class Rogue(CatalogRecord):
        name: str

        @field_validator("name")
        @classmethod
        def _shout(cls, value: str) -> str:
            return value.upper()

    with pytest.raises(UnsupportedModelError, match="record_problem"):
        RecordBuilder(Rogue)
