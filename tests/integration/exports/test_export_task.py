"""Export tasks end to end on moto: the demo file imported, then exported in each format through the export
function, the published files opened with csv / json / openpyxl and checked value by value."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from pimtasks.domain.run import RunStatus
from pimtasks.wiring import task_service

from tests.integration.exports.harness import DEMO_DIR, ExportStack, demo_task

DAILY = {"every": "day", "time": "22:15", "timezone": "Europe/Amsterdam"}
CONDITION_COLUMNS = [{"field": "customer_group", "header": "Klantgroep"},
                     {"field": "discount_group", "header": "Kortingsgroep"},
                     {"field": "net_price", "header": "Nettoprijs"}, {"field": "discount_1", "header": "Korting 1"},
                     {"field": "valid_from", "header": "Geldig vanaf"}]
PRODUCTS_CSV = ("article_number;gross_price;description_nl;description_fr\r\n"
                "KR-100;1234,50;Kraan \u2013 chroom;Robinet \u2013 chromé\r\n"
                "KR-200;7,25;Sifon;Siphon café\r\n").encode()


def export_task(stack: ExportStack, description: str, **settings: Any) -> Any:
    return stack.create({"type": "export", "description": description, "frequency": DAILY,
                         "notification": {"emails": ["pim@example.com"], "when": "always"},
                         "settings": {"export_name": description, **settings}})


def import_demo_files(stack: ExportStack) -> None:
    conditions = stack.create(demo_task("Weekly import of sales conditions for APAC"))
    stack.put("Uploads/Sales conditions APAC/sales-conditions-apac.xlsx",
              (DEMO_DIR / "demo_files" / "sales-conditions-apac.xlsx").read_bytes())
    imported = stack.run(conditions)
    assert imported.counts.created == 24, imported.messages
    products = stack.create({"type": "import", "description": "Products", "frequency": DAILY,
                             "settings": {"import_name": "Products", "target": "products"}})
    stack.put("Uploads/Products/products.csv", PRODUCTS_CSV)
    assert stack.run(products).counts.created == 2


def published(run: Any) -> list[str]:
    return [file.key for file in run.files if file.role == "output"]


def test_sales_conditions_to_csv_with_decimal_comma_and_dates(stack: ExportStack) -> None:
    import_demo_files(stack)
    task = export_task(stack, "Conditions APAC", entity="sales_conditions", format="csv",
                       layout={"columns": CONDITION_COLUMNS, "decimal_comma": True, "date_format": "%d-%m-%Y"},
                       filter={"region": "APAC"}, csv={"bom": True}, file_name="{export}_{date:%Y%m%d}")
    run = stack.run(task)
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert (run.counts.selected, run.counts.written, run.counts.skipped) == (24, 24, 0)
    local_day = (run.started_at or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo("Europe/Amsterdam"))
    key = f"Downloads/Conditions APAC/Conditions APAC_{local_day:%Y%m%d}.csv"
    assert published(run) == [key]
    assert stack.keys("Temp/") == []
    raw = stack.read(key)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Klantgroep", "Kortingsgroep", "Nettoprijs", "Korting 1", "Geldig vanaf"]
    by_group = {row[1]: row for row in rows[1:]}
    assert len(by_group) == 24
    assert by_group["KG-101-00"] == ["Installateurs", "KG-101-00", "12,00", "5,5", "01-12-2026"]
    assert by_group["KG-102-01"][2:4] == ["15,07", "7,5"]
    report = next(m.text for m in run.messages if m.text.startswith("Published"))
    assert f"({len(raw):,} bytes" in report and key in report
    mail = [m for m in stack.sent_mail() if "Conditions APAC" in m.subject]
    assert "Counts:      selected 24, written 24, skipped 0" in mail[-1].body


def test_products_to_xlsx_and_json_keep_accents_dashes_and_exact_numbers(stack: ExportStack) -> None:
    import_demo_files(stack)
    layout = {"columns": [{"field": "article_number", "header": "Artikel"},
                          {"field": "descriptions", "header": "Omschrijving {language}"},
                          {"field": "gross_price", "header": "Brutoprijs"}], "languages": ["nl", "fr"]}
    xlsx = stack.run(export_task(stack, "Products Excel", layout=layout))
    assert xlsx.status is RunStatus.SUCCEEDED, xlsx.messages
    (key,) = published(xlsx)
    assert key.startswith("Downloads/Products Excel/Products Excel_") and key.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(stack.read(key))).active
    assert sorted(sheet.iter_rows(values_only=True)) == sorted([
        ("Artikel", "Omschrijving nl", "Omschrijving fr", "Brutoprijs"),
        ("KR-100", "Kraan \u2013 chroom", "Robinet \u2013 chromé", 1234.5), ("KR-200", "Sifon", "Siphon café", 7.25)])
    json_run = stack.run(export_task(stack, "Products JSON", format="json", layout=layout, json_style="ndjson"))
    (json_key,) = published(json_run)
    lines = [json.loads(line, parse_float=Decimal) for line in stack.read(json_key).decode("utf-8").splitlines()]
    assert {line["Artikel"]: line for line in lines}["KR-100"] == {
        "Artikel": "KR-100", "Omschrijving nl": "Kraan \u2013 chroom", "Omschrijving fr": "Robinet \u2013 chromé",
        "Brutoprijs": Decimal("1234.50")}


def test_a_second_only_changed_run_publishes_nothing_and_says_so(stack: ExportStack) -> None:
    import_demo_files(stack)
    task = export_task(stack, "Changed conditions", entity="sales_conditions", format="json", only_changed=True)
    first = stack.run(task)
    assert first.status is RunStatus.SUCCEEDED and first.counts.written == 24
    assert any("no successful run yet" in m.text for m in first.messages)
    second = stack.run(task)
    assert second.status is RunStatus.SUCCEEDED
    assert (second.counts.selected, second.counts.written) == (0, 0)
    assert published(second) == []
    assert any("nothing selected, so no file is published" in m.text for m in second.messages)
    assert len(stack.keys("Downloads/Changed conditions/")) == 1  # the first run's file only


def test_the_file_is_mailed_attached_and_a_large_one_as_a_link(stack: ExportStack,
                                                               monkeypatch: Any) -> None:
    import_demo_files(stack)
    task = export_task(stack, "Mailed products", format="csv", email_file_to=["buyer@example.com"],
                       columns=["article_number", "gross_price"])
    run = stack.run(task)
    (key,) = published(run)
    raw = [m for m in stack.sent_mail() if getattr(m, "raw_data", None)]
    assert len(raw) == 1 and "buyer@example.com" in raw[0].destinations
    message = email.message_from_string(raw[0].raw_data)
    (attachment,) = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_filename() == key.rsplit("/", 1)[1]
    assert attachment.get_payload(decode=True) == stack.read(key)
    assert any("as an attachment to buyer@example.com" in m.text for m in run.messages)

    monkeypatch.setattr("pimtasks.services.catalog_export.MAIL_ATTACHMENT_LIMIT", 10)
    linked = stack.run(task)
    mail = [m for m in stack.sent_mail() if "Export Mailed products" in getattr(m, "subject", "")]
    assert "too large to attach" in mail[-1].body and "Signature" in mail[-1].body
    assert "Mailed products" in mail[-1].body.split("Download links")[1]
    assert any("Mailed a download link" in m.text for m in linked.messages)


def test_etim_xchange_export_is_valid_against_the_official_schema(stack: ExportStack) -> None:
    from tests.unit.exports.test_export_writers import xchange_validator

    validator = xchange_validator()
    import_demo_files(stack)
    run = stack.run(export_task(stack, "Products xChange", format="etim_xchange",
                                xchange={"supplier_name": "Demo supplier", "languages": ["nl-NL", "fr-BE"]}))
    assert run.status is RunStatus.SUCCEEDED, run.messages
    (key,) = published(run)
    document = json.loads(stack.read(key))
    assert not [error.message for error in validator.iter_errors(document)]
    assert document["CatalogueType"] == "FULL"
    products = {p["TradeItem"][0]["ItemIdentification"]["SupplierItemNumber"]: p
                for p in document["Supplier"][0]["Product"]}
    assert products["KR-100"]["ProductDetails"]["ProductDescriptions"] == [
        {"DescriptionLanguage": "nl-NL", "MinimalProductDescription": "Kraan \u2013 chroom",
         "UniqueMainProductDescription": "Kraan \u2013 chroom"},
        {"DescriptionLanguage": "fr-BE", "MinimalProductDescription": "Robinet \u2013 chromé",
         "UniqueMainProductDescription": "Robinet \u2013 chromé"}]
    assert products["KR-100"]["TradeItem"][0]["Pricing"] == [{"PriceUnit": "C62", "PriceQuantity": "1",
                                                             "GrossListPrice": "1234.5"}]


def test_an_empty_selection_publishes_a_header_only_file_with_publish_empty(stack: ExportStack) -> None:
    import_demo_files(stack)
    run = stack.run(export_task(stack, "Nothing", entity="sales_conditions", format="xlsx",
                                filter={"region": "EMEA"}, publish_empty=True,
                                layout={"columns": CONDITION_COLUMNS}))
    assert run.status is RunStatus.SUCCEEDED and run.counts.selected == 0
    (key,) = published(run)
    sheet = openpyxl.load_workbook(io.BytesIO(stack.read(key))).active
    assert list(sheet.iter_rows(values_only=True)) == [tuple(c["header"] for c in CONDITION_COLUMNS)]
    assert any("match the filter {'region': 'EMEA'}" in m.text and "an empty file is published" in m.text
               for m in run.messages)


def test_a_long_export_continues_in_fresh_invocations_into_one_upload(stack: ExportStack,
                                                                      monkeypatch: Any) -> None:
    """Every part sent runs the invocation out of time: the run goes on from its checkpoint in a fresh invocation
    of the export function, into the same multipart upload, and the file equals a one-invocation export."""
    from pimtasks.settings import get_settings

    import_demo_files(stack)
    settings = {"entity": "sales_conditions", "format": "csv", "layout": {"columns": CONDITION_COLUMNS,
                                                                          "decimal_comma": True}}
    whole = stack.run(export_task(stack, "Whole", **settings))
    monkeypatch.setattr("pimtasks.services.catalog_export.SAFE_POINT_EVERY", 5)
    monkeypatch.setattr("pimtasks.services.catalog_export.PART_BYTES", 100)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1)
    monkeypatch.setenv("CONTINUATION_MARGIN_SECONDS", "100000")
    get_settings.cache_clear()
    continued = stack.run(export_task(stack, "Continued", **settings))
    assert continued.status is RunStatus.SUCCEEDED, continued.messages
    assert continued.invocations >= 4
    assert continued.counts.written == 24 and continued.counts.selected == 24
    assert stack.read(published(continued)[0]) == stack.read(published(whole)[0])
    assert stack.keys("Temp/") == []


def test_re_importing_three_changed_rows_gives_three_rows(stack: ExportStack) -> None:
    import_demo_files(stack)
    task = export_task(stack, "Delta conditions", entity="sales_conditions", format="csv", only_changed=True,
                       layout={"columns": CONDITION_COLUMNS, "decimal_comma": True})
    assert stack.run(task).counts.written == 24
    workbook = openpyxl.load_workbook(DEMO_DIR / "demo_files" / "sales-conditions-apac.xlsx")
    sheet = workbook.active
    for row in (2, 3, 4):  # three conditions get a new net price
        sheet.cell(row=row, column=5).value = "99,99"
    changed = io.BytesIO()
    workbook.save(changed)
    conditions = next(t for t in task_service().list(environment="000001")
                      if t.spec.description == "Weekly import of sales conditions for APAC")
    stack.put("Uploads/Sales conditions APAC/sales-conditions-apac.xlsx", changed.getvalue())
    reimported = stack.run(conditions)
    assert (reimported.counts.updated, reimported.counts.unchanged) == (3, 21), reimported.counts
    delta = stack.run(task)
    assert (delta.counts.selected, delta.counts.written) == (3, 3)
    rows = list(csv.reader(io.StringIO(stack.read(published(delta)[0]).decode("utf-8")), delimiter=";"))
    assert sorted(row[2] for row in rows[1:]) == ["99,99"] * 3
