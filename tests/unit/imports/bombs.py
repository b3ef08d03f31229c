"""Hostile and huge spreadsheets and archives, built in code at test time (none is committed).

A bomb that unpacks to gigabytes is written in milliseconds: one unit of XML is compressed once with a
full flush (so its compressed bytes do not depend on what came before) and those bytes are repeated; the
CRC of the whole is combined from the unit's CRC. ``raw_zip`` writes the ZIP structures itself, so a
member's sizes can be forged.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pimtasks.domain.task_types import ImportSettings, ImportTarget
from pimtasks.imports import ImportFileError, ReadLimits, read_import


def read_failure(path: Path, *, limits: ReadLimits | None = None) -> ImportFileError:
    """The error reading ``path`` (a products import) ends with; every one names the file (or its member)."""
    settings = ImportSettings(import_name="bombs", target=ImportTarget.PRODUCTS)
    with pytest.raises(ImportFileError) as caught, read_import(path, file_name=path.name, settings=settings,
                                                               limits=limits) as reader:
        for _ in reader.batches():
            pass
    assert caught.value.file is not None and caught.value.file.startswith(path.name)
    return caught.value

# --- ZIP written by hand ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RawMember:
    """A member as it is stored: compressed bytes, and what the directory says (which may be a lie)."""

    name: str
    compressed: bytes
    size: int
    crc: int
    method: int = 8
    declared_size: int | None = None
    """What the headers claim the member unpacks to (default: the truth)."""


def deflated(name: str, data: bytes, *, level: int = 9) -> RawMember:
    """A member holding ``data``, compressed normally."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return RawMember(name, compressor.compress(data) + compressor.flush(), len(data), zlib.crc32(data))


def stored(name: str, data: bytes) -> RawMember:
    return RawMember(name, data, len(data), zlib.crc32(data), method=0)


def repeated(name: str, *, head: bytes, unit: bytes, times: int, tail: bytes) -> RawMember:
    """A member of ``head + unit * times + tail``, compressed in a few milliseconds whatever ``times`` is."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(tail) + compressor.flush()
    crc = crc32_combine(zlib.crc32(head), _repeated_crc(zlib.crc32(unit), len(unit), times), len(unit) * times)
    crc = crc32_combine(crc, zlib.crc32(tail), len(tail))
    size = len(head) + len(unit) * times + len(tail)
    return RawMember(name, first + block * times + last, size, crc)


def raw_zip(path: Path, members: Iterable[RawMember]) -> Path:
    """Write ``members`` as a ZIP file (no ZIP64: members under 4 GiB)."""
    body = bytearray()
    directory = bytearray()
    count = 0
    for member in members:
        name = member.name.encode()
        declared = member.size if member.declared_size is None else member.declared_size
        fields = (20, 0, member.method, 0, 0x21, member.crc, len(member.compressed), declared, len(name))
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0) + name + member.compressed
        directory += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + name
        count += 1
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    path.write_bytes(bytes(body + directory + end))
    return path


def _repeated_crc(crc: int, length: int, times: int) -> int:
    """CRC-32 of ``times`` copies of a block (by doubling: a few dozen combines however many copies)."""
    total, total_length = 0, 0
    while times:
        if times & 1:
            total = crc32_combine(total, crc, length) if total_length else crc
            total_length += length
        crc = crc32_combine(crc, crc, length)
        length *= 2
        times >>= 1
    return total


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of ``a + b`` from ``crc32(a)``, ``crc32(b)`` and ``len(b)`` (zlib's crc32_combine)."""
    if length2 <= 0:
        return crc1
    # ``operator`` appends one zero bit to a CRC; squared twice it appends a zero byte, and every further
    # squaring doubles the number of zero bytes it appends.
    operator = [0xEDB88320] + [1 << n for n in range(31)]
    operator = _squared(_squared(operator))
    while length2:
        operator = _squared(operator)
        if length2 & 1:
            crc1 = _times(operator, crc1)
        length2 >>= 1
    return crc1 ^ crc2


def _times(matrix: list[int], vector: int) -> int:
    total = 0
    index = 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _squared(matrix: list[int]) -> list[int]:
    return [_times(matrix, row) for row in matrix]


