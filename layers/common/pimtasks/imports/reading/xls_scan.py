"""What python-calamine would hold for an XLS (BIFF in an OLE2 compound file), measured before it loads.

calamine reads an XLS whole when the workbook is opened: the compound file's tables, the workbook stream,
the shared-strings table and every sheet. Several of its steps trust numbers in the file: the sizes of
the compound file's tables and streams, the number of shared strings (it reserves room for all of them),
a sheet's DIMENSIONS record (it reserves rows x columns cells) and the sheet offsets; sector chains are
followed as they are, so a chain that loops never ends. A few hundred hostile bytes can so make it
allocate terabytes, panic or spin. This module walks the same structures in Python first, in bounded
memory and time (``ReadLimits.max_xls_bytes`` caps the stream it holds), and fails the file with a clear
error before calamine sees anything it cannot handle:

- the compound file: header fields within the file, every sector chain (DIFAT, FAT, directory, mini
  FAT, mini stream, workbook stream) inside the file and free of loops, the stream no longer than the file;
- the workbook globals: sheets (``max_sheets``), each sheet's offset inside the stream, sheets that do not
  overlap, the shared-strings count (``max_shared_strings``) and each string's length;
- each sheet, from its offset to its EOF record as calamine reads it: the cells and their rectangle (and
  the rectangle of formula cells, which calamine keeps too), the room a DIMENSIONS record reserves, the
  last row, the shared text copied into cells and the merged ranges.

All sheets are loaded together, so their cells are added up against ``max_cells``.
"""

from __future__ import annotations

import array
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pimtasks.imports.errors import CorruptFileError
from pimtasks.imports.reading.limits import ReadLimits, size_text
from pimtasks.imports.reading.xlsx_scan import SheetStats

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_STREAM_NAMES = ("Workbook", "Book")
_RECORD = struct.Struct("<HH")
# BIFF record types (MS-XLS 2.3)
_EOF, _BOF, _BOUNDSHEET, _SST, _CONTINUE = 0x000A, 0x0809, 0x0085, 0x00FC, 0x003C
_DIMENSIONS, _MERGE_CELLS, _LABEL_SST, _MUL_RK, _FORMULA, _STRING = 0x0200, 0x00E5, 0x00FD, 0x00BD, 0x0006, 0x0207
_CELLS = frozenset({0x0203, 0x0204, 0x0205, 0x027E})  # NUMBER, LABEL, BOOLERR, RK
_UTF8_BYTES_PER_CHAR = 3
_MAX_DIRECTORY = 32768
"""Sectors of a compound file's directory (16 MiB of entries); real ones take a few."""


@dataclass
class XlsSheet:
    """One sheet substream as calamine reads it."""

    offset: int
    name: str
    stats: SheetStats = field(default_factory=SheetStats)
    formulas: SheetStats = field(default_factory=SheetStats)
    reserved: int = 0
    """Cells a DIMENSIONS record makes calamine reserve room for."""
    end: int = 0

    @property
    def cells(self) -> int:
        return max(self.stats.rectangle, self.reserved) + self.formulas.rectangle


def check_xls(path: Path, *, limits: ReadLimits) -> None:
    """Fail when the XLS at ``path`` is beyond a limit or is a file calamine would mishandle (see above)."""
    size = path.stat().st_size
    if size > limits.max_xls_bytes:
        raise limits.exceeded("max_xls_bytes", f"the XLS file has {size_text(size)}")
    with path.open("rb") as stream:
        workbook = _CompoundFile(stream, size=size).workbook_stream()
    sheets, strings = _globals(workbook, limits=limits)
    total = 0
    text = 0
    previous: XlsSheet | None = None
    for sheet in sorted(sheets, key=lambda item: item.offset):
        if previous is not None and sheet.offset < previous.end:
            raise _damaged(f"sheets {previous.name!r} and {sheet.name!r} overlap")
        _read_sheet(workbook, sheet, strings=strings)
        previous = sheet
        _check_sheet(sheet, limits=limits)
        total += sheet.cells
        text += sheet.stats.text_bytes
        if total > limits.max_cells:
            raise limits.exceeded(
                "max_cells", f"the workbook's sheets, all loaded together, hold {total:,} cells (up to sheet "
                             f"{sheet.name!r})", sheet=sheet.name)
        if text > limits.max_text_bytes:
            raise limits.exceeded("max_text_bytes", f"the cells of the workbook copy {text >> 20:,} MiB of shared "
                                                    "text", sheet=sheet.name)


