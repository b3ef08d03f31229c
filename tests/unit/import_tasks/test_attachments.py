"""Attachments import, the pure part: index and file-name parsing, content sniffing, planning."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence

import pytest
from pimtasks.imports import RejectedRowsWriter
from pimtasks.imports.attachments import (
    IndexEntry,
    MemberFile,
    Rejection,
    check_content,
    index_columns,
    is_index,
    mapped_records,
    parse_index,
    plan_attachments,
    rejected_row,
    rejected_rows_header,
    sniff,
)
from pimtasks.imports.errors import ImportFileError
from pimtasks.imports.rows import SourceRow

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"


def member(name: str, data: bytes) -> MemberFile:
    return MemberFile(name=name, checksum=hashlib.sha256(data).hexdigest(), head=data[:4096])


@pytest.mark.parametrize(("head", "kind"), [
    (PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (b"GIF89a\x01\x00", "gif"), (b"II*\x00\x08\x00", "tiff"),
    (b"MM\x00*\x00\x00", "tiff"), (b"PK\x03\x04\x14\x00", "zip"), (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0", "ole"),
    (b"AC1027\x00\x00", "dwg"), (b"  0\r\nSECTION\r\n  2\r\nHEADER", "dxf"),
    (b"999\nmade by cad\n0\nSECTION\n", "dxf"),
    (b"\xef\xbb\xbf<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
    (b"<?xml version='1.0'?><catalog/>", "xml"), (b"hello world", None), (b"", None),
])
def test_content_is_sniffed_from_the_magic_numbers(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_content_must_match_the_extension() -> None:
    assert check_content("manuals/4711_MAN_1.pdf", PDF) == ("application/pdf", None)
    assert check_content("4711_PPI_1.JPG", JPEG) == ("image/jpeg", None)
    assert check_content("4711_OTD_1.docx", b"PK\x03\x04rest")[0] is not None
    content_type, reason = check_content("4711_PPI_1.jpg", PDF)
    assert content_type is None and reason is not None
    assert "'4711_PPI_1.jpg'" in reason and ".jpg" in reason and "PDF" in reason
    content_type, reason = check_content("notes.exe", b"MZ")
    assert content_type is None and reason is not None and ".exe" in reason


def test_an_index_is_recognised_by_its_name() -> None:
    assert is_index("index.csv") and is_index("INDEX.XLSX") and is_index("docs/index.txt")
    assert not is_index("4711_PPI_1.jpg") and not is_index("index.pdf")


def test_index_columns_accept_aliases_and_require_article_file_and_type() -> None:
    assert index_columns(["Artikelnummer", "Bestandsnaam", "Type code", "Taal", "Volgnummer"], file="i") == {
        "article_number": 0, "file_name": 1, "type_code": 2, "language": 3, "sequence": 4}
    with pytest.raises(ImportFileError, match="type_code"):
        index_columns(["article_number", "file_name"], file="i")


def test_the_index_is_parsed_and_incomplete_rows_are_rejected() -> None:
    header = ("article_number", "file_name", "type_code", "language", "sequence")
    rows = [SourceRow("i", None, 2, header, ("4711", "a.pdf", "MAN", "nl", 2.0)),
            SourceRow("i", None, 3, header, (None, None, None, None, None)),
            SourceRow("i", None, 4, header, ("4712", "", "PPI", None, None)),
            SourceRow("i", None, 5, header, (12345.0, "b.jpg", "ppi", None, None))]
    entries, rejected = parse_index(rows, file="i")
    assert entries == [IndexEntry(2, "4711", "a.pdf", "MAN", "nl", "2"), IndexEntry(5, "12345", "b.jpg", "ppi")]
    assert [(r.row, r.reason) for r in rejected] == [(4, "index row 4: no file_name")]


def test_a_plan_by_file_name_convention() -> None:
    members = [member("4711-01_PPI_1.jpg", JPEG), member("folder/A_B_C_MAN_12.pdf", PDF),
               member("readme.pdf", PDF), member("4711-01_PPI_2.jpg", PDF)]
    plan = plan_attachments(members, None, archive="files.zip")
    records = {(p.record.article_number, p.record.type_code, p.record.sequence): p.record for p in plan.planned}
    assert set(records) == {("4711-01", "PPI", 1), ("A_B_C", "MAN", 12)}
    picture = records[("4711-01", "PPI", 1)]
    assert picture.file_name == "4711-01_PPI_1.jpg" and picture.content_type == "image/jpeg"
    assert picture.stored_key == f"Attachments/4711-01/{hashlib.sha256(JPEG).hexdigest()}.jpg"
    assert picture.checksum == hashlib.sha256(JPEG).hexdigest()
    assert sorted(r.file for r in plan.rejected) == ["files.zip/4711-01_PPI_2.jpg", "files.zip/readme.pdf"]


def test_a_plan_with_an_index_and_duplicate_bytes_stored_once() -> None:
    members = [member("manual.pdf", PDF), member("manual copy.pdf", PDF), member("4711_PPI_1.png", PNG),
               member("stray.pdf", PDF)]
    entries = [IndexEntry(2, "4711", "manual.pdf", "man", "nl", "1"),
               IndexEntry(3, "4711", "Manual Copy.pdf", "MAN", "en", "1"),
               IndexEntry(4, "4712", "manual.pdf", "MAN", None, None),
               IndexEntry(5, "4713", "missing.pdf", "MAN", None, None)]
    plan = plan_attachments(members, entries, archive="z.zip", index_name="index.csv")
    keys = sorted(p.record.natural_key() for p in plan.planned)
    assert keys == [("4711", "MAN", "en", "1"), ("4711", "MAN", "nl", "1"), ("4711", "PPI", "", "1"),
                    ("4712", "MAN", "", "1")]
    checksum = hashlib.sha256(PDF).hexdigest()
    assert set(plan.uploads()) == {f"Attachments/4711/{checksum}.pdf", f"Attachments/4712/{checksum}.pdf",
                                   f"Attachments/4711/{hashlib.sha256(PNG).hexdigest()}.png"}
    reasons = sorted(r.reason for r in plan.rejected)
    assert any("missing.pdf" in reason and "not in the ZIP" in reason for reason in reasons)
    assert any("'stray.pdf' is not in the index" in reason for reason in reasons)
    mapped = mapped_records(plan, archive="z.zip")
    assert all(m.key == m.record.natural_key() and "checksum" in m.fields for m in mapped)


def test_an_invalid_index_row_is_rejected_with_its_row() -> None:
    plan = plan_attachments([member("a.pdf", PDF)], [IndexEntry(7, "4711", "a.pdf", "not a code", None, "x")],
                            archive="z.zip", index_name="index.csv")
    assert plan.planned == [] and len(plan.rejected) == 1
    assert plan.rejected[0].row == 7 and plan.rejected[0].reason.startswith("index row 7:")


INDEX_HEADER = ("Artikelnummer", "Bestandsnaam", "Type", "Taal")


def index_row(row: int, *values: str | None) -> SourceRow:
    return SourceRow("z.zip/index.csv", None, row, INDEX_HEADER, values)


def rejected_rows_csv(rejections: Sequence[Rejection], *, index_header: Sequence[str]) -> list[dict[str, str]]:
    """The rejected-rows file the writer makes of ``rejections``, read back as dicts."""
    out = io.StringIO()
    writer = RejectedRowsWriter(out, header=rejected_rows_header(index_header))
    writer.write(rejected_row(rejection) for rejection in rejections)
    return list(csv.DictReader(io.StringIO(out.getvalue().removeprefix("\ufeff")), delimiter=";"))


def test_rejections_from_the_index_keep_its_row_and_members_their_name_in_the_rejected_rows_file() -> None:
    # given an index with an incomplete row, a row naming a file the ZIP lacks, and a member named by neither
    entries, incomplete = parse_index([index_row(2, "4711", "a.pdf", "MAN", "nl"),
                                       index_row(3, "4712", "", "PPI", None),
                                       index_row(4, "4713", "gone.pdf", "MAN", "en")], file="z.zip/index.csv")
    plan = plan_attachments([member("a.pdf", PDF), member("stray.jpg", JPEG)], entries, archive="z.zip",
                            index_name="index.csv")

    # when the rejections are written as the rejected-rows file
    lines = rejected_rows_csv([*incomplete, *plan.rejected], index_header=INDEX_HEADER)

    # then each has its own line: index rows with their cells, the member with its name, all with the reason
    assert [(line["file"], line["row"], line["member"], line["Artikelnummer"], line["Bestandsnaam"], line["Type"])
            for line in lines] == [("z.zip/index.csv", "3", "", "4712", "", "PPI"),
                                   ("z.zip/stray.jpg", "", "stray.jpg", "", "", ""),
                                   ("z.zip/index.csv", "4", "", "4713", "gone.pdf", "MAN")]
    assert lines[0]["error"] == "index row 3: no file_name"
    assert "'stray.jpg' is not in the index" in lines[1]["error"]
    assert "not in the ZIP" in lines[2]["error"]


def test_an_index_row_rejected_for_its_member_names_both_in_the_rejected_rows_file() -> None:
    entries, _ = parse_index([index_row(7, "4711", "a.pdf", "not a code", None)], file="z.zip/index.csv")
    plan = plan_attachments([member("docs/a.pdf", PDF)], entries, archive="z.zip", index_name="index.csv")

    [line] = rejected_rows_csv(plan.rejected, index_header=INDEX_HEADER)

    assert (line["row"], line["member"], line["Artikelnummer"], line["Type"]) == ("7", "docs/a.pdf", "4711",
                                                                                   "not a code")
    assert line["error"].startswith("index row 7:")


def test_without_an_index_the_rejected_rows_file_has_the_member_only() -> None:
    plan = plan_attachments([member("4711_PPI_1.jpg", PDF)], None, archive="z.zip")

    [line] = rejected_rows_csv(plan.rejected, index_header=())

    assert list(line) == ["file", "sheet", "row", "member", "other_columns", "error"]
    assert (line["file"], line["row"], line["member"]) == ("z.zip/4711_PPI_1.jpg", "", "4711_PPI_1.jpg")
    assert "PDF" in line["error"]


def test_a_record_the_catalog_refuses_is_traced_back_to_its_member_and_index_row() -> None:
    entries, _ = parse_index([index_row(2, "4711", "a.pdf", "MAN", "nl")], file="z.zip/index.csv")
    plan = plan_attachments([member("a.pdf", PDF), member("4712_PPI_1.jpg", JPEG)], entries, archive="z.zip",
                            index_name="index.csv")
    by_index, by_name = mapped_records(plan, archive="z.zip")

    refused = plan.refusal(by_index, "the record would become invalid", archive="z.zip")
    assert (refused.file, refused.row, refused.member) == ("z.zip/a.pdf", 2, "a.pdf")
    assert refused.source is not None and refused.source.values[0] == "4711"
    refused = plan.refusal(by_name, "the record would become invalid", archive="z.zip")
    assert (refused.row, refused.member, refused.source) == (None, "4712_PPI_1.jpg", None)
