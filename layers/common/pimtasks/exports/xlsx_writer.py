"""XLSX export at constant memory: openpyxl's write-only workbook (each row goes to a temporary file as it is
appended), split into numbered parts beyond Excel's 1,048,576 rows a sheet.

What would make a corrupt or refused file is changed and warned instead: text over Excel's 32,767 characters a
cell is cut there, and control characters XML cannot hold are removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from pimtasks.exports.columns import Column
from pimtasks.exports.file_names import part_name
from pimtasks.exports.values import converters, excel_date_format, typed_converter
from pimtasks.exports.writers import ExportRow, ExportWarning, WriterOutput, WrittenFile

MAX_ROWS = 1_048_576
"""Rows of one sheet, the header row included."""
MAX_CELL_TEXT = 32_767
SHEET_TITLE = "Export"


class XlsxExportWriter:
    resumable = False  # the workbook's zip is made at the end: an XLSX export runs in one invocation

    def __init__(self, *, directory: Path, name: str, columns: Sequence[Column], date_format: str, header: bool,
                 max_rows: int = MAX_ROWS) -> None:
        self.output = WriterOutput()
        self._directory = directory
        self._name = name
        self._headers = [column.header for column in columns]
        self._fields = [column.field for column in columns]
        self._convert = converters(columns, typed_converter)
        self._header = header
        self._max_rows = max_rows
        excel_format = excel_date_format(date_format)
        # Plain date cells get openpyxl's ISO format; another format needs a styled cell per date.
        self._date_format = None if excel_format == "yyyy-mm-dd" else excel_format
        self._files: list[WrittenFile] = []
        self._workbook: Workbook | None = None
        self._sheet: WriteOnlyWorksheet | None = None
        self._rows = 0

    def _open_part(self) -> None:
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(SHEET_TITLE)
        self._rows = 0
        if self._header:
            self._sheet.append(self._headers)
            self._rows = 1

    def _close_part(self) -> None:
        assert self._workbook is not None
        name = part_name(self._name, len(self._files) + 1)
        path = self._directory / name
        self._workbook.save(path)
        self._files.append(WrittenFile(name=name, path=path))
        self._workbook = None
        self._sheet = None

    def write(self, row: ExportRow) -> None:
        if self._sheet is None:
            self._open_part()
        elif self._rows >= self._max_rows:
            self._close_part()
            self._open_part()
        assert self._sheet is not None
        self._sheet.append([self._cell(row, index, convert(value))
                            for index, (convert, value) in enumerate(zip(self._convert, row.values, strict=True))])
        self._rows += 1

    def _cell(self, row: ExportRow, index: int, value: Any) -> Any:
        if isinstance(value, str):
            return self._text(row, index, value)
        if self._date_format is not None and isinstance(value, dt.date):
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.number_format = self._date_format
            return cell
        return value

    def _text(self, row: ExportRow, index: int, value: str) -> str:
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            self._warn(row, index, "control characters that XLSX cannot hold were removed")
        if len(value) > MAX_CELL_TEXT:
            self._warn(row, index, f"text of {len(value)} characters was cut to XLSX's {MAX_CELL_TEXT} a cell")
            value = value[:MAX_CELL_TEXT]
        return value

    def _warn(self, row: ExportRow, index: int, text: str) -> None:
        self.output.warnings.append(ExportWarning(record=row.label, field=self._fields[index], text=text))

    def segment(self) -> tuple[Path, int]:
        raise NotImplementedError("an XLSX file is not sent in parts")

    def clear_segment(self) -> None:
        raise NotImplementedError("an XLSX file is not sent in parts")

    def state(self) -> dict[str, Any]:
        return {}

    def finish(self) -> list[WrittenFile]:
        if self._sheet is None:
            self._open_part()  # nothing written: a file with the header only (publish_empty)
        self._close_part()
        return list(self._files)

    def abort(self) -> None:
        self._workbook = None
        self._sheet = None
