"""Bombs through the import worker on moto (issue 8, item 1): each file fails at once as a whole, naming
the limit, goes to ``Failed/`` with its report, and leaves the catalog untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from pimtasks.domain.run import MessageLevel, Run, RunStatus
from pimtasks.domain.task_types import ImportTarget

from tests.integration.imports.harness import CONDITIONS_IMPORT, Imports
from tests.unit.imports.bombs import (
    FILLED_ODS_CELL,
    ODS_HEADER_ROW,
    RawMember,
    biff_number,
    deflated,
    ods_table,
    raw_zip,
    repeated,
    stored,
    write_ods,
    write_sheet_bomb,
    write_xls,
)


@pytest.fixture(scope="module")
def bomb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bombs")


@pytest.fixture(scope="module")
def sheet_bomb(bomb_dir: Path) -> bytes:
    """The reported bomb (1.9 GB of sheet XML in about 8 MB), built once for the module."""
    return write_sheet_bomb(bomb_dir / "bomb.xlsx").read_bytes()


def csv_bomb_member(name: str, *, declared_size: int) -> RawMember:
    member = repeated(name, head=b"article_number;gross_price\r\n", unit=b"A;1\r\n" * (1 << 18), times=64, tail=b"")
    return RawMember(member.name, member.compressed, member.size, member.crc, declared_size=declared_size)


def failed_alone(imports: Imports, run: Run, name: str, *, import_name: str = CONDITIONS_IMPORT,
                 target: ImportTarget = ImportTarget.SALES_CONDITIONS) -> str:
    """Assert ``name`` failed as a whole: run failed, file and report in Failed/, catalog untouched.

    Returns the file's error message.
    """
    assert run.status is RunStatus.FAILED, run.messages
    failure = next(m for m in run.messages if m.level is MessageLevel.ERROR and m.file and m.file.startswith(name))
    failed = f"Failed/{import_name}/{run.run_id}/{name}"
    assert imports.keys("Failed/") == [failed, f"{failed}.report.txt"]
    report = imports.read(f"{failed}.report.txt").decode()
    assert "catalog is unchanged" in report and failure.text in report
    assert imports.keys("Uploads/") == []
    assert imports.records(target) == [] and run.counts.created == 0
    return failure.text


def test_the_reported_bomb_fails_naming_its_limit(imports: Imports, sheet_bomb: bytes) -> None:
    # given a 1.9 GB-of-XML workbook of a few MB waiting in Uploads
    task = imports.create_task(custom_layout=False, layout=None)
    imports.upload("supplier.xlsx", sheet_bomb)

    # when the import runs
    run = imports.run(task)

    # then the file fails as a whole, its message naming the limit and its value
    text = failed_alone(imports, run, "supplier.xlsx")
    assert "more than the 768 MiB accepted (limit max_workbook_xml_bytes)" in text


def test_a_bomb_with_a_forged_directory_fails_as_forged(imports: Imports, bomb_dir: Path) -> None:
    task = imports.create_task(custom_layout=False, layout=None)
    imports.upload("forged.xlsx", write_sheet_bomb(bomb_dir / "forged.xlsx", declared_size=50_000).read_bytes())

    text = failed_alone(imports, imports.run(task), "forged.xlsx")

    assert "unpacks to more than the 50,000 bytes the workbook's directory declares" in text


def test_an_ods_bomb_of_repeated_cells_fails_on_cells(imports: Imports, bomb_dir: Path) -> None:
    task = imports.create_task(custom_layout=False, layout=None)
    row = (b'<table:table-row table:number-rows-repeated="1000000">'
           + FILLED_ODS_CELL % b' table:number-columns-repeated="1000"' + b"</table:table-row>")
    imports.upload("repeat.ods", write_ods(bomb_dir / "repeat.ods", ods_table(ODS_HEADER_ROW + row)).read_bytes())

    text = failed_alone(imports, imports.run(task), "repeat.ods")

    assert "(limit max_cells)" in text


def test_an_xls_that_would_abort_the_reader_fails_on_cells(imports: Imports, bomb_dir: Path) -> None:
    task = imports.create_task(custom_layout=False, layout=None)
    imports.upload("far.xls", write_xls(bomb_dir / "far.xls", biff_number(0, 0, 1) + biff_number(65535, 65535, 2))
                   .read_bytes())

    text = failed_alone(imports, imports.run(task), "far.xls")

    assert "more than the 12,000,000 cells accepted (limit max_cells)" in text


def test_a_zip_of_a_forged_csv_and_a_zip_in_a_zip_fail(imports: Imports, bomb_dir: Path) -> None:
    task = imports.create_task(custom_layout=False, layout=None)
    nested = raw_zip(bomb_dir / "inner.zip", [deflated("prices.csv", b"article_number\r\nA\r\n")]).read_bytes()
    imports.upload("a-forged.zip", raw_zip(bomb_dir / "forged.zip",
                                           [csv_bomb_member("prices.csv", declared_size=4096)]).read_bytes())
    imports.upload("b-nested.zip", raw_zip(bomb_dir / "nested.zip", [stored("data.csv", nested)]).read_bytes())

    run = imports.run(task)

    assert run.status is RunStatus.FAILED
    errors = {m.file: m.text for m in run.messages if m.level is MessageLevel.ERROR and m.file}
    assert "forged" in errors["a-forged.zip"]
    assert "is itself a ZIP archive" in errors["b-nested.zip/data.csv"]
    assert sorted(key.rsplit("/", 1)[-1] for key in imports.keys("Failed/")) == [
        "a-forged.zip", "a-forged.zip.report.txt", "b-nested.zip", "b-nested.zip.report.txt"]
    assert imports.records() == []


def test_an_attachments_zip_with_a_forged_member_fails_and_stores_nothing(imports: Imports, bomb_dir: Path) -> None:
    task = imports.create_task(description="Attachments", import_name="Attachments", target="attachments",
                               custom_layout=False, layout=None)
    imports.upload("files.zip", raw_zip(bomb_dir / "files.zip", [csv_bomb_member("4711_PPI_1.jpg",
                                                                                 declared_size=4096)]).read_bytes(),
                   import_name="Attachments")

    text = failed_alone(imports, imports.run(task), "files.zip", import_name="Attachments",
                        target=ImportTarget.ATTACHMENTS)

    assert "forged" in text
    assert imports.keys("Attachments/") == []
