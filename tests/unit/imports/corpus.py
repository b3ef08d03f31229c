"""Builders for the bad-input corpus items that are binary or big, made at test time.

Small text fixtures and the LibreOffice-written workbooks are committed under ``tests/fixtures/import``;
these are the ones only code makes sensibly: zip bombs, hostile archives, a sheet with 1,048,576
formatted empty rows, an encrypted (password-protected) workbook, and a big UTF-8 CSV with one stray byte
pair near its end.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"

# --- password-protected workbook -------------------------------------------------------------------

_SECTOR = 512
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_FAT_SECTOR = 0xFFFFFFFD
_NO_STREAM = 0xFFFFFFFF


def encrypted_workbook_bytes() -> bytes:
    """An OLE compound file shaped like Excel's encrypted XLSX: streams EncryptionInfo + EncryptedPackage.

    Both streams are >= 4096 bytes so they live in regular sectors (no mini stream needed). The content
    is filler: what matters to the reader is the container and its stream names.
    """
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\x00" * (4096 - 8)
    package = struct.pack("<Q", 6000) + bytes(range(256)) * 32
    streams = [("EncryptionInfo", info), ("EncryptedPackage", package)]
    fat: list[int] = [_FAT_SECTOR, _END_OF_CHAIN]  # sector 0: FAT, sector 1: directory
    starts: list[int] = []
    for _name, data in streams:
        count = -(-len(data) // _SECTOR)
        first = len(fat)
        starts.append(first)
        fat.extend(first + offset + 1 for offset in range(count - 1))
        fat.append(_END_OF_CHAIN)
    fat.extend([_FREE] * (_SECTOR // 4 - len(fat)))
    directory = _dir_entry("Root Entry", 5, child=1, start=_END_OF_CHAIN, size=0)
    directory += _dir_entry(streams[0][0], 2, right=2, start=starts[0], size=len(streams[0][1]))
    directory += _dir_entry(streams[1][0], 2, start=starts[1], size=len(streams[1][1]))
    directory += _dir_entry("", 0, start=0, size=0)
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
    header += struct.pack("<HHHHHI", 0x3E, 3, 0xFFFE, 9, 6, 0) + b"\x00" * 4
    header += struct.pack("<IIIIIIII", 1, 1, 0, 4096, _END_OF_CHAIN, 0, _END_OF_CHAIN, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108
    body = struct.pack(f"<{len(fat)}I", *fat) + directory
    for _name, data in streams:
        body += data + b"\x00" * (-len(data) % _SECTOR)
    return header + body


def _dir_entry(
    name: str, kind: int, *, start: int, size: int, child: int = _NO_STREAM, right: int = _NO_STREAM
) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    entry = encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
    entry += struct.pack("<III", _NO_STREAM, right, child) + b"\x00" * 16 + struct.pack("<I", 0) + b"\x00" * 16
    entry += struct.pack("<IQ", start, size)
    return entry


# --- archives --------------------------------------------------------------------------------------

PRODUCTS_CSV = b"article_number;gross_price\r\nZ-1;1,50\r\nZ-2;2,50\r\n"


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A ZIP archive with ``members`` written verbatim (names are not sanitised: that is the point)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def write_zip_bomb(path: Path, *, megabytes: int = 300) -> Path:
    """One member of ``megabytes`` MiB of zeros: compresses about 1000:1."""
    block = b"\x00" * (1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("prices.csv", "w") as member,
    ):
        member.write(b"article_number;gross_price\r\n")
        for _ in range(megabytes):
            member.write(block)
    return path


def nested_zip_bytes() -> bytes:
    """A ZIP that contains a ZIP."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("prices.csv", PRODUCTS_CSV)
    return inner.getvalue()


# --- a sheet with 1,048,576 formatted empty rows ----------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Prices" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFFFFF00"/></patternFill></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="4" fontId="0" fillId="2" borderId="0" xfId="0" applyFill="1" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)
MAX_ROWS = 1_048_576


def _formatted_sheet(rows: int) -> Iterator[str]:
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:P{rows}"/><sheetData>'
    )
    yield '<row r="1"><c r="A1" t="inlineStr"><is><t>article_number</t></is></c>'
    yield '<c r="B1" t="inlineStr"><is><t>gross_price</t></is></c></row>'
    yield '<row r="2"><c r="A2" t="inlineStr"><is><t>FMT-1</t></is></c><c r="B2" s="1"><v>3.5</v></c></row>'
    yield '<row r="3"><c r="A3" t="inlineStr"><is><t>FMT-2</t></is></c><c r="B3" s="1"><v>4.25</v></c></row>'
    # What Excel writes when whole rows are formatted: a styled row element with styled empty cells.
    for number in range(4, rows + 1):
        yield f'<row r="{number}" s="1" customFormat="1"><c r="A{number}" s="1"/><c r="B{number}" s="1"/></row>'
    yield "</sheetData></worksheet>"


def write_formatted_empty_rows_xlsx(path: Path, *, rows: int = MAX_ROWS) -> Path:
    """Two data rows, then formatting down to row ``rows`` (Excel's last row by default)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            buffer: list[str] = []
            for part in _formatted_sheet(rows):
                buffer.append(part)
                if len(buffer) >= 10_000:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
            sheet.write("".join(buffer).encode())
    return path


def write_hidden_sheet_xlsx(path: Path) -> Path:
    """An XLSX (written by openpyxl, as many ERP exports are) whose first sheet is hidden."""
    from openpyxl import Workbook

    workbook = Workbook()
    old = workbook.active
    assert old is not None
    old.title = "Old prices"
    old.append(["article_number", "gross_price"])
    old.append(["OLD-1", 1.0])
    old.sheet_state = "hidden"
    prices = workbook.create_sheet("Prices")
    prices.append(["article_number", "gross_price"])
    prices.append(["NEW-1", 2.5])
    very_hidden = workbook.create_sheet("Lookup", 0)
    very_hidden.append(["article_number"])
    very_hidden.sheet_state = "veryHidden"
    workbook.active = 2
    workbook.save(path)
    return path


# --- a big UTF-8 CSV with stray bytes near the end ----------------------------------------------------

STRAY_BYTES = b"\xff\xfe"


def write_utf8_products_with_stray_bytes(path: Path, *, rows: int = 30_010, stray_row: int = 30_008) -> Path:
    """A standard-layout products CSV in UTF-8 ("Acmé" in every row) whose row ``stray_row`` (a spreadsheet
    row number, the header is row 1) has ``STRAY_BYTES`` in its description: invalid in UTF-8, and exactly
    what used to tip encoding detection into cp1252 for the whole file."""
    with path.open("wb") as sink:
        sink.write(b"article_number;description_nl;brand;gross_price\r\n")
        for number in range(2, rows + 2):
            description = f"Lamp {number}".encode() + (STRAY_BYTES if number == stray_row else b"")
            sink.write(b"ACME-%06d;%s;Acm\xc3\xa9;%d,50\r\n" % (number, description, number % 100))
    return path
