"""Batches, continuation from a checkpoint, stream input and the rejected-rows file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pimtasks.domain.task_types import ImportSettings, ImportTarget
from pimtasks.imports import RejectedRowsWriter, ResumePoint, read_import

SETTINGS = ImportSettings(import_name="prices", target=ImportTarget.PRODUCTS)


def write_prices(path: Path, rows: int) -> Path:
    lines = ["article_number;gross_price"]
    lines += [f"P-{n};{'bad' if n % 10 == 0 else n}" for n in range(1, rows + 1)]
    lines.append("P-1;1")  # a duplicate of the first data row
    path.write_text("\n".join(lines) + "\n")
    return path


def test_batches_carry_a_resume_point(tmp_path: Path) -> None:
    path = write_prices(tmp_path / "prices.csv", 25)
    with read_import(path, file_name="prices.csv", settings=SETTINGS) as reader:
        batches = list(reader.batches(batch_size=10))
    assert [batch.rows_read for batch in batches] == [10, 10, 6]
    assert [batch.resume for batch in batches] == [ResumePoint(row=11), ResumePoint(row=21), ResumePoint(row=27)]
    assert sum(len(b.rejected) for b in batches) == 3  # P-10, P-20, and the duplicate P-1


def test_continuation_gives_the_same_result_as_one_pass(tmp_path: Path) -> None:
    path = write_prices(tmp_path / "prices.csv", 25)
    with read_import(path, file_name="prices.csv", settings=SETTINGS) as reader:
        whole = [(r.row, r.record.article_number) for b in reader.batches() for r in b.records]
        whole_rejected = [(r.source.row, r.reason) for b in reader.batches() for r in b.rejected]
    with read_import(path, file_name="prices.csv", settings=SETTINGS) as reader:
        first = next(iter(reader.batches(batch_size=10)))
    with read_import(path, file_name="prices.csv", settings=SETTINGS) as reader:
        rest = list(reader.batches(resume=first.resume, batch_size=10))
    resumed = [(r.row, r.record.article_number) for r in first.records] + [
        (r.row, r.record.article_number) for b in rest for r in b.records
    ]
    resumed_rejected = [(r.source.row, r.reason) for r in first.rejected] + [
        (r.source.row, r.reason) for b in rest for r in b.rejected
    ]
    assert resumed == whole
    assert resumed_rejected == whole_rejected
    assert resumed_rejected[-1] == (
        27,
        "duplicate key article_number='P-1': first used in row 2; this row is not imported",
    )


def test_reads_from_a_binary_stream(tmp_path: Path) -> None:
    data = write_prices(tmp_path / "prices.csv", 3).read_bytes()
    with read_import(io.BytesIO(data), file_name="upload.csv", settings=SETTINGS) as reader:
        records = [r for b in reader.batches() for r in b.records]
    assert [r.file for r in records] == ["upload.csv"] * 3


def test_rejected_rows_file_has_input_columns_and_the_error(tmp_path: Path) -> None:
    path = write_prices(tmp_path / "prices.csv", 12)
    out = io.StringIO()
    with read_import(path, file_name="prices.csv", settings=SETTINGS) as reader:
        writer = RejectedRowsWriter(out, header=reader.header)
        for batch in reader.batches():
            writer.write(batch.rejected)
    text = out.getvalue()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == ["file", "sheet", "row", "article_number", "gross_price", "other_columns", "error"]
    assert rows[1] == [
        "prices.csv",
        "",
        "11",
        "P-10",
        "bad",
        "",
        "gross_price: 'bad' is not a number (expected e.g. 1234.56, 1,234.56 or 1.234,56)",
    ]
    assert writer.count == 2


def test_messages_for_the_run_report(tmp_path: Path) -> None:
    path = write_prices(tmp_path / "prices.csv", 10)
    with read_import(path, file_name="prices.csv", settings=SETTINGS) as reader:
        rejected = [r for b in reader.batches() for r in b.rejected]
    message = rejected[0].errors[0].to_message()
    assert (message.file, message.row, message.column, message.value) == ("prices.csv", 11, "gross_price", "bad")
    assert rejected[0].errors[0].located().startswith("prices.csv, row 11, column 'gross_price': gross_price:")
