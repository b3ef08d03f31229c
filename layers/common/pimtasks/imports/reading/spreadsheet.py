"""XLSX, XLS and ODS through python-calamine (Rust): fast, and no Python object per empty cell.

Rules worth knowing (they are what a user sees in the report):
- Sheet: the layout's ``sheet`` (matched case-insensitively), else the first *visible* worksheet.
  Hidden and very hidden sheets are never picked by default.
- Formulas: the value the spreadsheet program stored when it last calculated the file (Excel and
  LibreOffice always store it). A formula without a stored value (files written by some libraries and
  never opened in a spreadsheet program) reads as empty; the run names such cells (``cell_formats``).
- Percentages: a number cell formatted as a percentage (XLSX, ODS) stores 0.1 for 10%; discount fields
  read it as 10 (``cell_formats`` finds the formats, which calamine does not return).
- Empty rows are skipped wherever they are; they are neither read nor counted. Formatting alone
  (1,048,576 formatted rows) creates no cells: calamine keeps only cells with values, so such a sheet
  costs no memory and no time per empty row.
- Merged header cells: every column of a merged header cell gets the merged cell's text. If a layout
  then needs that text for one column, the header is ambiguous and the file fails naming the merge.
- Memory: calamine holds the chosen sheet's used range in compact Rust memory (not Python objects);
  rows become Python lists one at a time. Because nothing stops calamine once it runs, every workbook is
  measured first, streaming, against ``ReadLimits`` (``workbook_scan`` for XLSX/ODS, ``xls_scan`` for
  XLS): a bomb fails at its first limit, before calamine sees it. A Rust panic on a malformed file fails
  the file like any damage.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

import python_calamine as calamine

from pimtasks.domain.task_types import ImportLayout
from pimtasks.imports.errors import (
    CorruptFileError,
    EmptyFileError,
    LayoutMismatchError,
    PasswordProtectedError,
)
from pimtasks.imports.reading.cell_formats import SAMPLE_ROWS, CellFormats, sheet_formats
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.sniffing import FileKind
from pimtasks.imports.reading.tables import Table, column_letter, header_text, trim_header
from pimtasks.imports.reading.workbook_scan import scan_workbook
from pimtasks.imports.reading.xls_scan import check_xls
from pimtasks.imports.rows import CellValue, SourceRow

_VISIBLE = calamine.SheetVisibleEnum.Visible
_WORKSHEET = calamine.SheetTypeEnum.WorkSheet


def open_workbook_table(
    path: Path, *, file: str, kind: FileKind, layout: ImportLayout | None, limits: ReadLimits
) -> Table:
    """The table of the chosen sheet of the workbook at ``path`` (header already read)."""
    wanted = layout.sheet if layout else None
    scan = None
    if kind is FileKind.XLS:
        check_xls(path, limits=limits)
    else:
        scan = scan_workbook(path, kind=kind, limits=limits, wanted=wanted)
    workbook = _load(path, kind=kind)
    try:
        sheet_name = choose_sheet(workbook, wanted=wanted)
        if scan is not None:
            scan.check_sheet(sheet_name)
        sheet = workbook.get_sheet_by_name(sheet_name)
    except calamine.CalamineError as error:
        workbook.close()
        raise CorruptFileError(f"the sheet cannot be read; the file is damaged ({error})") from error
    except BaseException as error:
        workbook.close()
        if is_rust_panic(error):
            raise CorruptFileError("the sheet cannot be read; the file is damaged") from error
        raise
    header_row = layout.header_row if layout else 1
    first_data_row = layout.first_data_row if layout else header_row + 1
    try:
        return CalamineTable(
            workbook=workbook,
            sheet=sheet,
            source=(path, kind),
            file=file,
            sheet_name=sheet_name,
            header_row=header_row,
            first_data_row=first_data_row,
            limits=limits,
        )
    except Exception:
        workbook.close()
        raise


def _load(path: Path, *, kind: FileKind) -> calamine.CalamineWorkbook:
    label = {FileKind.XLSX: "XLSX", FileKind.XLS: "XLS", FileKind.ODS: "ODS"}.get(kind, str(kind))
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError as error:
        raise PasswordProtectedError(
            "the file is password-protected (encrypted); save it without a password and upload it again"
        ) from error
    except (calamine.CalamineError, ValueError, OSError) as error:
        raise CorruptFileError(f"the file is damaged or not a valid {label} workbook ({error})") from error
    except BaseException as error:
        if is_rust_panic(error):
            raise CorruptFileError(f"the file is damaged or not a valid {label} workbook") from error
        raise


def is_rust_panic(error: BaseException) -> bool:
    """A panic inside python-calamine's Rust code (pyo3's ``PanicException`` derives from BaseException, so
    ``except Exception`` would let it end the whole invocation)."""
    return type(error).__name__ == "PanicException"


def choose_sheet(workbook: calamine.CalamineWorkbook, *, wanted: str | None) -> str:
    """The layout's sheet (case-insensitive) or the first visible worksheet; fails with the choices."""
    metadata = workbook.sheets_metadata
    if wanted:
        for sheet in metadata:
            if sheet.name.strip().casefold() == wanted.strip().casefold():
                return sheet.name
        names = ", ".join(repr(sheet.name) for sheet in metadata)
        raise LayoutMismatchError(f"the layout names sheet {wanted!r}, but the file has only {names}", sheet=wanted)
    for sheet in metadata:
        if sheet.visible == _VISIBLE and sheet.typ == _WORKSHEET:
            return sheet.name
    raise LayoutMismatchError(
        "the workbook has no visible worksheet; unhide the sheet to import or name it in the layout"
    )


