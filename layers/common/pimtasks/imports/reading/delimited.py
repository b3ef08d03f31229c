"""CSV and TXT files: encoding detection, delimiter sniffing, streaming rows.

- Encoding: the layout's ``encoding`` when given. Otherwise a BOM decides (UTF-8, UTF-16); without one
  the whole file is checked as UTF-8 (one fast pass in 1 MiB chunks, so a stray byte on the millionth
  line is found before any row is imported), and a file that is not UTF-8 is read as Windows-1252
  (what Excel writes for "CSV" on western Windows), or as Latin-1 when it holds bytes cp1252 leaves
  undefined.
- Stray bytes: a file that is UTF-8 except for a few invalid bytes (its valid UTF-8 characters beyond
  ASCII outnumber them; a UTF-8 BOM settles it outright) is still read as UTF-8, not as cp1252 mojibake.
  The invalid bytes decode as U+FFFD and ``unreadable_rows`` reports each row holding one, naming the
  column and value, for the pipeline to reject; the other rows import. The same holds for a layout that
  says UTF-8; a file that is mostly not UTF-8 fails there as a whole, naming the first bad row.
- Delimiter: the layout's ``delimiter`` when given. Otherwise ``;``, ``,``, tab and ``|`` are tried on
  the first lines; the winner splits the most lines into as many fields as the header has (a Dutch
  ``12,50`` in a ``;`` file does not fool it, because it breaks the field count of ``,``).
- Rows: the record number counts the header (row 1) like a spreadsheet shows it; a quoted field with
  line breaks is one row. Only one row is in memory at a time.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pimtasks.domain.task_types import ImportLayout
from pimtasks.imports.errors import CorruptFileError, EmptyFileError, LayoutMismatchError
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.tables import Table, column_letter, header_text, trim_header
from pimtasks.imports.rows import RejectedRow, RowError, SourceRow, describe_value

DELIMITER_CANDIDATES = (";", ",", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 50
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_CHUNK = 1 << 20
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""What the ``surrogateescape`` error handler makes of a byte outside any valid UTF-8 sequence."""
REPLACEMENT = "\ufffd"
"""How a stray byte of a UTF-8 file reads (``errors="replace"``)."""


@dataclass(frozen=True, slots=True)
class TextEncoding:
    """How a text file is decoded.

    ``stray_bytes`` counts the bytes of a UTF-8 file that are not valid UTF-8: the file is decoded with
    ``errors="replace"`` and the rows where U+FFFD appears are rejected (see ``unreadable_rows``).
    """

    codec: str
    stray_bytes: int = 0

    @property
    def errors(self) -> str:
        """The ``errors`` argument of ``open``."""
        return "replace" if self.stray_bytes else "strict"


@dataclass(frozen=True, slots=True)
class Utf8Scan:
    """What one pass over a file as UTF-8 found."""

    beyond_ascii: int
    """Characters beyond ASCII in valid UTF-8 sequences (a BOM counts as one)."""
    invalid_bytes: int
    """Bytes that belong to no valid UTF-8 sequence."""

    @property
    def mostly_utf8(self) -> bool:
        """The invalid bytes are strays in a UTF-8 file: its valid UTF-8 characters outnumber them.

        Text written as cp1252 or Latin-1 almost never forms a valid multibyte sequence (that takes a
        capital accented letter followed by exactly the right number of symbols from 0x80-0xBF), so
        there nearly every byte beyond ASCII is invalid.
        """
        return self.beyond_ascii > self.invalid_bytes


def scan_utf8(path: Path) -> Utf8Scan:
    """Decode ``path`` as UTF-8 once, in 1 MiB chunks, counting valid characters beyond ASCII and invalid bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    beyond_ascii = invalid = 0
    with path.open("rb") as stream:
        while True:
            chunk = stream.read(_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if not text.isascii():
                escaped = len(_ESCAPED_BYTE.findall(text))
                invalid += escaped
                beyond_ascii += len(text) - len(text.encode("ascii", "ignore")) - escaped
            if not chunk:
                return Utf8Scan(beyond_ascii=beyond_ascii, invalid_bytes=invalid)


def detect_encoding(path: Path) -> TextEncoding:
    """How to read ``path`` when the layout names no encoding (see the module docstring for the rule)."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return _utf8("utf-8-sig", scan_utf8(path), bom=True)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return TextEncoding("utf-16")
    scan = scan_utf8(path)
    if not scan.invalid_bytes or scan.mostly_utf8:
        return _utf8("utf-8", scan, bom=False)
    return TextEncoding("latin-1" if _has_cp1252_undefined(path) else "cp1252")


