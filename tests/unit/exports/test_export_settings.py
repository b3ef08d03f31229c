"""Export settings: the layout's fields and the filter are checked against the entity, file name tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pimtasks.domain.task_types import ExportSettings
from pimtasks.exports.columns import export_columns, matches, row_values
from pimtasks.exports.fields import ValueKind
from pimtasks.exports.file_names import part_name, render_file_name
from pydantic import ValidationError


def settings(**values: Any) -> ExportSettings:
    return ExportSettings.model_validate({"export_name": "Prices", **values})


@pytest.mark.parametrize(("values", "where", "name"), [
    ({"layout": {"columns": [{"field": "gross_price"}, {"field": "colour"}]}}, "layout.columns[1].field", "colour"),
    ({"columns": ["net_price"]}, "columns[0]", "net_price"),
    ({"filter": {"regio": "APAC"}, "entity": "sales_conditions"}, "filter.regio", "regio"),
    ({"entity": "attachments", "columns": ["descriptions.nl"]}, "columns[0]", "descriptions.nl"),
])
def test_an_unknown_field_is_refused_naming_it_and_listing_the_valid_ones(values: dict[str, Any], where: str,
                                                                           name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        settings(**values)
    message = str(refused.value)
    assert f"{where}: unknown field {name!r}" in message
    assert "valid fields: " in message and "article_number" in message


def test_product_fields_include_languages_custom_fields_and_features() -> None:
    chosen = settings(layout={"columns": [
        {"field": "article_number", "header": "Artikel"},
        {"field": "descriptions", "header": "Omschrijving {language}"},
        {"field": "custom_fields.colour"}, {"field": "features.EF000007", "header": "Kleur"},
        {"field": "gross_price", "header": "Prijs"}], "languages": ["NL", "en"]})
    columns = export_columns(chosen)
    assert [(c.field, c.header) for c in columns] == [
        ("article_number", "Artikel"), ("descriptions.nl", "Omschrijving nl"), ("descriptions.en", "Omschrijving en"),
        ("custom_fields.colour", "custom_fields.colour"), ("features.EF000007", "Kleur"), ("gross_price", "Prijs")]
    data = {"article_number": "A-1", "descriptions": {"nl": "Kraan \u2013 chroom"}, "custom_fields": {"colour": "Rood"},
            "features": [{"code": "EF000007", "value": "EV000080"}], "gross_price": "12.50"}
    assert row_values(data, columns)[1:] == [
        "Kraan \u2013 chroom", None, "Rood", "EV000080", "12.50"]


def test_without_a_layout_every_plain_field_of_the_entity_in_model_order() -> None:
    columns = export_columns(settings(entity="sales_conditions"))
    assert columns[0].field == "supplier_gln"
    assert {c.field: c.kind for c in columns}["valid_from"] is ValueKind.DATE
    assert {c.field: c.kind for c in columns}["net_price"] is ValueKind.DECIMAL


def test_the_filter_compares_the_catalog_value_as_text() -> None:
    assert matches({"region": "APAC", "net_price": "12.50"}, {"region": "APAC", "net_price": "12.50"})
    assert not matches({"region": "EMEA"}, {"region": "APAC"})
    assert not matches({}, {"region": "APAC"})


@pytest.mark.parametrize("pattern", ["{exports}", "{date:%Y", "{run_id:%H}", "a}b"])
def test_a_bad_file_name_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(ValidationError, match="file_name"):
        settings(file_name=pattern)


def test_file_names_from_tokens_in_the_environments_zone() -> None:
    started = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC).astimezone(ZoneInfo("Europe/Amsterdam"))
    name = render_file_name("{export}_{date:%Y%m%d}_{time:%H%M}_{run_id}", export="Prices", started_at=started,
                            run_id="r1", extension="xlsx")
    assert name == "Prices_20270101_0030_r1.xlsx"
    assert render_file_name("out/../{export}.CSV", export="P", started_at=started, run_id="r",
                            extension="csv") == "out_.._P.CSV"
    assert part_name("Prices.xlsx", 1) == "Prices.xlsx" and part_name("Prices.xlsx", 3) == "Prices_part3.xlsx"


def test_etim_xchange_needs_products_and_its_header() -> None:
    with pytest.raises(ValidationError, match="needs xchange"):
        settings(format="etim_xchange")
    with pytest.raises(ValidationError, match="exports products"):
        settings(format="etim_xchange", entity="sales_conditions", xchange={"supplier_name": "S"})
    with pytest.raises(ValidationError):
        settings(format="etim_xchange", xchange={"supplier_name": "S", "languages": ["nl"]})
