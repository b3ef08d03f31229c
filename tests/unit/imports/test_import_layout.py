"""Custom layouts: sheet, header row, column mapping by name or letter, conversions, keys, empty cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pimtasks.domain.task_types import (
    ColumnMapping,
    DecimalSeparator,
    EmptyCell,
    ImportLayout,
    ImportMode,
    ImportSettings,
    ImportTarget,
)
from pimtasks.imports import LayoutMismatchError, read_records


def settings(layout: ImportLayout, target: ImportTarget = ImportTarget.SALES_CONDITIONS) -> ImportSettings:
    return ImportSettings(import_name="layout", target=target, custom_layout=True, layout=layout)


def conditions_layout(**overrides: object) -> ImportLayout:
    values: dict[str, object] = {
        "columns": [
            ColumnMapping(column="Kortingsgroep", field="discount_group", case="upper"),
            ColumnMapping(column="Korting", field="discount_1", decimal_separator=DecimalSeparator.COMMA),
            ColumnMapping(column="Geldig vanaf", field="valid_from", date_format="%d/%m/%Y"),
            ColumnMapping(column="Geldig tot", field="valid_until", date_format="%d/%m/%Y"),
            ColumnMapping(column="Klantgroep", field="customer_group", default="INSTALLERS"),
        ],
        "key_columns": ["discount_group", "customer_group"],
    }
    values.update(overrides)
    return ImportLayout.model_validate(values)


def test_custom_layout_with_date_format_and_defaults(fixtures_dir: Path) -> None:
    path = fixtures_dir / "dates_custom_format.csv"
    records, rejected, warnings = read_records(path, file_name=path.name, settings=settings(conditions_layout()))
    assert [(r.record.discount_group, r.record.discount_1, r.record.valid_from) for r in records] == [
        ("DG1", Decimal("12.5"), dt.date(2024, 2, 1)),
        ("DG2", Decimal("7"), dt.date(2024, 3, 1)),  # ISO text is accepted next to the layout's format
    ]
    assert records[0].record.customer_group == "INSTALLERS"
    assert "'Klantgroep' is not in the file; customer_group gets its default 'INSTALLERS'" in warnings[0].text
    (bad,) = rejected
    assert bad.errors[0].column == "Geldig vanaf"
    assert bad.reason == "valid_from: '1 maart' is not a date (expected DD/MM/YYYY, e.g. 31/12/2024)"


def test_missing_mapped_column_fails_the_file(tmp_path: Path) -> None:
    path = tmp_path / "conditions.csv"
    path.write_text("Kortingsgroep;Geldig vanaf;Geldig tot\nDG1;01/01/2024;31/12/2024\n")
    with pytest.raises(LayoutMismatchError) as caught:
        read_records(path, file_name=path.name, settings=settings(conditions_layout()))
    assert caught.value.message.startswith("column 'Korting' (mapped to discount_1) is not in the header row (row 1)")
    assert caught.value.column == "Korting"


def test_columns_by_letter_header_row_replacements_and_case(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "Price list 2024;;;\nArt.nr;Omschrijving;Prijs;Eenheid\n a-1 ;Kabel;1.234,50;Stk\na-2;Buis;7;m\n",
        encoding="utf-8",
    )
    layout = ImportLayout(
        header_row=2,  # first_data_row left at its default (2): data still starts below the header
        columns=[
            ColumnMapping(column="A", field="article_number", case="upper"),
            ColumnMapping(column="Omschrijving", field="description_nl"),
            ColumnMapping(column="prijs", field="gross_price", decimal_separator=DecimalSeparator.COMMA),
            ColumnMapping(column="Eenheid", field="order_unit", replace={"Stk": "C62", "m": "MTR"}),
        ],
        key_columns=["article_number"],
    )
    records, rejected, _ = read_records(path, file_name=path.name, settings=settings(layout, ImportTarget.PRODUCTS))
    assert not rejected
    assert [(r.row, r.record.article_number, r.record.gross_price, r.record.order_unit) for r in records] == [
        (3, "A-1", Decimal("1234.50"), "C62"),
        (4, "A-2", Decimal("7"), "MTR"),
    ]
    assert records[0].record.descriptions == {"nl": "Kabel"}


def test_empty_cells_keep_or_clear(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("article_number;gross_price;brand\nE-1;;Merk\n")
    columns = [
        ColumnMapping(column="article_number", field="article_number"),
        ColumnMapping(column="gross_price", field="gross_price"),
        ColumnMapping(column="brand", field="brand"),
    ]
    for empty_cell, cleared in ((EmptyCell.KEEP, frozenset()), (EmptyCell.CLEAR, frozenset({"gross_price"}))):
        layout = ImportLayout(columns=columns, key_columns=["article_number"], empty_cell=empty_cell)
        records, _, _ = read_records(path, file_name=path.name, settings=settings(layout, ImportTarget.PRODUCTS))
        assert records[0].fields == {"article_number", "brand"}
        assert records[0].cleared == cleared


def test_empty_key_column_rejects_the_row(tmp_path: Path) -> None:
    path = tmp_path / "conditions.csv"
    path.write_text("Kortingsgroep;Korting;Geldig vanaf;Geldig tot;Klantgroep\n;10;01/01/2024;31/12/2024;X\n")
    _, rejected, _ = read_records(path, file_name=path.name, settings=settings(conditions_layout()))
    assert rejected[0].errors[0].reason == "discount_group is empty; it is a key column"
    assert rejected[0].errors[0].column == "Kortingsgroep"


def test_update_only_accepts_partial_rows(tmp_path: Path) -> None:
    path = tmp_path / "conditions.csv"
    path.write_text("Kortingsgroep;Geldig tot\nDG1;31/12/2025\n")
    layout = ImportLayout(
        columns=[
            ColumnMapping(column="Kortingsgroep", field="discount_group"),
            ColumnMapping(column="Geldig tot", field="valid_until", date_format="%d/%m/%Y"),
        ],
        key_columns=["discount_group"],
    )
    _, rejected, _ = read_records(path, file_name=path.name, settings=settings(layout))
    assert rejected[0].reason == "a sales condition needs a net_price or a discount_1..3"
    partial = layout.model_copy(update={"mode": ImportMode.UPDATE_ONLY})
    records, rejected, _ = read_records(path, file_name=path.name, settings=settings(partial))
    assert not rejected and records[0].fields == {"discount_group", "valid_until"}


def test_layout_sheet_and_vertically_merged_header(fixtures_dir: Path) -> None:
    layout = ImportLayout(
        sheet="vertical",
        header_row=2,
        first_data_row=3,
        columns=[
            ColumnMapping(column="Artikel", field="article_number"),  # A1:A2 merged: the text is in A1
            ColumnMapping(column="Bruto", field="gross_price"),
            ColumnMapping(column="Valuta", field="currency"),
        ],
        key_columns=["article_number"],
    )
    path = fixtures_dir / "merged_header.xlsx"
    records, _, _ = read_records(path, file_name=path.name, settings=settings(layout, ImportTarget.PRODUCTS))
    assert [(r.sheet, r.row, r.record.article_number, r.record.gross_price) for r in records] == [
        ("Vertical", 3, "V-1", Decimal("7.5"))
    ]


def test_unknown_sheet_fails_listing_the_sheets(fixtures_dir: Path) -> None:
    layout = ImportLayout(
        sheet="Prijzen", columns=[ColumnMapping(column="A", field="article_number")], key_columns=["article_number"]
    )
    path = fixtures_dir / "merged_header.xlsx"
    with pytest.raises(
        LayoutMismatchError, match="names sheet 'Prijzen', but the file has only 'Horizontal', 'Vertical'"
    ):
        read_records(path, file_name=path.name, settings=settings(layout, ImportTarget.PRODUCTS))


def test_key_column_that_is_not_mapped_fails(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("a;b\n1;2\n")
    layout = ImportLayout(columns=[ColumnMapping(column="a", field="article_number")], key_columns=["gtin"])
    with pytest.raises(LayoutMismatchError, match="key column 'gtin' is not mapped"):
        read_records(path, file_name=path.name, settings=settings(layout, ImportTarget.PRODUCTS))


def test_duplicates_are_rows_of_the_same_record_whatever_the_key_columns(tmp_path: Path) -> None:
    """Key columns must be filled; identity (catalog and duplicates alike) is the natural key."""
    path = tmp_path / "periods.csv"
    path.write_text(
        "Kortingsgroep;Korting;Geldig vanaf;Geldig tot;Klantgroep\n"
        "PER-1;10;01/01/2026;31/12/2026;INSTALLERS\n"
        "PER-1;12;01/01/2027;31/12/2027;INSTALLERS\n"  # a new validity period: a second condition
        "PER-1;11;01/01/2027;30/06/2027;INSTALLERS\n"  # the same condition again: a duplicate
    )
    records, rejected, _ = read_records(path, file_name=path.name, settings=settings(conditions_layout()))
    assert [(r.record.discount_1, r.record.valid_from) for r in records] == [
        (Decimal(10), dt.date(2026, 1, 1)),
        (Decimal(12), dt.date(2027, 1, 1)),
    ]
    (duplicate,) = rejected
    (error,) = duplicate.errors
    assert error.row == 4 and error.column == "Klantgroep" and error.value == "INSTALLERS"
    assert error.reason.startswith("duplicate key customer_group='INSTALLERS', discount_group='PER-1'")
    assert "valid_from='2027-01-01': first used in row 3; this row is not imported" in error.reason
