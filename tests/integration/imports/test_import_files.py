"""Import runs end to end on moto: a custom-layout workbook into the catalog, idempotence, bad rows,
files that fail as a whole, archive or delete."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from pimtasks.catalog.models import SalesCondition, TermsType
from pimtasks.domain.run import MAX_MESSAGES_STORED, MessageLevel, RunStatus
from pimtasks.domain.task_types import ImportTarget

from tests.integration.imports.harness import (
    CONDITIONS_IMPORT,
    ENV,
    SUPPLIER,
    Imports,
    condition_rows,
    conditions_xlsx,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


def test_a_custom_layout_workbook_of_sales_conditions_is_imported(imports: Imports) -> None:
    # given an import task with a custom layout and a supplier's workbook waiting in Uploads
    task = imports.create_task()
    imports.upload("APAC conditions 2027.xlsx", conditions_xlsx(condition_rows(12)))

    # when it runs
    run = imports.run(task, batch_size=5)

    # then every row is in the catalog, converted by the layout
    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert run.counts.model_dump() == {"read": 12, "created": 12, "updated": 0, "unchanged": 0, "rejected": 0}
    stored = {tuple(r.key): SalesCondition.model_validate(r.data) for r in imports.records()}
    assert len(stored) == 12
    by_article = {c.article_number: c for c in stored.values() if c.article_number}
    first = by_article["ART-0000"]
    assert first.supplier_gln == SUPPLIER and first.customer_group == "INST" and first.region == "APAC"
    assert first.net_price == Decimal("1.25") and first.valid_from == dt.date(2027, 1, 1)
    assert first.quantity_lower_limit == Decimal(10) and first.terms_type is TermsType.BASIC
    action = by_article["ART-0002"]
    assert action.discount_1 == Decimal("12.5") and action.net_price is None and action.terms_type is TermsType.ACTION
    assert action.region == "APAC" and action.valid_until == dt.date(2027, 12, 31)

    # and the file moved to Archived/<import>/<yyyy>/<mm>/<run_id>/, with a report
    assert imports.keys("Uploads/") == []
    archived = f"Archived/Sales conditions APAC/2026/11/{run.run_id}/APAC conditions 2027.xlsx"
    assert imports.keys("Archived/") == [archived]
    report = imports.read(f"Reports/Sales conditions APAC/{run.run_id}/APAC conditions 2027.xlsx.report.txt").decode()
    assert "Outcome:     imported" in report and "read 12, created 12" in report
    assert {(f.role, f.key) for f in run.files} >= {
        ("input", "Uploads/Sales conditions APAC/APAC conditions 2027.xlsx"), ("archived", archived)}


def test_the_same_file_imported_again_changes_nothing(imports: Imports) -> None:
    task = imports.create_task()
    workbook = conditions_xlsx(condition_rows(12))
    imports.upload("conditions.xlsx", workbook)
    imports.run(task, batch_size=5)
    before = {tuple(r.key): (r.content_hash, r.changed_at) for r in imports.records()}

    imports.upload("conditions.xlsx", workbook)
    again = imports.run(task, batch_size=5)

    assert again.status is RunStatus.SUCCEEDED
    assert again.counts.model_dump() == {"read": 12, "created": 0, "updated": 0, "unchanged": 12, "rejected": 0}
    assert {tuple(r.key): (r.content_hash, r.changed_at) for r in imports.records()} == before


def test_a_changed_price_is_an_update_and_an_empty_cell_keeps_the_stored_value(imports: Imports) -> None:
    task = imports.create_task()
    rows = condition_rows(3)
    imports.upload("conditions.xlsx", conditions_xlsx(rows))
    imports.run(task)

    rows[0][5] = "99,99"    # a new net price
    rows[1][9] = ""         # Soort left empty: keep (the layout's empty_cell)
    imports.upload("conditions.xlsx", conditions_xlsx(rows))
    run = imports.run(task)

    assert run.counts.model_dump() == {"read": 3, "created": 0, "updated": 1, "unchanged": 2, "rejected": 0}
    prices = {r.data.get("article_number"): r.data for r in imports.records()}
    assert prices["ART-0000"]["net_price"] == "99.99"
    assert prices["ART-0001"]["terms_type"] == "basic"


def test_bad_rows_are_rejected_with_where_and_why_and_the_rest_is_imported(imports: Imports) -> None:
    task = imports.create_task()
    rows = condition_rows(6)
    rows[1][0] = SUPPLIER[:-1] + str((int(SUPPLIER[-1]) + 1) % 10)   # wrong check digit, row 5
    rows[3][5] = "12,5x"                                             # not a number, row 7
    rows[4][8] = "01-06-2026"                                        # valid until before valid from, row 8
    imports.upload("bad rows.xlsx", conditions_xlsx(rows))

    run = imports.run(task, batch_size=2)

    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert run.counts.model_dump() == {"read": 6, "created": 3, "updated": 0, "unchanged": 0, "rejected": 3}
    errors = [m for m in run.messages if m.level is MessageLevel.ERROR]
    assert {(m.file, m.sheet, m.row) for m in errors} == {("bad rows.xlsx", "Conditions APAC", 5),
                                                          ("bad rows.xlsx", "Conditions APAC", 7),
                                                          ("bad rows.xlsx", "Conditions APAC", 8)}
    price = next(m for m in errors if m.row == 7)
    assert price.column == "Nettoprijs" and price.value == "12,5x" and "net_price" in price.text
    assert next(m for m in errors if m.row == 5).column == "Leverancier GLN"
    period = next(m for m in errors if m.row == 8)  # a rule across fields points at the field to correct
    assert (period.column, period.value) == ("Geldig tot", "2026-06-01")
    assert period.text.startswith("valid_until 2026-06-01 is before valid_from")

    rejected_key = f"Reports/Sales conditions APAC/{run.run_id}/bad rows.xlsx.rejected.csv"
    assert ("rejected_rows", rejected_key) in {(f.role, f.key) for f in run.files}
    lines = imports.read(rejected_key).decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["file", "sheet", "row", "Leverancier GLN"]
    assert lines[0].endswith(";error")
    assert [line.split(";")[2] for line in lines[1:]] == ["5", "7", "8"]
    assert "12,5x" in lines[2] and "net_price" in lines[2].split(";")[-1]
    assert len(imports.records()) == 3
    assert imports.keys("Archived/")  # a partially imported file is still imported: it is archived


def test_a_file_whose_every_row_is_rejected_fails_as_a_whole(imports: Imports) -> None:
    task = imports.create_task()
    rows = condition_rows(3)
    for row in rows:
        row[5] = "n/a"  # no row has a usable net price
    imports.upload("all bad.xlsx", conditions_xlsx(rows))

    run = imports.run(task)

    assert run.status is RunStatus.FAILED
    assert run.counts.model_dump() == {"read": 3, "created": 0, "updated": 0, "unchanged": 0, "rejected": 3}
    assert any(m.text == "every row was rejected (3); nothing was imported; the reasons are in the rejected-rows "
               "file" for m in run.messages)
    failed = f"Failed/Sales conditions APAC/{run.run_id}/all bad.xlsx"
    assert imports.keys("Failed/") == [failed, f"{failed}.report.txt"]
    assert "failed as a whole, the catalog is unchanged" in imports.read(f"{failed}.report.txt").decode()
    rejected = imports.read(f"Reports/Sales conditions APAC/{run.run_id}/all bad.xlsx.rejected.csv")
    assert len(rejected.decode("utf-8-sig").splitlines()) == 4
    assert imports.keys("Uploads/") == [] and imports.keys("Archived/") == []
    assert imports.records() == []


def test_many_bad_rows_do_not_push_the_file_summary_out_of_the_run(imports: Imports) -> None:
    task = imports.create_task()
    rows = condition_rows(MAX_MESSAGES_STORED + 11)
    for row in rows[1:]:
        row[5] = "n/a"
    imports.upload("mostly bad.xlsx", conditions_xlsx(rows))

    run = imports.run(task)

    assert run.counts.rejected == MAX_MESSAGES_STORED + 10
    assert run.messages_truncated == 12  # 10 rejections, and the two notes on how the date columns are read
    assert run.messages[-1].text.startswith("Imported mostly bad.xlsx: read 211, created 1,")


def test_a_corrupt_file_goes_to_failed_with_its_report_and_leaves_the_catalog_untouched(imports: Imports) -> None:
    task = imports.create_task(custom_layout=False, layout=None)
    imports.upload("corrupt.xlsx", (FIXTURES / "corrupt.xlsx").read_bytes())

    run = imports.run(task)

    assert run.status is RunStatus.FAILED
    assert "failed as a whole" in (run.error or "")
    failure = next(m for m in run.messages if m.level is MessageLevel.ERROR and m.file == "corrupt.xlsx")
    assert "damaged" in failure.text
    assert imports.keys("Uploads/") == []
    assert imports.keys("Failed/") == [f"Failed/Sales conditions APAC/{run.run_id}/corrupt.xlsx",
                                       f"Failed/Sales conditions APAC/{run.run_id}/corrupt.xlsx.report.txt"]
    report = imports.read(f"Failed/Sales conditions APAC/{run.run_id}/corrupt.xlsx.report.txt").decode()
    assert "catalog is unchanged" in report
    assert imports.records() == []


def test_a_file_that_breaks_deep_down_fails_before_any_row_is_written(imports: Imports) -> None:
    # given a CSV whose bytes stop being UTF-8 far beyond the first batches (and beyond the sniffed sample)
    layout = {"encoding": "utf-8", "delimiter": ";", "key_columns": ["article_number"],
              "columns": [{"column": "article_number", "field": "article_number"},
                          {"column": "gross_price", "field": "gross_price", "decimal_separator": "comma"}]}
    task = imports.create_task(target="products", layout=layout)
    lines = [b"article_number;gross_price"] + [f"P-{i:05d};{i},50;padding {'x' * 80}".encode() for i in range(900)]
    lines[850] = b"P-bad;1,00;\xff\xfe broken"
    imports.upload("late damage.csv", b"\r\n".join(lines) + b"\r\n")

    run = imports.run(task, batch_size=50)

    assert run.status is RunStatus.FAILED
    failure = next(m for m in run.messages if m.level is MessageLevel.ERROR and m.file == "late damage.csv")
    assert "not valid utf-8" in failure.text and failure.row is not None
    assert run.counts.created == 0 and imports.records(ImportTarget.PRODUCTS) == []
    assert [key.rsplit("/", 1)[-1] for key in imports.keys("Failed/")] == ["late damage.csv",
                                                                         "late damage.csv.report.txt"]


def test_without_archiving_an_imported_file_is_deleted(imports: Imports) -> None:
    task = imports.create_task(archived=False)
    imports.upload("conditions.xlsx", conditions_xlsx(condition_rows(2)))

    run = imports.run(task)

    assert run.status is RunStatus.SUCCEEDED
    assert imports.keys("Uploads/") == [] and imports.keys("Archived/") == []
    assert [f.role for f in run.files] == ["input", "report"]


def test_every_waiting_file_is_imported_oldest_first_and_files_still_arriving_wait(imports: Imports) -> None:
    # given files uploaded at different times, two with a temporary name, two empty ones and one in a subfolder
    task = imports.create_task()
    now = imports.core.clock.now()
    imports.upload("b-first.xlsx", conditions_xlsx(condition_rows(2)), modified_at=now - dt.timedelta(hours=2))
    imports.upload("a-second.xlsx", conditions_xlsx(condition_rows(3)), modified_at=now - dt.timedelta(hours=1))
    imports.upload("c-left-behind.xlsx.part", b"half a file", modified_at=now - dt.timedelta(hours=3))
    imports.upload("g-renaming.xlsx.part", b"a file", modified_at=now - dt.timedelta(minutes=1))
    imports.upload("d-just-created.csv", b"", modified_at=now - dt.timedelta(seconds=10))
    imports.upload("e-empty.csv", b"", modified_at=now - dt.timedelta(minutes=5))
    imports.upload("sub/f-nested.xlsx", conditions_xlsx(condition_rows(1)), modified_at=now - dt.timedelta(minutes=30))

    run = imports.run(task)

    # then the real files are imported oldest first; the temporary name left behind for hours, the old empty
    # file and the file in a subfolder fail, each saying why; the file still being renamed and the file just
    # created wait, and the run says so
    inputs = [f.key.rsplit("/", 1)[-1] for f in run.files if f.role == "input"]
    assert inputs == ["c-left-behind.xlsx.part", "b-first.xlsx", "a-second.xlsx", "f-nested.xlsx", "e-empty.csv"]
    assert run.status is RunStatus.PARTIALLY_SUCCEEDED
    assert run.counts.read == 5 and run.counts.created == 3 and run.counts.unchanged == 2
    errors = {m.file: m.text for m in run.messages if m.level is MessageLevel.ERROR and m.file}
    assert errors["c-left-behind.xlsx.part"].startswith("left under a temporary name and never renamed")
    assert errors["e-empty.csv"] == "empty file (0 bytes): there is nothing to import"
    assert errors["f-nested.xlsx"].startswith(f"delivered into the subfolder Uploads/{CONDITIONS_IMPORT}/sub/")
    assert any("Left for later" in m.text and "g-renaming.xlsx.part" in m.text for m in run.messages)
    assert imports.keys("Uploads/") == [f"Uploads/{CONDITIONS_IMPORT}/d-just-created.csv",
                                        f"Uploads/{CONDITIONS_IMPORT}/g-renaming.xlsx.part"]
    failed = imports.keys("Failed/")
    for name in ("c-left-behind.xlsx.part", "e-empty.csv", "f-nested.xlsx"):
        assert f"Failed/{CONDITIONS_IMPORT}/{run.run_id}/{name}" in failed


def test_a_run_without_waiting_files_succeeds_and_says_so(imports: Imports) -> None:
    task = imports.create_task()
    run = imports.run(task)
    assert run.status is RunStatus.SUCCEEDED
    assert any("No files waiting" in m.text for m in run.messages)
    assert run.environment == ENV