def _utf8(codec: str, scan: Utf8Scan, *, bom: bool) -> TextEncoding:
    """UTF-8, with stray bytes when a few are invalid (with a BOM, however many there are).

    Otherwise a file that is mostly not UTF-8 is read strictly, so it fails at its first bad row.
    """
    if scan.invalid_bytes and (bom or scan.mostly_utf8):
        return TextEncoding(codec, stray_bytes=scan.invalid_bytes)
    return TextEncoding(codec)


def _has_cp1252_undefined(path: Path) -> bool:
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if any(byte in chunk for byte in _CP1252_UNDEFINED):
                return True
    return False


def sniff_delimiter(sample: str, *, quote_char: str) -> str:
    """The most plausible delimiter for ``sample`` (whole lines of the file's start)."""
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut off mid-record
    lines = [line for line in lines[:_SNIFF_LINES] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (0, 0, 0)
    for delimiter in DELIMITER_CANDIDATES:
        records = list(csv.reader(lines, delimiter=delimiter, quotechar=quote_char))
        width = len(records[0]) if records else 0
        if width < 2:
            continue
        consistent = sum(1 for record in records if len(record) == width)
        # Ties: more consistent lines first, then wider headers, then candidate order (; before ,).
        score = (consistent, width, -DELIMITER_CANDIDATES.index(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def open_text_table(path: Path, *, file: str, layout: ImportLayout | None, limits: ReadLimits) -> Table:
    """The table of a CSV/TXT file, header read, encoding and delimiter settled."""
    encoding = _encoding(path, layout=layout)
    quote_char = layout.quote_char if layout else '"'
    with path.open("r", encoding=encoding.codec, errors=encoding.errors, newline="") as stream:
        try:
            sample = stream.read(_SNIFF_CHARS)
        except UnicodeDecodeError as error:
            raise _decode_error(encoding.codec, error) from error
    if not sample.strip():
        raise EmptyFileError("the file holds no text (only blanks or line breaks)")
    delimiter = layout.delimiter if layout and layout.delimiter else sniff_delimiter(sample, quote_char=quote_char)
    return DelimitedTable(
        path=path,
        file=file,
        encoding=encoding,
        delimiter=delimiter,
        quote_char=quote_char,
        header_row=layout.header_row if layout else 1,
        first_data_row=layout.first_data_row if layout else 2,
        limits=limits,
    )


def _encoding(path: Path, *, layout: ImportLayout | None) -> TextEncoding:
    if layout and layout.encoding:
        try:
            codec = codecs.lookup(layout.encoding).name
        except LookupError as error:
            raise LayoutMismatchError(f"the layout's encoding {layout.encoding!r} is not a known encoding") from error
        if codec in ("utf-8", "utf-8-sig"):
            # A BOM is not data: read it away even when the layout says plain utf-8.
            return _utf8("utf-8-sig", scan_utf8(path), bom=False)
        return TextEncoding(codec)
    return detect_encoding(path)


def _decode_error(encoding: str, error: UnicodeDecodeError, *, row: int | None = None) -> CorruptFileError:
    where = f" in row {row}" if row else ""
    return CorruptFileError(
        f"the file is not valid {encoding} text{where} ({error.reason} at byte {error.start}); "
        "save it as UTF-8 or set the right encoding in the layout",
        row=row,
    )


class DelimitedTable(Table):
    """A CSV/TXT file; every ``rows()`` call reopens it."""

    def __init__(
        self,
        *,
        path: Path,
        file: str,
        encoding: TextEncoding,
        delimiter: str,
        quote_char: str,
        header_row: int,
        first_data_row: int,
        limits: ReadLimits,
    ) -> None:
        self._path = path
        self.encoding = encoding.codec
        self.stray_bytes = encoding.stray_bytes
        """Bytes that are not valid UTF-8 in a file read as UTF-8 (their rows are ``unreadable_rows``)."""
        self._errors = encoding.errors
        self.delimiter = delimiter
        self._quote_char = quote_char
        # Data never starts at or above the header, whatever the layout's first_data_row says.
        self._first_data_row = max(first_data_row, header_row + 1)
        self._limits = limits
        self._file = file
        header = self._read_header(header_row=header_row, file=file)
        super().__init__(file=file, sheet=None, header_row=header_row, header=header)

    def _reader(self, stream: TextIO) -> Iterator[list[str]]:
        return csv.reader(stream, delimiter=self.delimiter, quotechar=self._quote_char, strict=False)

    def _open(self) -> TextIO:
        return self._path.open("r", encoding=self.encoding, errors=self._errors, newline="")

    def _read_header(self, *, header_row: int, file: str) -> list[str]:
        with self._open() as stream:
            for number, record in enumerate(self._guarded(stream), start=1):
                if number == header_row:
                    header = trim_header([header_text(cell) for cell in record])
                    if not header:
                        break
                    if len(header) > self._limits.max_columns:
                        raise CorruptFileError(
                            f"the header has {len(header)} columns, more than {self._limits.max_columns}"
                        )
                    self._check_header_bytes(header, header_row=header_row)
                    return header
        raise EmptyFileError(f"the file has no header in row {header_row}", file=file, row=header_row)

    def _check_header_bytes(self, header: list[str], *, header_row: int) -> None:
        """Stray bytes in a header cell fail the file: its columns cannot be told apart reliably."""
        if not self.stray_bytes:
            return
        for position, name in enumerate(header):
            if REPLACEMENT in name:
                letter = column_letter(position)
                raise CorruptFileError(
                    f"the header row (row {header_row}) holds bytes that are not valid UTF-8 (shown as "
                    f"{REPLACEMENT}) in column {letter}, while the rest of the file is UTF-8; correct the "
                    "column name in the file",
                    row=header_row,
                    column=letter,
                    value=_excerpt(name),
                )

    def _guarded(self, stream: TextIO) -> Iterator[list[str]]:
        """Records, with decoding and CSV errors turned into file errors naming the row."""
        number = 0
        records = self._reader(stream)
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                raise _decode_error(self.encoding, error, row=number + 1) from error
            except csv.Error as error:
                raise CorruptFileError(f"row {number + 1} cannot be read as CSV ({error})", row=number + 1) from error
            number += 1
            if number > self._limits.max_rows:
                raise self._limits.exceeded(
                    "max_rows", f"the file has more than {self._limits.max_rows:,} rows", file=self._file
                )
            yield record

    def rows(self, *, after_row: int = 0) -> Iterator[SourceRow]:
        """Data records after the header (and after ``after_row``); blank records are skipped."""
        skip_through = max(after_row, self._first_data_row - 1)
        file, header = self.file, self.header
        with self._open() as stream:
            for number, record in enumerate(self._guarded(stream), start=1):
                if number <= skip_through:
                    continue
                if record.count("") == len(record):
                    continue
                yield SourceRow(file, None, number, header, record)

    def unreadable_rows(self, rows: Sequence[SourceRow]) -> dict[int, RejectedRow]:
        """The rows of ``rows`` holding bytes that are not valid UTF-8, by row number; one error per cell.

        Only a UTF-8 file with stray bytes has any: there U+FFFD marks an invalid byte (a U+FFFD the
        file holds as valid UTF-8 is taken for one too; it is the trace of an earlier mis-decoding).
        """
        if not self.stray_bytes:
            return {}
        found: dict[int, RejectedRow] = {}
        for row in rows:
            errors = tuple(
                self._stray_bytes_error(row, position, cell)
                for position, cell in enumerate(row.values)
                if isinstance(cell, str) and REPLACEMENT in cell
            )
            if errors:
                found[row.row] = RejectedRow(row, errors)
        return found

    def _stray_bytes_error(self, row: SourceRow, position: int, cell: str) -> RowError:
        label = self.column_label(position)
        shown = _excerpt(cell)
        return RowError(
            row.file,
            row.sheet,
            row.row,
            label,
            shown,
            f"{label}: {shown!r} holds bytes that are not valid UTF-8 (shown as {REPLACEMENT}), while the rest "
            "of the file is UTF-8; the row is not imported: correct those characters and import it again",
        )


def _excerpt(cell: str, *, limit: int = 60) -> str:
    """``cell`` cut to ``limit`` characters around its first U+FFFD, so the message shows where it is."""
    first = cell.find(REPLACEMENT)
    if len(cell) <= limit or first < limit - 1:
        return describe_value(cell, limit=limit)
    start = max(0, first - limit // 2)
    end = min(len(cell), start + limit - 2)
    return "…" + cell[start:end] + ("…" if end < len(cell) else "")
