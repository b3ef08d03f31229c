"""Which way numbers and dates are read: decimal_separator per column, ambiguous cells named, date columns said."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pimtasks.domain.run import MessageLevel
from pimtasks.domain.task_types import ImportLayout, ImportSettings, ImportTarget
from pimtasks.imports import read_records
from pimtasks.imports.mapping import AMBIGUOUS_WARNINGS_PER_COLUMN


def product_settings(separator: str | None) -> ImportSettings:
    price = {"column": "Prijs", "field": "gross_price"} | ({"decimal_separator": separator} if separator else {})
    layout = ImportLayout.model_validate({"columns": [{"column": "Artikel", "field": "article_number"}, price],
                                          "key_columns": ["article_number"]})
    return ImportSettings(import_name="p", target=ImportTarget.PRODUCTS, custom_layout=True, layout=layout)


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(["Artikel;Prijs", *lines]) + "\n", encoding="utf-8")
    return path


def test_a_decimal_point_column_reads_thousands_strictly_and_names_ambiguous_cells(tmp_path: Path) -> None:
    path = write(tmp_path, ["A1;1,234", "A2;769,75", "A3;769.75", "A4;1,234.50"])
    records, rejected, warnings = read_records(path, file_name=path.name, settings=product_settings("point"))
    assert {r.record.article_number: r.record.gross_price for r in records} == {  # type: ignore[attr-defined]
        "A1": Decimal("1234"), "A3": Decimal("769.75"), "A4": Decimal("1234.50")}
    (bad,) = rejected
    assert bad.source.row == 3 and bad.errors[0].column == "Prijs"
    assert "decimal_separator is 'point'" in bad.reason and "'769,75'" in bad.reason
    (ambiguous,) = [w for w in warnings if w.level is MessageLevel.WARNING]
    assert (ambiguous.row, ambiguous.column, ambiguous.value) == (2, "Prijs", "1,234")
    assert ambiguous.text.startswith("gross_price: '1,234' was read as 1234")
    assert "decimal_separator to 'comma'" in ambiguous.text


def test_a_decimal_comma_column_rejects_a_point_with_a_hint_in_its_own_form(tmp_path: Path) -> None:
    path = write(tmp_path, ["A1;769,75", "A2;769.75"])
    records, rejected, _ = read_records(path, file_name=path.name, settings=product_settings("comma"))
    assert [r.record.gross_price for r in records] == [Decimal("769.75")]  # type: ignore[attr-defined]
    (bad,) = rejected
    expected = bad.reason.split("expected ")[1].split(" — ")[0]
    assert expected == "e.g. 1234,56 or 1.234,56"  # what the setting reads, not the form it rejected


def test_the_default_reads_as_written_and_warns_on_a_lone_thousands_like_separator(tmp_path: Path) -> None:
    path = write(tmp_path, ["A1;1,234", "A2;769,75", "A3;12.5"])
    records, rejected, warnings = read_records(path, file_name=path.name, settings=product_settings(None))
    assert not rejected
    assert [r.record.gross_price for r in records] == [  # type: ignore[attr-defined]
        Decimal("1.234"), Decimal("769.75"), Decimal("12.5")]
    (ambiguous,) = [w for w in warnings if w.level is MessageLevel.WARNING]
    assert ambiguous.row == 2 and "decimal_separator 'auto'" in ambiguous.text


def test_ambiguous_warnings_are_bounded_per_column(tmp_path: Path) -> None:
    path = write(tmp_path, [f"A{index};1,{index:03d}" for index in range(1, 60)])
    _, _, warnings = read_records(path, file_name=path.name, settings=product_settings("point"))
    listed = [w for w in warnings if w.level is MessageLevel.WARNING]
    assert len(listed) == AMBIGUOUS_WARNINGS_PER_COLUMN + 1
    assert "only the first 20 are listed" in listed[-1].text


@pytest.mark.parametrize(
    ("date_format", "cell", "expected", "said"),
    [
        (None, "03-04-2027", dt.date(2027, 4, 3), "read day first"),
        ("%m/%d/%Y", "04/03/2027", dt.date(2027, 4, 3), "read as MM/DD/YYYY (date_format %m/%d/%Y"),
    ],
)
def test_the_run_says_which_way_each_date_column_was_read(
    tmp_path: Path, date_format: str | None, cell: str, expected: dt.date, said: str
) -> None:
    column = {"column": "Vanaf", "field": "valid_from"} | ({"date_format": date_format} if date_format else {})
    layout = ImportLayout.model_validate({"columns": [{"column": "Groep", "field": "discount_group"},
                                                      {"column": "Netto", "field": "net_price"}, column],
                                          "key_columns": ["discount_group"]})
    settings = ImportSettings(import_name="c", target=ImportTarget.SALES_CONDITIONS, custom_layout=True,
                              layout=layout)
    path = tmp_path / "conditions.csv"
    path.write_text(f"Groep;Netto;Vanaf\nDG1;1.5;{cell}\n", encoding="utf-8")
    records, _, warnings = read_records(path, file_name=path.name, settings=settings)
    assert records[0].record.valid_from == expected  # type: ignore[attr-defined]
    (note,) = [w for w in warnings if "dates in column" in w.text]
    assert note.level is MessageLevel.INFO and note.column == "Vanaf" and said in note.text


def test_the_standard_layout_says_its_dates_are_read_day_first(tmp_path: Path) -> None:
    path = tmp_path / "conditions.csv"
    path.write_text("discount_group;net_price;valid_from\nDG1;1.5;03-04-2027\n", encoding="utf-8")
    records, _, warnings = read_records(path, file_name=path.name, target=ImportTarget.SALES_CONDITIONS)
    assert records[0].record.valid_from == dt.date(2027, 4, 3)  # type: ignore[attr-defined]
    assert any("dates in column 'valid_from' (valid_from): text dates are read day first" in w.text
               for w in warnings)