# --- XLSX ------------------------------------------------------------------------------------------

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
_RELATIONSHIP = (
    '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    '{kind}" Target="{target}"/>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>article_number</t></is></c></row>'


def sheet_xml(rows: bytes, *, before: bytes = b"", after: bytes = b"") -> bytes:
    """A worksheet part around ``rows`` (the content of ``sheetData``)."""
    return SHEET_HEAD.replace(b"<sheetData>", before + b"<sheetData>") + rows + SHEET_TAIL.replace(
        b"</sheetData>", b"</sheetData>" + after
    )


def shared_strings_xml(strings: Iterable[str]) -> bytes:
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</sst>'
    ).encode()


def xlsx_members(
    sheets: list[RawMember] | list[bytes], *, shared_strings: bytes | None = None, names: list[str] | None = None
) -> list[RawMember]:
    """The parts of a workbook whose sheets are ``sheets`` (``xl/worksheets/sheetN.xml`` parts or their XML)."""
    parts = [
        member if isinstance(member, RawMember) else deflated(f"xl/worksheets/sheet{n}.xml", member)
        for n, member in enumerate(sheets, start=1)
    ]
    names = names or [f"Sheet{n}" for n in range(1, len(parts) + 1)]
    entries = "".join(f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, 1))
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{entries}'
        "</sheets></workbook>"
    ).encode()
    relations = [
        _RELATIONSHIP.format(n=n, kind="worksheet", target=part.name.removeprefix("xl/"))
        for n, part in enumerate(parts, 1)
    ]
    members = [
        deflated("[Content_Types].xml", _CONTENT_TYPES),
        deflated("_rels/.rels", _ROOT_RELS),
        deflated("xl/workbook.xml", workbook),
    ]
    if shared_strings is not None:
        relations.append(_RELATIONSHIP.format(n=len(parts) + 1, kind="sharedStrings", target="sharedStrings.xml"))
        members.append(deflated("xl/sharedStrings.xml", shared_strings))
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{"".join(relations)}</Relationships>'
    ).encode()
    members.append(deflated("xl/_rels/workbook.xml.rels", rels))
    return members + parts


def write_xlsx(path: Path, *sheets: bytes, shared_strings: bytes | None = None) -> Path:
    """A minimal workbook of ``sheets`` (worksheet XML)."""
    return raw_zip(path, xlsx_members(list(sheets), shared_strings=shared_strings))


BOMB_ROW = b"<row>" + b"<c><v>1</v></c>" * 16 + b"</row>"


