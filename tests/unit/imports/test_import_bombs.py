"""Spreadsheet bombs under the size cap (issue 8, item 1): each fails at once, naming the limit it passed.

Every bomb here would make python-calamine take gigabytes, abort the process or run for minutes if it got
to load it; the checks stop it before (``workbook_scan``, ``xls_scan``). The bombs are built in code
(``bombs``); the biggest, 1.9 GB of sheet XML in about 8 MB, once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pimtasks.domain.task_types import ImportSettings, ImportTarget
from pimtasks.imports import (
    CorruptFileError,
    ImportFileError,
    LimitExceededError,
    ReadLimits,
    UnsafeArchiveError,
    UnsafeXmlError,
    UnsupportedFileError,
    read_import,
    read_records,
)
from pimtasks.imports.reading.limits import describe_limit

from tests.unit.imports.bombs import (
    FILLED_ODS_CELL,
    HEADER_ROW,
    ODS_HEAD,
    ODS_HEADER_ROW,
    ODS_TAIL,
    biff,
    biff_dimensions,
    biff_label_sst,
    biff_number,
    biff_sst,
    deflated,
    ods_members,
    ods_table,
    raw_zip,
    read_failure,
    repeated,
    shared_strings_xml,
    sheet_bomb_member,
    sheet_xml,
    write_ods,
    write_sheet_bomb,
    write_xls,
    write_xlsx,
    xlsx_members,
)


def limit_of(error: ImportFileError) -> str:
    """The limit a ``LimitExceededError`` names (in its attribute and in its message, with the value)."""
    assert isinstance(error, LimitExceededError), error
    assert f"more than the {describe_limit(error.limit, error.limit_value)} accepted (limit {error.limit})" in (
        error.message)
    return error.limit


def article_numbers(path: Path) -> list[str | None]:
    records, rejected, _ = read_records(path, file_name=path.name, target=ImportTarget.PRODUCTS)
    assert not rejected
    return [record.record.article_number for record in records]


def cells(count: int, *, row: int = 2) -> bytes:
    return b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(row, row + count))


# --- XLSX ------------------------------------------------------------------------------------------


def test_the_reported_bomb_fails_at_once_on_its_declared_size(sheet_bomb_xlsx: Path) -> None:
    # given 1.9 GB of sheet XML in a few MB (declared honestly in the ZIP directory)
    assert sheet_bomb_xlsx.stat().st_size < 10 << 20

    # when it is read, then it fails before anything is unpacked, naming the limit
    error = read_failure(sheet_bomb_xlsx)
    assert limit_of(error) == "max_workbook_xml_bytes"
    assert "'xl/worksheets/sheet1.xml' in the workbook declares 1,8" in error.message


def test_the_bomb_within_the_ratio_stops_at_the_unpacked_size_while_streaming(sheet_bomb_xlsx: Path) -> None:
    # given limits that let the directory pass (ratio and size) but cap what may really be unpacked
    limits = ReadLimits(max_compression_ratio=10_000, max_workbook_xml_bytes=20 << 20, max_cells=10**12,
                        max_file_bytes=4 << 30)
    bomb = write_sheet_bomb(sheet_bomb_xlsx.with_name("declared-small.xlsx"), declared_size=16 << 20)

    # when it is read, then the part stops where it passes its (forged) declared size
    error = read_failure(bomb, limits=limits)
    assert isinstance(error, UnsafeArchiveError) and "the file is forged" in error.message


def test_the_bomb_stops_at_the_cell_limit_while_streaming(sheet_bomb_xlsx: Path) -> None:
    # given no limit on bytes or ratio, only on cells
    limits = ReadLimits(max_compression_ratio=10**6, max_workbook_xml_bytes=4 << 30, max_cells=1_000_000)

    error = read_failure(sheet_bomb_xlsx, limits=limits)

    assert limit_of(error) == "max_cells"
    assert error.sheet == "Sheet1" and "sheet 'Sheet1' spans" in error.message


def test_a_forged_directory_that_declares_a_small_sheet_is_stopped_at_its_declared_size(tmp_path: Path) -> None:
    bomb = write_sheet_bomb(tmp_path / "forged.xlsx", declared_size=10_000)
    error = read_failure(bomb)
    assert isinstance(error, UnsafeArchiveError)
    assert "unpacks to more than the 10,000 bytes the workbook's directory declares" in error.message


def test_two_far_apart_cells_fail_instead_of_aborting_the_process(tmp_path: Path) -> None:
    # given A1 and XFD1048576: calamine would allocate a 17-billion-cell rectangle and abort
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    error = read_failure(write_xlsx(tmp_path / "far.xlsx", sheet_xml(HEADER_ROW + far)))
    assert limit_of(error) == "max_columns"
    assert "sheet 'Sheet1' uses 16,384 columns" in error.message


def test_a_wide_rectangle_within_rows_and_columns_fails_on_cells(tmp_path: Path) -> None:
    far = b'<row r="600000"><c r="ALL600000"><v>1</v></c></row>'
    error = read_failure(write_xlsx(tmp_path / "wide.xlsx", sheet_xml(HEADER_ROW + far)))
    assert limit_of(error) == "max_cells"
    assert "600,000 rows x 1,000 columns (600,000,000 cells)" in error.message


def test_a_value_far_below_millions_of_empty_rows_fails_on_rows(tmp_path: Path) -> None:
    far = b'<row r="5000000"><c r="A5000000"><v>1</v></c></row>'
    error = read_failure(write_xlsx(tmp_path / "deep.xlsx", sheet_xml(HEADER_ROW + far)))
    assert limit_of(error) == "max_rows"
    assert "uses rows up to row 5,000,000" in error.message


def test_a_huge_dimension_alone_is_harmless_and_imports(tmp_path: Path) -> None:
    # calamine only reserves room for a <dimension> of fewer than 100,000 cells: a huge one costs nothing
    sheet = sheet_xml(HEADER_ROW + b'<row r="2"><c r="A2" t="inlineStr"><is><t>D-1</t></is></c></row>',
                      before=b'<dimension ref="A1:XFD1048576"/>')
    assert article_numbers(write_xlsx(tmp_path / "dimension.xlsx", sheet)) == ["D-1"]


def test_hundreds_of_thousands_of_empty_rows_without_values_import(tmp_path: Path) -> None:
    rows = b"".join(b'<row r="%d" s="1" customFormat="1"/>' % n for n in range(3, 400_000))
    sheet = deflated("xl/worksheets/sheet1.xml", sheet_xml(HEADER_ROW + cells(1) + rows), level=1)
    assert article_numbers(raw_zip(tmp_path / "empty-rows.xlsx", xlsx_members([sheet]))) == ["2"]


def test_one_long_shared_string_used_by_many_cells_fails_on_copied_text(tmp_path: Path) -> None:
    # given a 30 KB shared string used by 10,000 cells: 300 MB once calamine copies it into each
    rows = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(2, 10_002))
    workbook = write_xlsx(tmp_path / "text.xlsx", sheet_xml(HEADER_ROW + rows),
                          shared_strings=shared_strings_xml(["x" * 30_000]))
    error = read_failure(workbook)
    assert limit_of(error) == "max_text_bytes"
    assert "the cells of sheet 'Sheet1' copy 286 MiB of shared text" in error.message


def test_a_shared_strings_table_of_too_many_entries_fails(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "strings.xlsx", sheet_xml(HEADER_ROW + cells(1)),
                          shared_strings=shared_strings_xml(str(n) for n in range(5000)))
    error = read_failure(workbook, limits=ReadLimits(max_shared_strings=1000))
    assert limit_of(error) == "max_shared_strings"


def test_a_workbook_of_too_many_sheets_fails(tmp_path: Path) -> None:
    sheets = [sheet_xml(HEADER_ROW + cells(1))] * 1001
    error = read_failure(raw_zip(tmp_path / "sheets.xlsx", xlsx_members(sheets)))
    assert limit_of(error) == "max_sheets"
    assert "the workbook has 1,001 sheets" in error.message


def test_too_many_merged_ranges_read_failure(tmp_path: Path) -> None:
    merges = b"<mergeCells>" + b"".join(b'<mergeCell ref="B%d:C%d"/>' % (n, n) for n in range(2, 30)) + b"</mergeCells>"
    error = read_failure(write_xlsx(tmp_path / "merges.xlsx", sheet_xml(HEADER_ROW + cells(1), after=merges)),
                 limits=ReadLimits(max_merged_ranges=10))
    assert limit_of(error) == "max_merged_ranges"


def test_only_the_imported_sheet_is_held_to_the_sheet_limits(tmp_path: Path) -> None:
    # given a workbook whose second sheet spans 2,000 columns (calamine never loads it)
    wide = sheet_xml(HEADER_ROW + b'<row r="2"><c r="BXX2"><v>1</v></c></row>')
    workbook = raw_zip(tmp_path / "two.xlsx", xlsx_members([sheet_xml(HEADER_ROW + cells(1)), wide]))
    assert article_numbers(workbook) == ["2"]
    # and that sheet fails when a layout names it
    layout = {"sheet": "Sheet2", "key_columns": ["article_number"],
              "columns": [{"column": "article_number", "field": "article_number"}]}
    settings = ImportSettings.model_validate({"import_name": "bombs", "target": "products", "custom_layout": True,
                                              "layout": layout})
    with pytest.raises(LimitExceededError, match="limit max_columns"), read_import(
            workbook, file_name="two.xlsx", settings=settings):
        pass


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
def test_xml_entity_expansion_is_refused(tmp_path: Path, part: str) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>')
    sheet = sheet_xml(HEADER_ROW + cells(1))
    strings = shared_strings_xml(["a"])
    if part.endswith("sheet1.xml"):
        sheet = laughs + sheet.split(b"?>", 1)[1]
    else:
        strings = laughs + strings.split(b"?>", 1)[1]
    error = read_failure(write_xlsx(tmp_path / "laughs.xlsx", sheet, shared_strings=strings))
    assert isinstance(error, UnsafeXmlError)
    assert f"{part!r} declares a DTD or entities" in error.message


def test_a_sheet_in_disguise_in_the_shared_strings_part_is_refused(tmp_path: Path) -> None:
    disguised = shared_strings_xml(["a"]).replace(b"</sst>", b'<c r="XFD1048576"><v>1</v></c></sst>')
    workbook = write_xlsx(tmp_path / "disguise.xlsx", sheet_xml(HEADER_ROW + cells(1)), shared_strings=disguised)
    error = read_failure(workbook)
    assert isinstance(error, CorruptFileError)
    assert "holds cells although it is the shared-strings table" in error.message


def test_a_binary_workbook_is_refused(tmp_path: Path) -> None:
    members = [*xlsx_members([sheet_xml(HEADER_ROW)]), deflated("xl/workbook.bin", b"\x83\x01\x00")]
    error = read_failure(raw_zip(tmp_path / "binary.xlsx", members))
    assert isinstance(error, UnsupportedFileError) and "(XLSB)" in error.message


def test_a_metadata_part_larger_than_its_cap_fails(tmp_path: Path) -> None:
    padding = b"".join(b"<!-- %d -->" % (n * 7919 % 1000003) for n in range(100_000))
    styles = b'<?xml version="1.0"?><styleSheet>' + padding + b"</styleSheet>"
    members = [*xlsx_members([sheet_xml(HEADER_ROW + cells(1))]), deflated("xl/styles.xml", styles)]
    error = read_failure(raw_zip(tmp_path / "styles.xlsx", members), limits=ReadLimits(max_metadata_part_bytes=1 << 20))
    assert limit_of(error) == "max_metadata_part_bytes"


# --- ODS -------------------------------------------------------------------------------------------

FILLED = FILLED_ODS_CELL


def test_an_ods_of_repeated_cells_fails_on_cells(tmp_path: Path) -> None:
    # given 200 bytes asking for a billion cells (calamine spells every repetition out)
    row = (b'<table:table-row table:number-rows-repeated="1000000">'
           + FILLED % b' table:number-columns-repeated="1000"' + b"</table:table-row>")
    error = read_failure(write_ods(tmp_path / "repeat.ods", ods_table(ODS_HEADER_ROW + row)))
    assert limit_of(error) == "max_cells"
    assert "hold 1,000,001,000 cells" in error.message


def test_an_ods_row_repeated_past_the_row_limit_fails(tmp_path: Path) -> None:
    row = b'<table:table-row table:number-rows-repeated="2000000">' + FILLED % b"" + b"</table:table-row>"
    error = read_failure(write_ods(tmp_path / "rows.ods", ods_table(ODS_HEADER_ROW + row)))
    assert limit_of(error) == "max_rows"
    assert "sheet 'Sheet1' uses rows up to row 2,000,001" in error.message


def test_an_ods_cell_of_a_billion_spaces_fails_on_text(tmp_path: Path) -> None:
    cell = (b'<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="1000000000"/>'
            b"</text:p></table:table-cell></table:table-row>")
    error = read_failure(write_ods(tmp_path / "spaces.ods", ods_table(ODS_HEADER_ROW + cell)))
    assert limit_of(error) == "max_text_bytes"


def test_an_ods_content_bomb_fails_on_its_ratio(tmp_path: Path) -> None:
    row = b"<table:table-row>" + FILLED % b"" * 16 + b"</table:table-row>"
    content = repeated("content.xml", head=ODS_HEAD + b'<table:table table:name="Sheet1">' + ODS_HEADER_ROW,
                       unit=row * 4000, times=400, tail=b"</table:table>" + ODS_TAIL)
    error = read_failure(raw_zip(tmp_path / "content.ods", ods_members(content)))
    assert limit_of(error) in ("max_compression_ratio", "max_workbook_xml_bytes")


def test_an_ods_of_many_sheets_counts_the_cells_of_all_of_them(tmp_path: Path) -> None:
    # given three sheets of 400 cells each: calamine loads them all when the workbook is opened
    row = b"<table:table-row>" + FILLED % b' table:number-columns-repeated="20"' + b"</table:table-row>"
    sheets = [ods_table(ODS_HEADER_ROW + row * 20, name=f"S{n}") for n in range(3)]
    error = read_failure(write_ods(tmp_path / "three.ods", *sheets), limits=ReadLimits(max_cells=1000))
    assert limit_of(error) == "max_cells"
    assert "sheet 'S2'" in error.message


# --- XLS -------------------------------------------------------------------------------------------


def test_an_xls_with_a_forged_dimensions_record_fails_instead_of_aborting(tmp_path: Path) -> None:
    # calamine reserves rows x columns of a DIMENSIONS record: this one asks for 10^15 cells
    records = biff_dimensions(0, 0xFFFFFFF0, 0, 0xFFFF) + biff_number(0, 0, 1)
    error = read_failure(write_xls(tmp_path / "dims.xls", records))
    assert limit_of(error) == "max_cells"
    assert "declares 281,470,680,694,800 cells (DIMENSIONS)" in error.message


def test_an_xls_with_two_far_apart_cells_fails_instead_of_aborting(tmp_path: Path) -> None:
    error = read_failure(write_xls(tmp_path / "far.xls", biff_number(0, 0, 1) + biff_number(65535, 65535, 2)))
    assert limit_of(error) == "max_cells"


def test_an_xls_shared_string_copied_into_many_cells_fails_on_text(tmp_path: Path) -> None:
    records = b"".join(biff_label_sst(row, 0, 0) for row in range(1, 12_001))
    error = read_failure(write_xls(tmp_path / "text.xls", records, globals_records=biff_sst(["x" * 8000])))
    assert limit_of(error) == "max_text_bytes"


def test_an_xls_declaring_billions_of_shared_strings_fails(tmp_path: Path) -> None:
    records = biff_label_sst(0, 0, 0)
    error = read_failure(write_xls(tmp_path / "sst.xls", records, globals_records=biff_sst(["a"], declared=2**31 - 1)))
    assert limit_of(error) == "max_shared_strings"


def test_an_xls_whose_sector_chain_loops_fails_as_damaged(tmp_path: Path) -> None:
    error = read_failure(write_xls(tmp_path / "loop.xls", biff_number(0, 0, 1), loop=True))
    assert isinstance(error, CorruptFileError) and "loops" in error.message


def test_an_xls_larger_than_its_cap_fails(tmp_path: Path) -> None:
    error = read_failure(write_xls(tmp_path / "big.xls", biff_number(0, 0, 1)), limits=ReadLimits(max_xls_bytes=4096))
    assert limit_of(error) == "max_xls_bytes"


# --- CSV and the limits themselves -------------------------------------------------------------------


def test_a_csv_with_more_rows_than_the_limit_fails(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"article_number;gross_price\r\n" + b"".join(b"A-%d;1\r\n" % n for n in range(50)))
    error = read_failure(path, limits=ReadLimits(max_rows=20))
    assert limit_of(error) == "max_rows"
    assert "the file has more than 20 rows" in error.message


def test_files_within_the_limits_read_as_before(tmp_path: Path, fixtures_dir: Path) -> None:
    workbook = write_xlsx(tmp_path / "fine.xlsx", sheet_xml(HEADER_ROW + cells(20_000)))
    assert len(article_numbers(workbook)) == 20_000
    for name in ("conditions.ods", "conditions.xls", "percentages.xlsx", "percentages.ods"):
        read_records(fixtures_dir / name, file_name=name, target=ImportTarget.SALES_CONDITIONS)


def test_the_sheet_bomb_member_builder_makes_what_it_says() -> None:
    member = sheet_bomb_member(xml_bytes=8 << 20)
    assert 7 << 20 <= member.size <= 8 << 20 and len(member.compressed) < member.size // 100


def test_a_file_that_makes_the_reader_panic_fails_as_damaged(tmp_path: Path) -> None:
    # given an XLS with a truncated name record (Lbl): calamine's Rust code panics on it, and pyo3's
    # PanicException is no Exception: unguarded it would end the whole invocation
    workbook = write_xls(tmp_path / "panic.xls", biff_number(0, 0, 1), globals_records=biff(0x0018, b"\x00\x00"))
    error = read_failure(workbook)
    assert isinstance(error, CorruptFileError) and "damaged or not a valid XLS workbook" in error.message
