"""The field catalog (GET /catalog/fields) and the layout check, read off the definitions the import uses."""

from __future__ import annotations

import io

import pytest
from pimtasks.catalog.field_catalog import describe_target, layout_problems
from pimtasks.catalog.fields import TARGETS, resolve_field
from pimtasks.catalog.models import SalesCondition
from pimtasks.domain.task_types import ColumnMapping, ImportLayout, ImportSettings, ImportTarget
from pimtasks.imports import LayoutMismatchError, read_records
from pimtasks.imports.mapping import default_problems


@pytest.mark.parametrize("target", list(ImportTarget))
def test_every_field_the_import_maps_is_listed_with_a_meaning(target: ImportTarget) -> None:
    doc = describe_target(target)
    families = {pattern.name for pattern in TARGETS[target].patterns}
    plain = [field for field in doc.fields if field.name not in families]
    assert [field.name for field in plain] == list(TARGETS[target].fields)
    assert all(field.meaning and field.meaning != field.name.replace("_", " ") for field in doc.fields)
    assert doc.natural_key == TARGETS[target].model.KEY_FIELDS


@pytest.mark.parametrize("target", list(ImportTarget))
def test_each_name_family_resolves_to_the_field_it_says_it_fills(target: ImportTarget) -> None:
    for pattern in TARGETS[target].patterns:
        ref = resolve_field(pattern.example, target)
        assert ref is not None and ref.field == pattern.fills, pattern


def test_rules_come_from_the_model_and_its_messages_use_them() -> None:
    doc = describe_target(ImportTarget.SALES_CONDITIONS)
    assert "exactly one of discount_group, article_number, gtin" in doc.rules
    problem = SalesCondition.record_problem({**_empty_condition(), "gtin": "1", "article_number": "A"}, False)
    assert problem is not None and "exactly one of discount_group, article_number, gtin" in problem.text
    fields = {field.name: field for field in doc.fields}
    assert "one of: basic, action, project" in fields["terms_type"].rules
    assert "at most 100" in fields["discount_1"].rules and "at most 4 decimals" in fields["discount_1"].rules
    assert any("check digit" in rule for rule in fields["gtin"].rules)


def test_product_fields_say_their_form_and_the_features_rule() -> None:
    fields = {field.name: field for field in describe_target(ImportTarget.PRODUCTS).fields}
    assert fields["article_number"].required and fields["article_number"].key
    assert "at most 35 characters" in fields["article_number"].rules
    assert any("ETIM class code" in rule for rule in fields["etim_class"].rules)
    assert "default EUR" in fields["currency"].rules
    assert "each feature code at most once per product" in fields["features"].rules


def _layout(*fields: str, keys: tuple[str, ...] = ("article_number",)) -> ImportLayout:
    return ImportLayout(columns=[ColumnMapping(column=f"C{i}", field=f) for i, f in enumerate(fields)],
                        key_columns=list(keys))


def test_every_unknown_field_and_unmapped_key_is_named_at_once() -> None:
    layout = _layout("article_number", "prize", "colour", "Gross Price", "gross_price",
                     keys=("article_number", "gtin", "nonsense"))
    problems = layout_problems(ImportTarget.PRODUCTS, layout, prefix="settings.layout")
    assert [(p.field, p.type) for p in problems] == [
        ("settings.layout.columns.1.field", "unknown_field"),
        ("settings.layout.columns.2.field", "unknown_field"),
        ("settings.layout.columns.4.field", "field_mapped_twice"),
        ("settings.layout.key_columns.1", "key_column_not_mapped"),
        ("settings.layout.key_columns.2", "key_column_not_mapped"),
    ]
    assert "'prize'" in problems[0].message and "valid fields: article_number, gtin" in problems[0].message
    assert "description_<language>" in problems[0].message
    assert "not a field of products" in problems[4].message


def test_a_good_layout_has_no_problems_and_aliases_count() -> None:
    layout = _layout("Article Number", "EAN", "description_nl", "feature_1_code", keys=("article_number", "gtin"))
    assert layout_problems(ImportTarget.PRODUCTS, layout) == []


def test_an_import_with_a_stored_bad_layout_names_every_problem() -> None:
    settings = ImportSettings(import_name="x", target=ImportTarget.PRODUCTS, custom_layout=True,
                              layout=_layout("article_number", "prize", "colour"))
    with pytest.raises(LayoutMismatchError) as raised:
        read_records(io.BytesIO(b"C0;C1;C2\nA1;1;red\n"), file_name="x.csv", settings=settings)
    assert "'prize'" in str(raised.value) and "'colour'" in str(raised.value)


def _empty_condition() -> dict[str, object]:
    return {name: info.get_default(call_default_factory=True) for name, info in SalesCondition.model_fields.items()}


def test_defaults_that_cannot_fill_their_field_are_named() -> None:
    layout = ImportLayout(columns=[
        ColumnMapping(column="A", field="article_number"),
        ColumnMapping(column="B", field="currency", default="xx1"),
        ColumnMapping(column="C", field="gross_price", default="12,5", decimal_separator="comma"),
        ColumnMapping(column="D", field="gtin", default="8712345678905"),
        ColumnMapping(column="E", field="status", default="actief", replace={"actief": "active"}),
    ], key_columns=["article_number"])
    problems = default_problems(ImportTarget.PRODUCTS, layout)
    assert [(p.field, p.column) for p in problems] == [("layout.columns.1.default", "B"),
                                                      ("layout.columns.3.default", "D")]
    assert "not a currency code" in problems[0].message and "check digit" in problems[1].message