def sheet_bomb_member(*, xml_bytes: int, name: str = "xl/worksheets/sheet1.xml") -> RawMember:
    """A sheet of rows of 16 filled cells (``BOMB_ROW``) that unpacks to about ``xml_bytes``."""
    unit = BOMB_ROW * ((1 << 20) // len(BOMB_ROW))
    return repeated(name, head=SHEET_HEAD + HEADER_ROW, unit=unit, times=max(xml_bytes // len(unit), 1),
                    tail=SHEET_TAIL)


def write_sheet_bomb(path: Path, *, xml_bytes: int = 1900 << 20, declared_size: int | None = None) -> Path:
    """The reported bomb: a few MB of XLSX holding ``xml_bytes`` of sheet XML (about 1.9 GB by default).

    ``declared_size`` forges the size the ZIP directory gives the sheet part.
    """
    sheet = sheet_bomb_member(xml_bytes=xml_bytes)
    if declared_size is not None:
        sheet = RawMember(sheet.name, sheet.compressed, sheet.size, sheet.crc, declared_size=declared_size)
    return raw_zip(path, xlsx_members([sheet]))


# --- ODS -------------------------------------------------------------------------------------------

ODS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
    b"<office:body><office:spreadsheet>"
)
ODS_TAIL = b"</office:spreadsheet></office:body></office:document-content>"
ODS_HEADER_ROW = (
    b'<table:table-row><table:table-cell office:value-type="string"><text:p>article_number</text:p>'
    b"</table:table-cell></table:table-row>"
)


FILLED_ODS_CELL = b'<table:table-cell office:value-type="float" office:value="1"%s/>'
"""A filled ODS cell; ``%s`` takes more attributes (a repetition)."""


def ods_table(rows: bytes, *, name: str = "Sheet1") -> bytes:
    return f'<table:table table:name="{name}">'.encode() + rows + b"</table:table>"


def ods_members(content: bytes | RawMember) -> list[RawMember]:
    return [
        stored("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        content if isinstance(content, RawMember) else deflated("content.xml", content),
        deflated("META-INF/manifest.xml", b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                                          b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'),
    ]


def write_ods(path: Path, *tables: bytes) -> Path:
    """An ODS of ``tables`` (``ods_table`` XML)."""
    return raw_zip(path, ods_members(ODS_HEAD + b"".join(tables) + ODS_TAIL))


# --- XLS (BIFF8 in an OLE2 compound file) -------------------------------------------------------------

_SECTOR = 512
_END = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_FAT_SECTOR = 0xFFFFFFFD


def biff(kind: int, payload: bytes) -> bytes:
    return struct.pack("<HH", kind, len(payload)) + payload


def biff_bof(kind: int) -> bytes:
    return biff(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))


def biff_number(row: int, column: int, value: float) -> bytes:
    return biff(0x0203, struct.pack("<HHHd", row, column, 0, value))


def biff_label_sst(row: int, column: int, index: int) -> bytes:
    return biff(0x00FD, struct.pack("<HHHI", row, column, 0, index))


def biff_sst(strings: list[str], *, declared: int | None = None) -> bytes:
    body = b"".join(struct.pack("<HB", len(text), 0) + text.encode("latin-1") for text in strings)
    count = len(strings) if declared is None else declared
    return biff(0x00FC, struct.pack("<ii", count, count) + body)


def biff_dimensions(first_row: int, last_row: int, first_column: int, last_column: int) -> bytes:
    return biff(0x0200, struct.pack("<IIHHH", first_row, last_row, first_column, last_column, 0))


def xls_workbook_stream(sheet_records: bytes, *, globals_records: bytes = b"", sheet_name: str = "Sheet1") -> bytes:
    """Globals (BOF, codepage, one BOUNDSHEET, ``globals_records``, EOF) and one sheet of ``sheet_records``."""
    name = sheet_name.encode("latin-1")

    def globals_part(offset: int) -> bytes:
        boundsheet = biff(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 0) + name)
        codepage = biff(0x0042, struct.pack("<H", 1200))
        return biff_bof(0x0005) + codepage + boundsheet + globals_records + biff(0x000A, b"")

    offset = len(globals_part(0))
    sheet = biff_bof(0x0010) + sheet_records + biff(0x000A, b"")
    stream = globals_part(offset) + sheet
    # Keep the stream out of the mini stream (>= 4096 bytes): an unknown record calamine skips.
    if len(stream) < 4096:
        stream += biff(0x00EF, b"\x00" * (4096 - len(stream)))
    return stream


def ole_file(stream: bytes, *, name: str = "Workbook", loop: bool = False) -> bytes:
    """An OLE2 compound file holding ``stream`` (>= 4096 bytes) under ``name``; ``loop`` makes its chain loop."""
    count = -(-len(stream) // _SECTOR)
    per_fat = _SECTOR // 4
    fat_sectors = -(-(count + 2) // (per_fat - 1)) if count + 2 > 0 else 1
    while fat_sectors * per_fat < count + 1 + fat_sectors:
        fat_sectors += 1
    fat = [_FAT_SECTOR] * fat_sectors
    directory_sector = len(fat)
    fat.append(_END)
    first = len(fat)
    fat.extend(first + n + 1 for n in range(count - 1))
    fat.append(first if loop else _END)
    fat.extend([_FREE] * (fat_sectors * per_fat - len(fat)))
    directory = _entry("Root Entry", 5, start=_END, size=0, child=1) + _entry(name, 2, start=first, size=len(stream))
    directory += _entry("", 0, start=0, size=0) * 2
    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, fat_sectors, directory_sector, 0, 4096, _END, 0, _END, 0)
    difat = list(range(fat_sectors))[:109] + [_FREE] * (109 - min(fat_sectors, 109))
    header += struct.pack("<109I", *difat)
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + stream + b"\x00" * (-len(stream) % _SECTOR)
    return header + body


def _entry(name: str, kind: int, *, start: int, size: int, child: int = _FREE) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    entry = encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
    entry += struct.pack("<III", _FREE, _FREE, child) + b"\x00" * 16 + struct.pack("<I", 0) + b"\x00" * 16
    return entry + struct.pack("<IQ", start, size)


def write_xls(path: Path, sheet_records: bytes, *, globals_records: bytes = b"", loop: bool = False) -> Path:
    path.write_bytes(ole_file(xls_workbook_stream(sheet_records, globals_records=globals_records), loop=loop))
    return path
