"""CSV and TXT files: encoding detection, delimiter sniffing, streaming rows.

- Encoding: the layout's ``encoding`` when given. Otherwise a BOM decides (UTF-8, UTF-16); without one
  the whole file is checked as UTF-8 (one fast pass in 1 MiB chunks, so a stray byte on the millionth
  line is found before any row is imported), and a file that is not UTF-8 is read as Windows-1252
  (what Excel writes for "CSV" on western Windows), or as Latin-1 when it holds bytes cp1252 leaves
  undefined.
- Delimiter: the layout's ``delimiter`` when given. Otherwise ``;``, ``,``, tab and ``|`` are tried on
  the first lines; the winner splits the most lines into as many fields as the header has (a Dutch
  ``12,50`` in a ``;`` file does not fool it, because it breaks the field count of ``,``).
- Rows: the record number counts the header (row 1) like a spreadsheet shows it; a quoted field with
  line breaks is one row. Only one row is in memory at a time.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from pimtasks.domain.task_types import ImportLayout
from pimtasks.imports.errors import CorruptFileError, EmptyFileError, LayoutMismatchError
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.tables import Table, header_text, trim_header
from pimtasks.imports.rows import SourceRow

DELIMITER_CANDIDATES = (";", ",", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 50
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_CHUNK = 1 << 20


def detect_encoding(path: Path) -> str:
    """The codec to read ``path`` with (see the module docstring for the rule)."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf8(path):
        return "utf-8"
    return "latin-1" if _has_cp1252_undefined(path) else "cp1252"


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


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
    with path.open("r", encoding=encoding, newline="") as stream:
        try:
            sample = stream.read(_SNIFF_CHARS)
        except UnicodeDecodeError as error:
            raise _decode_error(encoding, error) from error
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


def _encoding(path: Path, *, layout: ImportLayout | None) -> str:
    if layout and layout.encoding:
        try:
            codec = codecs.lookup(layout.encoding).name
        except LookupError as error:
            raise LayoutMismatchError(f"the layout's encoding {layout.encoding!r} is not a known encoding") from error
        # A BOM is not data: read it away even when the layout says plain utf-8.
        return "utf-8-sig" if codec == "utf-8" else codec
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
        encoding: str,
        delimiter: str,
        quote_char: str,
        header_row: int,
        first_data_row: int,
        limits: ReadLimits,
    ) -> None:
        self._path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self._quote_char = quote_char
        # Data never starts at or above the header, whatever the layout's first_data_row says.
        self._first_data_row = max(first_data_row, header_row + 1)
        self._limits = limits
        header = self._read_header(header_row=header_row, file=file)
        super().__init__(file=file, sheet=None, header_row=header_row, header=header)

    def _reader(self, stream: TextIO) -> Iterator[list[str]]:
        return csv.reader(stream, delimiter=self.delimiter, quotechar=self._quote_char, strict=False)

    def _read_header(self, *, header_row: int, file: str) -> list[str]:
        with self._path.open("r", encoding=self.encoding, newline="") as stream:
            for number, record in enumerate(self._guarded(stream), start=1):
                if number == header_row:
                    header = trim_header([header_text(cell) for cell in record])
                    if not header:
                        break
                    if len(header) > self._limits.max_columns:
                        raise CorruptFileError(
                            f"the header has {len(header)} columns, more than {self._limits.max_columns}"
                        )
                    return header
        raise EmptyFileError(f"the file has no header in row {header_row}", file=file, row=header_row)

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
            yield record

    def rows(self, *, after_row: int = 0) -> Iterator[SourceRow]:
        """Data records after the header (and after ``after_row``); blank records are skipped."""
        skip_through = max(after_row, self._first_data_row - 1)
        file, header = self.file, self.header
        with self._path.open("r", encoding=self.encoding, newline="") as stream:
            for number, record in enumerate(self._guarded(stream), start=1):
                if number <= skip_through:
                    continue
                if record.count("") == len(record):
                    continue
                yield SourceRow(file, None, number, header, record)