class CalamineTable(Table):
    """A sheet loaded by calamine."""

    def __init__(
        self,
        *,
        workbook: calamine.CalamineWorkbook,
        sheet: calamine.CalamineSheet,
        source: tuple[Path, FileKind],
        file: str,
        sheet_name: str,
        header_row: int,
        first_data_row: int,
        limits: ReadLimits,
    ) -> None:
        self._workbook = workbook
        self._sheet = sheet
        self._source = source
        self._formats: CellFormats | None = None
        # Data never starts at or above the header, whatever the layout's first_data_row says.
        self._first_data_row = max(first_data_row, header_row + 1)
        start = sheet.start
        if start is None or sheet.height == 0:
            raise EmptyFileError(f"sheet {sheet_name!r} is empty: no header row", file=file, sheet=sheet_name)
        self._start_row = start[0] + 1  # 1-based spreadsheet row of the first row calamine returns
        first_column = start[1]
        if sheet.width > limits.max_columns:
            raise limits.exceeded("max_columns", f"sheet {sheet_name!r} has {sheet.width:,} columns", sheet=sheet_name)
        header, merged = self._read_header(sheet_name=sheet_name, header_row=header_row, file=file)
        super().__init__(
            file=file,
            sheet=sheet_name,
            header_row=header_row,
            header=header,
            first_column=first_column,
            merged_headers=merged,
        )

    def _read_header(self, *, sheet_name: str, header_row: int, file: str) -> tuple[list[str], dict[int, str]]:
        above: list[Sequence[CellValue]] = []
        header_values: Sequence[CellValue] | None = None
        for number, values in enumerate(self._sheet.iter_rows(), start=self._start_row):
            if number == header_row:
                header_values = values
                break
            above.append(values)
        if header_values is None or not any(value not in ("", None) for value in header_values):
            raise EmptyFileError(
                f"sheet {sheet_name!r} has no header in row {header_row}", file=file, sheet=sheet_name, row=header_row
            )
        header = [header_text(value) for value in header_values]
        merged = self._apply_merges(header, above=above, header_row=header_row)
        return trim_header(header), merged

    def _apply_merges(self, header: list[str], *, above: list[Sequence[CellValue]], header_row: int) -> dict[int, str]:
        """Give each column of a merged header cell the merge's text; return position -> range label."""
        merged: dict[int, str] = {}
        first_column = (self._sheet.start or (0, 0))[1]
        for (top, left), (bottom, right) in self._sheet.merged_cell_ranges or []:
            if not top + 1 <= header_row <= bottom + 1:
                continue
            source_row = top + 1
            if source_row == header_row:
                text = header[left - first_column] if 0 <= left - first_column < len(header) else ""
            else:
                index = source_row - self._start_row
                row = above[index] if 0 <= index < len(above) else []
                position = left - first_column
                text = header_text(row[position]) if 0 <= position < len(row) else ""
            label = f"{column_letter(left)}{top + 1}:{column_letter(right)}{bottom + 1}"
            for column in range(left, right + 1):
                position = column - first_column
                if 0 <= position < len(header):
                    header[position] = text
                    merged[position] = label
        return merged

    def percent_positions(self) -> frozenset[int]:
        """See ``Table``."""
        return frozenset(
            column - self.first_column for column in self._cell_formats().percent_columns if column >= self.first_column
        )

    def uncalculated_formulas(self) -> tuple[str, ...]:
        """See ``Table``."""
        return self._cell_formats().uncalculated

    def _cell_formats(self) -> CellFormats:
        """The first rows' formats (see ``cell_formats``), examined on first use."""
        if self._formats is None:
            path, kind = self._source
            self._formats = sheet_formats(path, kind=kind, sheet=self.sheet or "",
                                          last_row=self._first_data_row + SAMPLE_ROWS)
        return self._formats

    def rows(self, *, after_row: int = 0) -> Iterator[SourceRow]:
        """Rows after the header (and after ``after_row``); all-empty rows are skipped."""
        skip = max(after_row, self._first_data_row - 1) - self._start_row + 1
        file, sheet, header = self.file, self.sheet, self.header
        lines = itertools.islice(self._sheet.iter_rows(), max(skip, 0), None)
        for number, values in enumerate(lines, start=self._start_row + max(skip, 0)):
            # calamine returns "" for every empty cell. A filled first cell settles it at once; otherwise
            # counting is the cheapest all-empty test (comparing every cell costs, so only then).
            if not values or (values[0] == "" and values.count("") == len(values)):
                continue
            yield SourceRow(file, sheet, number, header, values)

    def close(self) -> None:
        """Drop the Rust workbook (and its file handle)."""
        with contextlib.suppress(calamine.WorkbookClosed):
            self._workbook.close()
