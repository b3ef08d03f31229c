"""Export file writers: rows in, one or more files on local disk out, at constant memory.

Every writer streams: a row is formatted and written when it arrives, nothing is kept per row. A writer that
must change a value to keep the file valid (XLSX text over 32,767 characters) records an ``ExportWarning``
naming the record and field, which the run reports.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from pimtasks.domain.task_types import CsvOptions
from pimtasks.exports.columns import Column
from pimtasks.exports.values import converters, converting, json_converter, text_converter


@dataclass(slots=True)
class ExportRow:
    """One record to write: its natural key (its label in messages), its JSON-form data (formats with their own
    structure read it) and its values for the columns, as stored."""

    key: tuple[str, ...]
    data: dict[str, Any]
    values: Sequence[Any]
    deleted: bool = False

    @property
    def label(self) -> str:
        """How messages name the record: its key's filled parts (the article number of a product)."""
        return "/".join(part for part in self.key if part) or "?"


@dataclass(frozen=True)
class ExportWarning:
    record: str
    field: str
    text: str


@dataclass(frozen=True)
class WrittenFile:
    """A finished file: its name (as published) and where it is on disk."""

    name: str
    path: Path


@dataclass
class WriterOutput:
    warnings: list[ExportWarning] = field(default_factory=list)


class ExportWriter(Protocol):
    output: WriterOutput
    resumable: bool
    """Whether the file can be sent in parts and continued by a fresh invocation (text formats; not XLSX)."""

    def write(self, row: ExportRow) -> None: ...

    def segment(self) -> tuple[Path, int]:
        """The local file holding what was written since the last ``clear_segment`` (flushed), and its size."""
        ...

    def clear_segment(self) -> None:
        """Forget what ``segment`` gave (it was sent as a part): the local file starts empty again."""
        ...

    def state(self) -> dict[str, Any]:
        """What a writer continuing this file in another invocation needs (given to it as ``resume``)."""
        ...

    def finish(self) -> list[WrittenFile]:
        """Close the file(s); what was written, in order (several for a split XLSX)."""
        ...

    def abort(self) -> None:
        """Close without finishing (the files are left for the caller's temporary directory to remove)."""
        ...


class TextSegments:
    """A text file written in segments: what was sent as a part is truncated away (constant disk and memory)."""

    _stream: IO[str]
    _path: Path

    def segment(self) -> tuple[Path, int]:
        self._stream.flush()
        return self._path, self._path.stat().st_size

    def clear_segment(self) -> None:
        self._stream.flush()
        self._stream.seek(0)
        self._stream.truncate()


_QUOTING: dict[str, Literal[0, 1, 2, 3]] = {"minimal": csv.QUOTE_MINIMAL, "all": csv.QUOTE_ALL,
                                            "non_numeric": csv.QUOTE_NONNUMERIC, "none": csv.QUOTE_NONE}


class CsvExportWriter(TextSegments):
    """Delimited text: the layout's headers, decimal comma and date format; the task's delimiter, encoding, BOM
    and quoting. A character the encoding cannot hold is written as ``?`` (and warned once per field)."""

    def __init__(self, *, path: Path, name: str, columns: Sequence[Column], options: CsvOptions,
                 decimal_comma: bool, date_format: str, header: bool, resume: dict[str, Any] | None = None) -> None:
        self.output = WriterOutput()
        # UTF-16 writes a byte order mark wherever its encoder starts: such a file is written in one piece.
        self.resumable = options.encoding != "utf-16"
        self._file = WrittenFile(name=name, path=path)
        self._path = path
        self._stream = path.open("w", encoding=options.encoding, errors="strict", newline="")
        if options.bom and options.encoding == "utf-8" and resume is None:
            self._stream.write("\ufeff")  # by hand, not utf-8-sig: a truncated segment must not get another
        self._encoding = options.encoding
        quoting = _QUOTING[options.quoting]
        self._csv = csv.writer(self._stream, delimiter=options.delimiter, quoting=quoting,
                               escapechar="\\" if quoting == csv.QUOTE_NONE else None,
                               lineterminator="\r\n" if options.line_end == "crlf" else "\n")
        self._columns = list(columns)
        # QUOTE_NONNUMERIC leaves numbers unquoted only when they are numbers (not with a decimal comma: text).
        self._convert = converting(columns, lambda column: text_converter(
            column, decimal_comma=decimal_comma, date_format=date_format,
            numbers=quoting == csv.QUOTE_NONNUMERIC))
        self._warned: set[str] = set()
        if header and resume is None:
            self._csv.writerow([column.header for column in columns])

    def state(self) -> dict[str, Any]:
        return {}

    def write(self, row: ExportRow) -> None:
        cells = list(row.values)
        for index, convert in self._convert:
            cells[index] = convert(cells[index])
        try:
            self._csv.writerow(cells)
        except UnicodeEncodeError:
            self._csv.writerow([self._encodable(row, index, cell) for index, cell in enumerate(cells)])

    def _encodable(self, row: ExportRow, index: int, cell: Any) -> Any:
        if not isinstance(cell, str):
            return cell
        encoded = cell.encode(self._encoding, errors="replace").decode(self._encoding)
        field_name = self._columns[index].field
        if encoded != cell and field_name not in self._warned:
            self._warned.add(field_name)
            self.output.warnings.append(ExportWarning(
                record=row.label, field=field_name,
                text=f"characters that {self._encoding} cannot hold were written as '?' (first in this record; "
                     "choose encoding utf-8 to keep them)"))
        return encoded

    def finish(self) -> list[WrittenFile]:
        self._stream.close()
        return [self._file]

    def abort(self) -> None:
        self._stream.close()


class JsonExportWriter(TextSegments):
    """A JSON array of objects (header -> value), or NDJSON (one object a line); UTF-8."""

    resumable = True

    def __init__(self, *, path: Path, name: str, columns: Sequence[Column], date_format: str,
                 ndjson: bool, resume: dict[str, Any] | None = None) -> None:
        self.output = WriterOutput()
        self._file = WrittenFile(name=name, path=path)
        self._path = path
        self._stream = path.open("w", encoding="utf-8", newline="\n")
        self._keys = [json.dumps(column.header, ensure_ascii=False) + ": " for column in columns]
        self._convert = converters(columns, lambda column: json_converter(column, date_format=date_format))
        self._ndjson = ndjson
        self._first = True if resume is None else bool(resume["first"])
        if not ndjson and resume is None:
            self._stream.write("[")

    def state(self) -> dict[str, Any]:
        return {"first": self._first}

    def write(self, row: ExportRow) -> None:
        members = [key + convert(value) for key, convert, value in zip(self._keys, self._convert, row.values,
                                                                       strict=True)]
        if row.deleted:
            members.append('"deleted": true')
        document = "{" + ", ".join(members) + "}"
        if self._ndjson:
            self._stream.write(document + "\n")
        else:
            self._stream.write(("\n" if self._first else ",\n") + document)
        self._first = False

    def finish(self) -> list[WrittenFile]:
        if not self._ndjson:
            self._stream.write("]\n" if self._first else "\n]\n")
        self._stream.close()
        return [self._file]

    def abort(self) -> None:
        self._stream.close()