def _check_sheet(sheet: XlsSheet, *, limits: ReadLimits) -> None:
    name, stats = sheet.name, sheet.stats
    if stats.rows > limits.max_rows:
        raise limits.exceeded("max_rows", f"sheet {name!r} uses rows up to row {stats.rows:,}", sheet=name)
    if sheet.reserved > limits.max_cells:
        raise limits.exceeded("max_cells", f"sheet {name!r} declares {sheet.reserved:,} cells (DIMENSIONS)",
                              sheet=name)
    if stats.merged_ranges > limits.max_merged_ranges:
        raise limits.exceeded("max_merged_ranges", f"sheet {name!r} has {stats.merged_ranges:,} merged ranges",
                              sheet=name)


# --- the compound file -----------------------------------------------------------------------------


class _CompoundFile:
    """Just enough of MS-CFB to find the workbook stream, with every number checked against the file."""

    def __init__(self, stream: BinaryIO, *, size: int) -> None:
        self._stream = stream
        header = stream.read(512)
        if len(header) < 512 or header[:8] != _SIGNATURE:
            raise _damaged("it is not a valid OLE2 compound file")
        shift, mini_shift = struct.unpack_from("<HH", header, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise _damaged("unexpected sector sizes")
        self._sector = 1 << shift
        self._sectors = max((size - self._sector) // self._sector, 0)
        dir_sectors, fat_sectors, self._dir_start = struct.unpack_from("<III", header, 40)
        self._mini_fat_start, mini_fat_sectors, difat_start, difat_sectors = struct.unpack_from("<IIII", header, 60)
        for count in (dir_sectors, fat_sectors, mini_fat_sectors, difat_sectors):
            if count > self._sectors:
                raise _damaged("its header declares more sectors than the file has")
        self._mini_fat_sectors = mini_fat_sectors
        self._fat = self._read_fat(header, difat_start=difat_start, difat_sectors=difat_sectors)

    def _read_sector(self, number: int) -> bytes:
        if number >= self._sectors:
            raise _damaged("a sector number points outside the file")
        self._stream.seek((number + 1) * self._sector)
        data = self._stream.read(self._sector)
        if len(data) < self._sector:
            raise _damaged("the file is cut short")
        return data

    def _read_fat(self, header: bytes, *, difat_start: int, difat_sectors: int) -> array.array[int]:
        per_sector = self._sector // 4
        # A FAT needs one sector per ``per_sector`` sectors of the file; more is not a FAT but a bomb.
        most = self._sectors // per_sector + 2
        difat = [number for number in struct.unpack_from("<109I", header, 76) if number not in (_FREE, _END_OF_CHAIN)]
        sector, steps = difat_start, 0
        while sector not in (_END_OF_CHAIN, _FREE):
            steps += 1
            if steps > difat_sectors + 1 or len(difat) > most:
                raise _damaged("its table of FAT sectors (DIFAT) loops or is too long")
            entries = struct.unpack(f"<{per_sector}I", self._read_sector(sector))
            difat.extend(number for number in entries[:-1] if number not in (_FREE, _END_OF_CHAIN))
            sector = entries[-1]
        if len(difat) > most:
            raise _damaged("it declares more FAT sectors than the file needs")
        fat = array.array("I")
        for number in difat:
            fat.frombytes(self._read_sector(number))
        if sys.byteorder == "big":  # pragma: no cover
            fat.byteswap()
        return fat

    def _chain(self, start: int, *, table: array.array[int], limit: int, what: str) -> list[int]:
        """The sector numbers of a chain, refused when it loops or leaves ``table`` / the file."""
        chain: list[int] = []
        sector = start
        while sector != _END_OF_CHAIN:
            if sector >= len(table) or sector >= limit or len(chain) >= limit:
                raise _damaged(f"the chain of its {what} is broken or loops")
            chain.append(sector)
            sector = table[sector]
        return chain

    def _read_chain(self, start: int, *, size: int, what: str) -> bytearray:
        """A chain's bytes (cut to ``size`` when given), held once: up to ``max_xls_bytes``."""
        if size > self._sectors * self._sector:
            raise _damaged(f"its {what} is declared larger than the file")
        data = bytearray()
        for sector in self._chain(start, table=self._fat, limit=self._sectors, what=what):
            data += self._read_sector(sector)
        if size:
            del data[size:]
        return data

    def workbook_stream(self) -> bytearray:
        """The workbook stream, after checking every chain calamine follows when it opens the file."""
        if len(self._chain(self._dir_start, table=self._fat, limit=self._sectors, what="directory")) > _MAX_DIRECTORY:
            raise _damaged("its directory is implausibly large")
        directory = self._read_chain(self._dir_start, size=0, what="directory")
        if len(directory) < 128:
            raise _damaged("its directory is empty")
        root = directory[:128]
        root_start, root_size = _entry_extent(root, sector=self._sector)
        self._chain(root_start, table=self._fat, limit=self._sectors, what="mini stream")
        if self._mini_fat_sectors:
            self._chain(self._mini_fat_start, table=self._fat, limit=self._sectors, what="mini FAT")
        for wanted in _STREAM_NAMES:
            for offset in range(0, len(directory) - 127, 128):
                entry = directory[offset:offset + 128]
                if _entry_name(entry) == wanted:
                    return self._stream_data(entry, root=(root_start, root_size))
        raise _damaged("it holds no workbook stream")

    def _stream_data(self, entry: bytes, *, root: tuple[int, int]) -> bytearray:
        start, size = _entry_extent(entry, sector=self._sector)
        if size >= _MINI_CUTOFF:
            return self._read_chain(start, size=size, what="workbook stream")
        mini_stream = self._read_chain(root[0], size=root[1], what="mini stream")
        mini_fat = array.array("I")
        if self._mini_fat_sectors:
            mini_fat.frombytes(self._read_chain(self._mini_fat_start, size=self._mini_fat_sectors * self._sector,
                                                what="mini FAT"))
        if sys.byteorder == "big":  # pragma: no cover
            mini_fat.byteswap()
        sectors = len(mini_stream) // _MINI_SECTOR
        data = bytearray()
        for sector in self._chain(start, table=mini_fat, limit=sectors, what="workbook stream"):
            data += mini_stream[sector * _MINI_SECTOR:(sector + 1) * _MINI_SECTOR]
        del data[size:]
        return data


def _entry_name(entry: bytes) -> str:
    length = min(struct.unpack_from("<H", entry, 64)[0], 64)
    return entry[: max(length - 2, 0)].decode("utf-16-le", errors="replace")


def _entry_extent(entry: bytes, *, sector: int) -> tuple[int, int]:
    start = struct.unpack_from("<I", entry, 116)[0]
    size = struct.unpack_from("<I" if sector == 512 else "<Q", entry, 120)[0]
    return start, size


def _damaged(why: str) -> CorruptFileError:
    return CorruptFileError(f"the XLS file is damaged or forged: {why}")


# --- BIFF records ----------------------------------------------------------------------------------


def _records(stream: bytes, offset: int) -> tuple[int, int, int]:
    """``(type, payload start, payload end)`` of the record at ``offset`` (type -1 past the end)."""
    if offset + 4 > len(stream):
        return -1, offset, offset
    kind, length = _RECORD.unpack_from(stream, offset)
    end = offset + 4 + length
    if end > len(stream):
        return -1, offset, offset
    return kind, offset + 4, end


def _globals(stream: bytes, *, limits: ReadLimits) -> tuple[list[XlsSheet], list[int]]:
    """The sheets (offset and name) and the shared strings' lengths (in UTF-8 bytes, at most)."""
    sheets: list[XlsSheet] = []
    strings: list[int] = []
    offset = 0
    while True:
        kind, start, end = _records(stream, offset)
        if kind in (-1, _EOF):
            break
        if kind == _BOUNDSHEET and end - start >= 6:
            position = struct.unpack_from("<I", stream, start)[0]
            if position >= len(stream):
                raise _damaged("a sheet starts outside the workbook stream")
            sheets.append(XlsSheet(offset=position, name=_sheet_name(stream[start + 6:end])))
            if len(sheets) > limits.max_sheets:
                raise limits.exceeded("max_sheets", f"the workbook has more than {limits.max_sheets:,} sheets")
        elif kind == _SST and end - start >= 8:
            strings, end = _shared_strings(stream, start=start, end=end, limits=limits)
        offset = end
    return sheets, strings


def _sheet_name(data: bytes) -> str:
    if len(data) < 2:
        return ""
    count, flags = data[0], data[1]
    text = data[2:]
    return (text[: count * 2].decode("utf-16-le", errors="replace") if flags & 1
            else text[:count].decode("latin-1"))


def _shared_strings(stream: bytes, *, start: int, end: int, limits: ReadLimits) -> tuple[list[int], int]:
    """Lengths of the SST's strings (and where its last CONTINUE record ends), as calamine decodes them."""
    declared = struct.unpack_from("<i", stream, start + 4)[0]
    if declared < 0 or declared > limits.max_shared_strings:
        raise limits.exceeded("max_shared_strings", f"the workbook declares {declared:,} shared strings")
    segments = [stream[start + 8:end]]
    offset = end
    while True:
        kind, payload, after = _records(stream, offset)
        if kind != _CONTINUE:
            break
        segments.append(stream[payload:after])
        offset = after
    reader = _SegmentReader(segments)
    lengths: list[int] = []
    for _ in range(declared):
        length = reader.string_length()
        if length is None:
            break  # calamine fails on a cut table; the file fails there, nothing is loaded
        lengths.append(length)
    return lengths, offset


class _SegmentReader:
    """Reads XLUnicodeRichExtendedString headers over an SST record and its CONTINUE records."""

    def __init__(self, segments: list[bytes]) -> None:
        self._segments = segments
        self._index = 0
        self._at = 0

    def _current(self) -> bytes:
        return self._segments[self._index] if self._index < len(self._segments) else b""

    def _next_segment(self) -> bool:
        self._index += 1
        self._at = 0
        return self._index < len(self._segments)

    def _skip(self, count: int) -> bool:
        while count > 0:
            available = len(self._current()) - self._at
            if available >= count:
                self._at += count
                return True
            count -= available
            if not self._next_segment():
                return False
        return True

    def string_length(self) -> int | None:
        if self._at >= len(self._current()) and not self._next_segment():
            return None
        data = self._current()
        if len(data) - self._at < 3:
            return None
        characters, flags = struct.unpack_from("<HB", data, self._at)
        self._at += 3
        runs = extension = 0
        if flags & 0x8:
            if len(data) - self._at < 2:
                return None
            runs = struct.unpack_from("<H", data, self._at)[0]
            self._at += 2
        if flags & 0x4:
            if len(data) - self._at < 4:
                return None
            extension = max(struct.unpack_from("<i", data, self._at)[0], 0)
            self._at += 4
        wide = bool(flags & 0x1)
        remaining = characters
        while remaining > 0:
            data = self._current()
            available = (len(data) - self._at) // (2 if wide else 1)
            taken = min(available, remaining)
            self._at += taken * (2 if wide else 1)
            remaining -= taken
            if remaining:
                if not self._next_segment() or not self._current():
                    return None
                wide = bool(self._current()[0] & 0x1)  # a continued string restates its width
                self._at = 1
        if not self._skip(runs * 4 + extension):
            return None
        return characters * _UTF8_BYTES_PER_CHAR


def _read_sheet(stream: bytes, sheet: XlsSheet, *, strings: list[int]) -> None:
    """The sheet's records from its offset to its EOF, as calamine reads them."""
    stats, formulas = sheet.stats, sheet.formulas
    formula_at = (0, 0)
    offset = sheet.offset
    while True:
        kind, start, end = _records(stream, offset)
        if kind in (-1, _EOF):
            sheet.end = end
            return
        payload = stream[start:end]
        if kind in _CELLS and len(payload) >= 4:
            stats.place(*struct.unpack_from("<HH", payload))
        elif kind == _LABEL_SST and len(payload) >= 10:
            row, column, _, index = struct.unpack_from("<HHHI", payload)
            if index < len(strings) and strings[index]:
                stats.place(row, column)
                stats.text_bytes += strings[index]
        elif kind == _MUL_RK and len(payload) >= 6:
            row, first = struct.unpack_from("<HH", payload)
            count = (len(payload) - 6) // 6
            if count:
                stats.place(row, first + count - 1)
                stats.cells += count - 1
        elif kind == _FORMULA and len(payload) >= 20:
            formula_at = struct.unpack_from("<HH", payload)
            stats.place(*formula_at)
            formulas.place(*formula_at)
        elif kind == _STRING:
            stats.place(*formula_at)
        elif kind == _DIMENSIONS:
            sheet.reserved = max(sheet.reserved, _reserved_cells(payload))
        elif kind == _MERGE_CELLS and len(payload) >= 2:
            stats.merged_ranges += struct.unpack_from("<H", payload)[0]
        offset = end


def _reserved_cells(payload: bytes) -> int:
    """rows x columns calamine reserves for a DIMENSIONS record (u32 arithmetic wraps: a wrap is huge)."""
    if len(payload) == 14:
        first_row, last_row, first_column, last_column = struct.unpack_from("<IIHH", payload)
    elif len(payload) == 10:
        first_row, last_row, first_column, last_column = struct.unpack_from("<HHHH", payload)
    else:
        return 0
    if last_row >= 1 and last_column >= 1:
        end_row, end_column = last_row - 1, last_column - 1
    else:
        end_row, end_column = first_row, first_column
    rows = (end_row - first_row + 1) % (1 << 32)
    columns = (end_column - first_column + 1) % (1 << 32)
    return rows * columns
