"""The bad-input corpus (issue 3 §8): every item gets a clear message and a defined outcome.

Outcomes: the file fails as a whole (``ImportFileError``; nothing is imported from it) or single rows
are rejected (``RowError`` naming file, sheet, row, column and value) while the rest is imported.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pimtasks.domain.task_types import ColumnMapping, FileFormat, ImportLayout, ImportSettings, ImportTarget
from pimtasks.imports import (
    CorruptFileError,
    EmptyFileError,
    ImportFileError,
    LayoutMismatchError,
    PasswordProtectedError,
    UnsafeXmlError,
    UnsupportedFileError,
    read_records,
)
from pimtasks.imports.reading import open_source
from pimtasks.imports.reading.delimited import DelimitedTable

from tests.unit.imports.corpus import (
    encrypted_workbook_bytes,
    write_hidden_sheet_xlsx,
    write_utf8_products_with_stray_bytes,
)


def products(path: Path) -> tuple[list, list, list]:
    return read_records(path, file_name=path.name, target=ImportTarget.PRODUCTS)


def conditions(path: Path) -> tuple[list, list, list]:
    return read_records(path, file_name=path.name, target=ImportTarget.SALES_CONDITIONS)


def failure(path: Path, *, target: ImportTarget = ImportTarget.PRODUCTS, file_format=FileFormat.STANDARD):
    settings = ImportSettings(import_name="corpus", target=target, file_format=file_format)
    with pytest.raises(ImportFileError) as caught:
        read_records(path, file_name=path.name, settings=settings)
    assert caught.value.file == path.name, "every failure names the file"
    return caught.value


# --- files that fail as a whole --------------------------------------------------------------------


def test_empty_file_fails(fixtures_dir: Path) -> None:
    error = failure(fixtures_dir / "empty.csv")
    assert isinstance(error, EmptyFileError)
    assert "empty (0 bytes)" in error.message


@pytest.mark.parametrize("name", ["header_only.csv", "header_only.xlsx"])
def test_header_only_fails_saying_there_are_no_data_rows(fixtures_dir: Path, name: str) -> None:
    error = failure(fixtures_dir / name)
    assert isinstance(error, EmptyFileError)
    assert "header row but no data rows" in error.message
    assert error.row == 1


def test_corrupt_xlsx_fails(fixtures_dir: Path) -> None:
    error = failure(fixtures_dir / "corrupt.xlsx")
    assert isinstance(error, CorruptFileError)
    assert "damaged" in error.message


def test_password_protected_xlsx_fails_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "prices.xlsx"
    path.write_bytes(encrypted_workbook_bytes())
    error = failure(path)
    assert isinstance(error, PasswordProtectedError)
    assert "password-protected" in error.message


def test_merged_header_cells_that_make_a_header_ambiguous_fail(fixtures_dir: Path) -> None:
    error = failure(fixtures_dir / "merged_header.xlsx")
    assert isinstance(error, LayoutMismatchError)
    assert "'gross_price' appears in columns B, C (merged cell B1:C1)" in error.message
    assert (error.sheet, error.row) == ("Horizontal", 1)


def test_missing_required_column_fails_naming_it(fixtures_dir: Path) -> None:
    error = failure(fixtures_dir / "missing_columns.csv")
    assert isinstance(error, LayoutMismatchError)
    assert "column 'article_number' is missing" in error.message
    assert "'Artikel'" in error.message  # what the header does have
    assert error.column == "article_number"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("xml_external_entity.xml", "external entity 'secret' (file:///etc/passwd)"),
        ("xml_entity_expansion.xml", "declares entity 'lol'"),
    ],
)
def test_hostile_xml_fails_without_reading_or_expanding_anything(fixtures_dir: Path, name: str, expected: str) -> None:
    error = failure(fixtures_dir / name, file_format=FileFormat.BMECAT_ETIM)
    assert isinstance(error, UnsafeXmlError)
    assert expected in error.message
    assert "root:" not in error.message


def test_truncated_xml_fails_with_its_line(fixtures_dir: Path) -> None:
    error = failure(fixtures_dir / "xml_truncated.xml", file_format=FileFormat.BMECAT_ETIM)
    assert isinstance(error, CorruptFileError)
    assert "not well-formed at line 2" in error.message


def test_truncated_json_fails_before_any_row(fixtures_dir: Path) -> None:
    error = failure(fixtures_dir / "etim_xchange_truncated.json", file_format=FileFormat.ETIM_XCHANGE)
    assert isinstance(error, CorruptFileError)
    assert "JSON file is damaged" in error.message


def test_a_json_file_for_a_spreadsheet_import_fails(fixtures_dir: Path) -> None:
    error = failure(fixtures_dir / "etim_xchange.json")
    assert isinstance(error, UnsupportedFileError)
    assert "JSON file" in error.message and "expects a spreadsheet" in error.message


# --- files read despite surprises ------------------------------------------------------------------


def test_wrong_extension_is_read_by_content_with_a_warning(fixtures_dir: Path) -> None:
    records, rejected, warnings = products(fixtures_dir / "wrong_extension_really_csv.xls")
    assert [r.record.article_number for r in records] == ["WX-1"]
    assert not rejected
    assert "its content is a text file (CSV/TXT)" in warnings[0].text

    records, _, warnings = products(fixtures_dir / "wrong_extension_really_xlsx.csv")
    assert [r.record.article_number for r in records] == ["F-1", "F-2"]
    assert any("its content is an Excel workbook (XLSX)" in w.text for w in warnings)


def test_csv_with_bom(fixtures_dir: Path) -> None:
    records, rejected, _ = products(fixtures_dir / "bom_utf8.csv")
    assert not rejected
    assert records[0].record.article_number == "BOM-1"  # not "\ufeffarticle_number" in the header
    assert records[0].record.descriptions == {"nl": "Café lamp"}


def test_latin1_text_is_detected(fixtures_dir: Path) -> None:
    records, rejected, _ = products(fixtures_dir / "latin1.txt")
    assert not rejected
    assert records[0].record.descriptions["nl"] == "Café lamp üß"
    assert records[1].record.descriptions["nl"] == "Prijs € 12"  # 0x80 is cp1252's euro sign


def read_text_table(path: Path, *, layout: ImportLayout | None = None) -> tuple[DelimitedTable, list, dict]:
    """The table of a CSV, its rows and the rows it reports unreadable (the pipeline rejects those)."""
    with open_source(path, file_name=path.name, layout=layout) as source:
        (table,) = source.tables
        assert isinstance(table, DelimitedTable)
        rows = list(table.rows())
        return table, rows, table.unreadable_rows(rows)


STRAY_REASON = (
    "holds bytes that are not valid UTF-8 (shown as \ufffd), while the rest of the file is UTF-8; "
    "the row is not imported: correct those characters and import it again"
)


def test_utf8_with_a_few_stray_bytes_is_read_as_utf8_and_names_their_rows(fixtures_dir: Path) -> None:
    table, rows, unreadable = read_text_table(fixtures_dir / "utf8_stray_bytes.csv")

    assert (table.encoding, table.stray_bytes) == ("utf-8", 3)
    assert [row.values[2] for row in rows] == ["Acmé", "Acmé", "Acmé", "Acm\ufffd", "Acmé"]  # not "AcmÃ©"
    assert rows[4].values[1] == "Dimmer à 300 W"
    assert sorted(unreadable) == [4, 5]
    (description,) = unreadable[4].errors
    assert (description.file, description.sheet, description.row, description.column, description.value) == (
        "utf8_stray_bytes.csv",
        None,
        4,
        "description_nl",
        "Lamp \ufffd\ufffd kap",
    )
    assert description.reason == f"description_nl: 'Lamp \ufffd\ufffd kap' {STRAY_REASON}"
    (brand,) = unreadable[5].errors
    assert (brand.row, brand.column, brand.value) == (5, "brand", "Acm\ufffd")


def test_utf8_with_a_few_stray_bytes_rejects_only_their_rows(fixtures_dir: Path) -> None:
    records, rejected, _ = products(fixtures_dir / "utf8_stray_bytes.csv")

    assert [(r.record.article_number, r.record.brand) for r in records] == [
        ("UTF-1", "Acmé"),
        ("UTF-2", "Acmé"),
        ("UTF-5", "Acmé"),
    ]
    assert [(r.source.row, r.errors[0].column) for r in rejected] == [(4, "description_nl"), (5, "brand")]
    assert rejected[0].reason == f"description_nl: 'Lamp \ufffd\ufffd kap' {STRAY_REASON}"
    assert rejected[0].source.values == ["UTF-3", "Lamp \ufffd\ufffd kap", "Acmé", "12,00"]  # rejected-rows file


def test_a_big_utf8_file_with_one_stray_byte_pair_near_its_end(tmp_path: Path) -> None:
    path = write_utf8_products_with_stray_bytes(tmp_path / "products.csv", rows=30_010, stray_row=30_008)

    table, rows, unreadable = read_text_table(path)

    assert (table.encoding, table.stray_bytes) == ("utf-8", 2)
    assert len(rows) == 30_010
    assert {row.values[2] for row in rows} == {"Acmé"}
    assert list(unreadable) == [30_008]
    assert unreadable[30_008].errors[0].value == "Lamp 30008\ufffd\ufffd"


def test_a_stray_byte_far_into_a_long_cell_is_shown_in_the_value(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    head = "article_number;description_nl\r\nL-1;Café crème\r\nL-2;".encode()
    path.write_bytes(head + b"x" * 100 + b"\xff" + b"y" * 100)

    _, _, unreadable = read_text_table(path)

    value = unreadable[3].errors[0].value
    assert value is not None and len(value) == 60 and "x\ufffdy" in value and value.startswith("…")


def test_utf8_with_a_bom_is_read_as_utf8_whatever_its_stray_bytes(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfarticle_number;brand\r\nB-1;Acm\xe9\r\nB-2;Acme\r\n")

    table, rows, unreadable = read_text_table(path)

    assert (table.encoding, table.header[0]) == ("utf-8-sig", "article_number")
    assert [row.values[1] for row in rows] == ["Acm\ufffd", "Acme"]
    assert list(unreadable) == [2]


def test_cp1252_with_an_accidental_utf8_sequence_is_still_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.csv"
    # "Ã©" (C3 A9) happens to be valid UTF-8; the three lone é (E9) around it are not.
    path.write_bytes("article_number;brand\r\nC-1;Café\r\nC-2;Ã© Gérard\r\nC-3;Zoé\r\n".encode("cp1252"))

    table, rows, unreadable = read_text_table(path)

    assert (table.encoding, table.stray_bytes) == ("cp1252", 0)
    assert [row.values[1] for row in rows] == ["Café", "Ã© Gérard", "Zoé"]
    assert not unreadable


def test_a_layout_saying_utf8_for_a_cp1252_file_fails_the_file(fixtures_dir: Path) -> None:
    layout = ImportLayout(
        encoding="utf-8",
        columns=[ColumnMapping(column="article_number", field="article_number")],
        key_columns=["article_number"],
    )
    settings = ImportSettings(import_name="corpus", target=ImportTarget.PRODUCTS, custom_layout=True, layout=layout)
    with pytest.raises(CorruptFileError) as caught:
        read_records(fixtures_dir / "latin1.txt", file_name="latin1.txt", settings=settings)
    assert "the file is not valid utf-8-sig text" in caught.value.message
    assert "set the right encoding in the layout" in caught.value.message


def test_stray_bytes_in_the_header_fail_the_file(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b"article_number;descripti\xffn_nl\r\n" + "H-1;Café\r\nH-2;Gérard\r\n".encode())

    error = failure(path)

    assert isinstance(error, CorruptFileError)
    assert error.message.startswith("the header row (row 1) holds bytes that are not valid UTF-8")
    assert (error.row, error.column, error.value) == (1, "B", "descripti\ufffdn_nl")


@pytest.mark.parametrize(("name", "description"), [("semicolon.csv", "Buis; 20 mm"), ("comma.csv", "Buis 20 mm")])
def test_semicolon_and_comma_delimiters_are_sniffed(fixtures_dir: Path, name: str, description: str) -> None:
    records, rejected, _ = products(fixtures_dir / name)
    assert not rejected
    prices = [str(r.record.gross_price) for r in records]
    assert prices == ["12.50", "1234.56"]
    assert records[1].record.descriptions["nl"] == description


def test_dutch_decimal_comma_and_a_bad_number(fixtures_dir: Path) -> None:
    records, rejected, _ = products(fixtures_dir / "dutch_decimal.csv")
    assert [str(r.record.gross_price) for r in records] == ["1234.56", "0.5", "12.50"]
    assert str(records[1].record.minimum_order_quantity) == "2.5"
    (row,) = rejected
    (error,) = row.errors
    assert (error.file, error.sheet, error.row, error.column, error.value) == (
        "dutch_decimal.csv",
        None,
        5,
        "gross_price",
        "12,5x",
    )
    assert error.reason == "gross_price: '12,5x' is not a number (expected e.g. 1234.56, 1,234.56 or 1.234,56)"


def test_dates_as_serials_and_as_text_in_csv(fixtures_dir: Path) -> None:
    records, rejected, _ = conditions(fixtures_dir / "dates.csv")
    assert [(str(r.record.valid_from), str(r.record.valid_until)) for r in records] == [
        ("2024-01-01", "2024-12-31"),
        ("2024-01-31", "2024-12-31"),
        ("2024-01-01", "2024-12-31"),  # 45292 is Excel's 2024-01-01
    ]
    reasons = {row.source.row: row.reason for row in rejected}
    assert reasons[5] == "valid_from: '2024-02-30' is not a valid date (day is out of range for month)"
    assert reasons[6].startswith("valid_from: 'next monday' is not a date (expected YYYY-MM-DD or DD-MM-YYYY")


def test_dates_as_date_cells_serial_numbers_and_text_in_xlsx(fixtures_dir: Path) -> None:
    records, rejected, _ = conditions(fixtures_dir / "dates.xlsx")
    assert not rejected
    assert [(str(r.record.valid_from), str(r.record.valid_until)) for r in records] == [
        ("2024-01-01", "2024-12-31"),
        ("2024-02-01", "2024-12-31"),
        ("2024-03-01", "2024-12-31"),
    ]


def test_formulas_are_read_as_their_calculated_values(fixtures_dir: Path) -> None:
    records, rejected, warnings = products(fixtures_dir / "formulas.xlsx")
    assert not rejected
    assert [(str(r.record.gross_price), r.record.descriptions["nl"]) for r in records] == [
        ("12.1", "Item F-1"),
        ("10", "LAMP"),
    ]
    assert "'base_price'" in warnings[0].text


def test_hidden_sheets_are_skipped_in_ods(fixtures_dir: Path) -> None:
    records, _, _ = products(fixtures_dir / "hidden_sheet.ods")
    assert [r.record.article_number for r in records] == ["LO-1001", "LO-1002"]
    assert {r.sheet for r in records} == {"Prices"}


def test_hidden_and_very_hidden_sheets_are_skipped_in_xlsx(tmp_path: Path) -> None:
    records, _, _ = products(write_hidden_sheet_xlsx(tmp_path / "hidden.xlsx"))
    assert [(r.sheet, r.record.article_number) for r in records] == [("Prices", "NEW-1")]


def test_xls_and_ods_written_by_libreoffice(fixtures_dir: Path) -> None:
    for name in ("conditions.xls", "conditions.ods"):
        records, rejected, _ = conditions(fixtures_dir / name)
        assert not rejected, name
        assert [(r.record.discount_group, r.record.net_price, r.record.discount_1) for r in records] == [
            ("DG10", None, Decimal("12.5")),
            ("DG20", Decimal("1234.56"), None),
        ], name
        assert records[0].sheet == "Conditions"


def test_sheet_formatted_down_to_the_last_row_gives_its_two_products(formatted_empty_rows_xlsx: Path) -> None:
    # its speed is measured by `python -m benchmarks.bench_import_reading` (formatted_rate_ratio), not asserted here
    records, rejected, _ = products(formatted_empty_rows_xlsx)
    assert [r.record.article_number for r in records] == ["FMT-1", "FMT-2"]
    assert not rejected


def test_duplicate_keys_reject_the_later_row_naming_the_first(fixtures_dir: Path) -> None:
    records, rejected, _ = products(fixtures_dir / "duplicate_keys.csv")
    assert [r.record.article_number for r in records] == ["DUP-1", "DUP-2", "dup-3"]
    assert [(r.source.row, r.reason) for r in rejected] == [
        (4, "duplicate key article_number='DUP-1': first used in row 2; this row is not imported"),
        (6, "duplicate key article_number='DUP-2': first used in row 3; this row is not imported"),
    ]
    assert rejected[0].errors[0].column == "article_number"
    assert rejected[0].errors[0].value == "DUP-1"


def test_over_long_values_are_rejected_per_row(fixtures_dir: Path) -> None:
    records, rejected, _ = products(fixtures_dir / "over_long.csv")
    assert [r.record.article_number for r in records] == ["OK-1"]
    first, second = (row.errors[0] for row in rejected)
    assert (first.row, first.column) == (3, "article_number")
    assert first.reason == f"article_number: '{'X' * 40}' is too long (40 characters, at most 35)"
    assert (second.row, second.column) == (4, "description_nl")
    assert "is too long (299 characters, at most 256)" in second.reason


def test_unknown_columns_are_ignored_with_one_warning(fixtures_dir: Path) -> None:
    records, rejected, warnings = products(fixtures_dir / "unknown_columns.csv")
    assert len(records) == 1 and not rejected
    (warning,) = warnings
    assert warning.text == "columns ignored, they are not catalog fields: 'colour', 'Remarks'"
    assert warning.file == "unknown_columns.csv"


# --- standard formats ------------------------------------------------------------------------------


def test_bmecat_2005_with_etim(fixtures_dir: Path) -> None:
    settings = ImportSettings(import_name="bmecat", file_format=FileFormat.BMECAT_ETIM)
    records, rejected, _ = read_records(
        fixtures_dir / "bmecat_etim.xml", file_name="bmecat_etim.xml", settings=settings
    )
    (record,) = (r.record for r in records)
    assert record.article_number == "BME-100"
    assert record.etim_class == "EC000057" and record.etim_release == "9.0"
    assert [(f.code, f.value, f.unit) for f in record.features] == [
        ("EF000008", "2.5", "EU570448"),
        ("EF000007", "EV000080", None),
        ("EF001234", "5..40", "EU570126"),
    ]
    assert str(record.gross_price) == "98.50"  # gros_list preferred over net_customer
    assert record.descriptions == {"nl": "Installatiekabel 3x2,5 mm²", "en": "Installation cable 3x2.5 mm²"}
    assert record.supplier_gln == "8712345000004"
    (bad,) = rejected
    assert bad.errors[0].row == 2
    assert bad.errors[0].reason == "gtin: '8712345678905': wrong check digit (the last digit should be 6)"


def test_bmecat_1_2_article_names(fixtures_dir: Path) -> None:
    settings = ImportSettings(import_name="bmecat", file_format=FileFormat.BMECAT_ETIM)
    records, _, _ = read_records(fixtures_dir / "bmecat_1_2_articles.xml", file_name="a.xml", settings=settings)
    (record,) = (r.record for r in records)
    assert (record.article_number, record.descriptions, str(record.gross_price)) == (
        "ART-1",
        {"de": "Schalter weiß"},
        "4.20",
    )


def test_etim_xchange_one_row_per_trade_item(fixtures_dir: Path) -> None:
    settings = ImportSettings(import_name="xchange", file_format=FileFormat.ETIM_XCHANGE)
    records, rejected, _ = read_records(fixtures_dir / "etim_xchange.json", file_name="x.json", settings=settings)
    assert [r.record.article_number for r in records] == ["XC-100", "XC-100-R500"]
    first = records[0].record
    assert first.manufacturer_product_number == "XMVK-325"
    assert first.features[2].value == "5..40" and first.features[3].value == "true"
    assert (str(first.gross_price), str(first.price_unit), first.order_unit) == ("98.50", "100", "MTR")
    assert first.descriptions == {"nl-NL": "Installatiekabel 3x2,5 mm²", "en-GB": "Cable 3x2.5"}
    assert str(records[1].record.gross_price) == "412.75"
    (bad,) = rejected
    assert bad.source.row == 3 and "wrong check digit" in bad.reason
