"""The format writers on local files: exact values back through csv, json, openpyxl and the xChange schema."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pimtasks.domain.task_types import ExportSettings
from pimtasks.exports.columns import export_columns, row_values
from pimtasks.exports.formats import EXTENSIONS, open_writer
from pimtasks.exports.writers import ExportRow
from pimtasks.exports.xlsx_writer import XlsxExportWriter

SPEC_DIR = Path("/work/shared/specs/etim-xchange")
LAYOUT = {"columns": [{"field": "article_number", "header": "Artikel"},
                      {"field": "descriptions", "header": "Omschrijving {language}"},
                      {"field": "gross_price", "header": "Prijs"}],
          "languages": ["nl"], "decimal_comma": True, "date_format": "%d-%m-%Y"}
CONDITIONS_LAYOUT = {"columns": [{"field": "customer_group", "header": "Klantgroep"},
                                 {"field": "net_price", "header": "Nettoprijs"},
                                 {"field": "valid_from", "header": "Geldig van"}],
                     "decimal_comma": True, "date_format": "%d-%m-%Y"}
PRODUCTS = [{"article_number": "A-1", "descriptions": {"nl": "Kraan \u2013 chroom, café"}, "gross_price": "1234.50"},
            {"article_number": "A-2", "descriptions": {}, "gross_price": None}]


def export(tmp_path: Path, records: list[dict[str, Any]], **values: Any) -> tuple[list[Path], Any]:
    settings = ExportSettings.model_validate({"export_name": "E", **values})
    columns = export_columns(settings)
    writer = open_writer(settings, columns=columns, directory=tmp_path, full=True,
                         file_name=f"out.{EXTENSIONS[settings.format]}", today=dt.date(2026, 12, 2))
    for record in records:
        writer.write(ExportRow(key=(record.get("article_number", "?"),), data=record,
                               values=row_values(record, columns)))
    return [written.path for written in writer.finish()], writer.output


def test_csv_with_decimal_comma_dates_and_utf8_bom(tmp_path: Path) -> None:
    (path,), _ = export(tmp_path, [{"customer_group": "INST", "net_price": "12.50", "valid_from": "2027-01-31"}],
                        entity="sales_conditions", format="csv", layout=CONDITIONS_LAYOUT, csv={"bom": True})
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == "Klantgroep;Nettoprijs;Geldig van\r\nINST;12,50;31-01-2027\r\n"


def test_csv_quoting_and_an_encoding_that_cannot_hold_a_character(tmp_path: Path) -> None:
    records = [{"article_number": "A;1", "descriptions": {"nl": "Kraan \u2013 ☃"}, "gross_price": "5"}]
    (path,), output = export(tmp_path, records, format="csv", layout=LAYOUT,
                             csv={"encoding": "cp1252", "quoting": "all", "delimiter": ","})
    rows = list(csv.reader(path.open(encoding="cp1252", newline="")))
    assert rows == [["Artikel", "Omschrijving nl", "Prijs"], ["A;1", "Kraan \u2013 ?", "5"]]
    assert path.read_text(encoding="cp1252").splitlines()[1] == '"A;1","Kraan \u2013 ?","5"'
    assert [(w.record, w.field) for w in output.warnings] == [("A;1", "descriptions.nl")]


def test_json_array_and_ndjson_keep_decimals_exact(tmp_path: Path) -> None:
    (path,), _ = export(tmp_path, PRODUCTS, format="json", layout=LAYOUT)
    document = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    assert document == [{"Artikel": "A-1", "Omschrijving nl": "Kraan \u2013 chroom, café", "Prijs": Decimal("1234.50")},
                        {"Artikel": "A-2", "Omschrijving nl": None, "Prijs": None}]
    assert '"Prijs": 1234.50' in path.read_text(encoding="utf-8")
    (tmp_path / "nd").mkdir()
    (lines,), _ = export(tmp_path / "nd", PRODUCTS, format="json", layout=LAYOUT, json_style="ndjson")
    assert [json.loads(line)["Artikel"] for line in lines.read_text(encoding="utf-8").splitlines()] == ["A-1", "A-2"]


def test_an_empty_json_array_is_valid(tmp_path: Path) -> None:
    (path,), _ = export(tmp_path, [], format="json")
    assert json.loads(path.read_text(encoding="utf-8")) == []


def test_xlsx_numbers_dates_and_text(tmp_path: Path) -> None:
    (path,), _ = export(tmp_path, [{"customer_group": "INST", "net_price": "12.50", "valid_from": "2027-01-31"}],
                        entity="sales_conditions", format="xlsx", layout=CONDITIONS_LAYOUT)
    sheet = openpyxl.load_workbook(path).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Klantgroep", "Nettoprijs", "Geldig van"], ["INST", 12.5, dt.datetime(2027, 1, 31)]]
    assert sheet["C2"].number_format == "dd\\-mm\\-yyyy" or sheet["C2"].number_format == "dd-mm-yyyy"


def test_xlsx_text_over_the_cell_limit_is_cut_and_warned_and_the_file_opens(tmp_path: Path) -> None:
    long_text = "é" * 40_000
    records = [{"article_number": "A-1", "custom_fields": {"notes": long_text + "\x07"}}]
    (path,), output = export(tmp_path, records, format="xlsx",
                             layout={"columns": [{"field": "article_number"}, {"field": "custom_fields.notes"}]})
    cell = openpyxl.load_workbook(path).active["B2"].value
    assert cell == "é" * 32_767
    assert [(w.record, w.field) for w in output.warnings] == [("A-1", "custom_fields.notes")] * 2
    assert "40000 characters was cut" in output.warnings[1].text


def test_xlsx_splits_into_numbered_parts_at_the_row_limit(tmp_path: Path) -> None:
    settings = ExportSettings.model_validate({"export_name": "E", "columns": ["article_number"]})
    columns = export_columns(settings)
    writer = XlsxExportWriter(directory=tmp_path, name="Products.xlsx", columns=columns, date_format="%Y-%m-%d",
                              header=True, max_rows=3)
    for number in range(5):
        writer.write(ExportRow(key=(str(number),), data={}, values=[f"A-{number}"]))
    files = writer.finish()
    assert [f.name for f in files] == ["Products.xlsx", "Products_part2.xlsx", "Products_part3.xlsx"]
    sheets = [[row[0] for row in openpyxl.load_workbook(f.path).active.iter_rows(values_only=True)] for f in files]
    assert sheets == [["article_number", "A-0", "A-1"], ["article_number", "A-2", "A-3"], ["article_number", "A-4"]]


def xchange_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schemas = sorted(SPEC_DIR.glob("*Schema*2.0*.json"))
    if not schemas:
        pytest.skip(f"the official ETIM xChange 2.0 schema is not in {SPEC_DIR}")
    schema = json.loads(schemas[0].read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_etim_xchange_is_valid_against_the_official_schema(tmp_path: Path) -> None:
    validator = xchange_validator()
    records = [
        {"article_number": "A-1", "gtin": "8711234567890", "brand": "Acme", "manufacturer_gln": "8712345000004",
         "descriptions": {"nl": "Kraan \u2013 chroom, café " + "x" * 100, "en": "Tap"}, "status": "active",
         "etim_class": "EC000042", "etim_release": "ETIM-9.0",
         "features": [{"code": "EF000007", "value": "EV000080"},
                      {"code": "EF000008", "value": "12.5", "unit": "EU570448"}, {"code": "EF000009", "value": "true"},
                      {"code": "EF000010", "value": "1..3.5"},
                      {"code": "EF000011", "value": "free text"}],
         "gross_price": "1234.5000", "price_unit": "100", "order_unit": "MTR", "discount_group": "DG1",
         "minimum_order_quantity": "5"},
        {"article_number": "A-2", "order_unit": "XYZ", "etim_class": "EC000042", "etim_release": "ETIM-8"},
    ]
    (path,), output = export(tmp_path, records, format="etim_xchange",
                             xchange={"supplier_name": "Demo supplier", "supplier_gln": "8712345000004",
                                      "languages": ["nl-NL", "en-GB"]})
    document = json.loads(path.read_text(encoding="utf-8"))
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    product = document["Supplier"][0]["Product"][0]
    assert product["ProductDetails"]["ProductDescriptions"][0]["DescriptionLanguage"] == "nl-NL"
    assert product["ProductDetails"]["ProductDescriptions"][0]["MinimalProductDescription"].startswith(
        "Kraan \u2013 chroom, café")
    assert product["TradeItem"][0]["Pricing"][0] == {"PriceUnit": "MTR", "PriceQuantity": "100",
                                                     "GrossListPrice": "1234.5"}
    assert {(w.record, w.field) for w in output.warnings} == {
        ("A-1", "features.EF000011"), ("A-2", "order_unit"), ("A-2", "etim_release")}


def test_the_official_sample_passes_the_validator_used_here() -> None:
    """The validator itself is sound: the sample that ships with the schema passes, a broken copy fails."""
    validator = xchange_validator()
    sample = json.loads(next(SPEC_DIR.glob("*SampleFile*2.0*.json")).read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(sample))
    del sample["Supplier"][0]["Product"][0]["ProductIdentification"]["ManufacturerName"]
    assert list(validator.iter_errors(sample))
