"""What calamine cannot see: cells formatted as percentages (10% stores 0.1) and formulas without a result."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from pimtasks.domain.task_types import ColumnMapping, ImportLayout, ImportSettings, ImportTarget
from pimtasks.imports import read_records


def discounts(path: Path, settings: ImportSettings | None = None) -> list[tuple[object, ...]]:
    records, rejected, _ = read_records(path, file_name=path.name, target=ImportTarget.SALES_CONDITIONS,
                                        settings=settings)
    assert not rejected
    return [(r.record.discount_group, r.record.discount_1, r.record.discount_2, r.record.discount_3) for r in records]


@pytest.mark.parametrize("name", ["percentages.xlsx", "percentages.ods"])
def test_libreoffice_percent_cells_read_as_shown(fixtures_dir: Path, name: str) -> None:
    path = fixtures_dir / name
    _, _, messages = read_records(path, file_name=name, target=ImportTarget.SALES_CONDITIONS)
    assert discounts(path) == [("DG10", Decimal(10), Decimal(5), Decimal(2)), ("DG20", Decimal("5.5"), None, None)]
    assert [m.text for m in messages] == [
        "column 'discount_1' is formatted as percentages: a cell showing 10% is read as 10"
    ]


def openpyxl_workbook(path: Path, formats: dict[str, str]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kortingen"
    sheet.append(["Groep", "Korting", "Extra", "Netto"])
    sheet.append(["DG1", 0.125, 0.5, 3])
    sheet.append(["DG2", 1, 7.5, 0.25])
    for column, number_format in formats.items():
        for row in (2, 3):
            sheet[f"{column}{row}"].number_format = number_format
    workbook.save(path)
    return path


def test_only_unquoted_percent_formats_scale(tmp_path: Path) -> None:
    # B: Excel's built-in 0.00%; C: a literal " %" in quotes shows 0.50 % without scaling; D: no format.
    path = openpyxl_workbook(tmp_path / "k.xlsx", {"B": "0.00%", "C": '0.00" %"'})
    settings = ImportSettings(
        import_name="k", target=ImportTarget.SALES_CONDITIONS, custom_layout=True,
        layout=ImportLayout(columns=[ColumnMapping(column="Groep", field="discount_group"),
                                     ColumnMapping(column="Korting", field="discount_1"),
                                     ColumnMapping(column="Extra", field="discount_2"),
                                     ColumnMapping(column="Netto", field="net_price")],
                            key_columns=["discount_group"]),
    )
    assert discounts(path, settings) == [("DG1", Decimal("12.5"), Decimal("0.5"), None),
                                         ("DG2", Decimal(100), Decimal("7.5"), None)]


def test_a_percent_format_on_a_price_changes_nothing(tmp_path: Path) -> None:
    path = openpyxl_workbook(tmp_path / "p.xlsx", {"D": "0%"})
    layout = ImportLayout(columns=[ColumnMapping(column="Groep", field="discount_group"),
                                   ColumnMapping(column="Netto", field="net_price")], key_columns=["discount_group"])
    settings = ImportSettings(import_name="p", target=ImportTarget.SALES_CONDITIONS, custom_layout=True, layout=layout)
    records, _, _ = read_records(path, file_name=path.name, settings=settings)
    assert [r.record.net_price for r in records] == [Decimal(3), Decimal("0.25")]


def test_formulas_without_a_calculated_result_are_named(tmp_path: Path) -> None:
    workbook = Workbook()  # openpyxl stores formulas but never calculates them
    sheet = workbook.active
    sheet.append(["article_number", "minimum_order_quantity", "gross_price"])
    sheet.append(["F-1", 10, "=B2*1.21"])
    sheet.append(["F-2", 20, 24.2])
    path = tmp_path / "formulas.xlsx"
    workbook.save(path)
    records, _, messages = read_records(path, file_name=path.name, target=ImportTarget.PRODUCTS)
    assert [r.record.gross_price for r in records] == [None, Decimal("24.2")]
    assert [m.text for m in messages if "formula" in m.text] == [
        "cells C2 hold formulas without a calculated result, so they read as empty: the file was written by a "
        "program that does not calculate formulas; open and save it in Excel or LibreOffice"
    ]


def test_libreoffice_formulas_have_their_results(fixtures_dir: Path) -> None:
    path = fixtures_dir / "formulas.xlsx"
    _, _, messages = read_records(path, file_name=path.name, target=ImportTarget.PRODUCTS)
    assert not [m for m in messages if "formula" in m.text]
