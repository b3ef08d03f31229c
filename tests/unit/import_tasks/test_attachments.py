"""Attachments import, the pure part: index and file-name parsing, content sniffing, planning."""

from __future__ import annotations

import hashlib

import pytest
from pimtasks.imports.attachments import (
    IndexEntry,
    MemberFile,
    check_content,
    index_columns,
    is_index,
    mapped_records,
    parse_index,
    plan_attachments,
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
