"""What calamine does not tell about a sheet's cells: percent formats and formulas without a result.

Percentages: a cell showing 10% stores 0.1.
calamine returns cell values without their number formats, so a discount typed as ``10%`` in Excel or
LibreOffice would read as 0.1. This module looks at the formats of the first data rows itself:
- XLSX: ``xl/styles.xml`` says which cell styles have a percent number format (built-in 9 ``0%`` and
  10 ``0.00%``, or a custom format with an unquoted ``%``); the sheet's XML says which style each cell has.
- ODS: a cell's ``office:value-type`` is ``percentage``.
- XLS (BIFF) is not examined: its percent cells read as fractions.

Formulas: Excel and LibreOffice store each formula's result, which is what an import reads. Files written
by libraries that do not calculate (openpyxl) have formulas without a result, which read as empty; the
XLSX probe lists such cells so the run can say why a value is missing.

Only the first ``SAMPLE_ROWS`` data rows are parsed (streamed, stopped early), so the cost does not grow
with the file. XML is parsed with defusedxml (no DTDs, no entities).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from defusedxml.ElementTree import iterparse, parse

from pimtasks.imports.reading.sniffing import FileKind
from pimtasks.imports.reading.tables import column_index

SAMPLE_ROWS = 50
"""Data rows examined after the header."""

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_BUILTIN_PERCENT_FORMATS = frozenset({9, 10})
_TEXT_CELL_TYPES = frozenset({"s", "str", "inlineStr", "b", "e"})
_QUOTED = re.compile(r'"[^"]*"|\\.')

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


@dataclass(frozen=True)
class CellFormats:
    """What the first rows of a sheet say about its cells."""

    percent_columns: frozenset[int] = frozenset()
    """0-based columns with number cells formatted as percentages."""
    uncalculated: tuple[str, ...] = ()
    """References (``D2``) of formula cells without a stored result (XLSX only)."""


def sheet_formats(path: Path, *, kind: FileKind, sheet: str, last_row: int) -> CellFormats:
    """The formats of the cells in rows up to ``last_row`` of ``sheet``.

    Anything unexpected in the package (a part missing, damaged XML) yields nothing: the import then
    reads plain values, as calamine does, rather than failing over a formatting detail.
    """
    try:
        if kind is FileKind.XLSX:
            return _xlsx_formats(path, sheet=sheet, last_row=last_row)
        if kind is FileKind.ODS:
            return CellFormats(percent_columns=_ods_percent_columns(path, sheet=sheet, last_row=last_row))
    except (KeyError, OSError, ValueError, SyntaxError, StopIteration, zipfile.BadZipFile):
        return CellFormats()
    return CellFormats()


# --- XLSX -------------------------------------------------------------------------------------------


def _xlsx_formats(path: Path, *, sheet: str, last_row: int) -> CellFormats:
    with zipfile.ZipFile(path) as package:
        styles = _percent_styles(package)
        with package.open(_sheet_part(package, sheet)) as stream:
            percent: set[int] = set()
            uncalculated: list[str] = []
            for reference, column, percent_cell in _cells(stream, styles=styles, last_row=last_row):
                if percent_cell:
                    percent.add(column)
                else:
                    uncalculated.append(reference)
            return CellFormats(frozenset(percent), tuple(uncalculated))


def _percent_styles(package: zipfile.ZipFile) -> frozenset[str]:
    """Indexes (as the ``s`` attribute writes them) of the cell styles with a percent number format."""
    try:
        root = parse(package.open("xl/styles.xml")).getroot()
    except KeyError:
        return frozenset()
    custom = {
        int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
        for fmt in root.iter(f"{_MAIN}numFmt")
    }
    percent = {number for number, code in custom.items() if "%" in _QUOTED.sub("", code)}
    percent |= _BUILTIN_PERCENT_FORMATS - custom.keys()
    cell_styles = root.find(f"{_MAIN}cellXfs")
    if cell_styles is None:
        return frozenset()
    return frozenset(
        str(index) for index, xf in enumerate(cell_styles.iter(f"{_MAIN}xf")) if int(xf.get("numFmtId", "0")) in percent
    )


def _sheet_part(package: zipfile.ZipFile, sheet: str) -> str:
    """The package part of the worksheet named ``sheet``."""
    workbook = parse(package.open("xl/workbook.xml")).getroot()
    relation = next(
        item.get(f"{_REL}id") for item in workbook.iter(f"{_MAIN}sheet") if item.get("name") == sheet
    )
    relations = parse(package.open("xl/_rels/workbook.xml.rels")).getroot()
    target = next(item.get("Target", "") for item in relations.iter(f"{_PACKAGE_REL}Relationship")
                  if item.get("Id") == relation)
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)


def _cells(stream: IO[bytes], *, styles: frozenset[str], last_row: int) -> Iterator[tuple[str, int, bool]]:
    """``(reference, column, True)`` per percent-formatted number cell, ``(..., False)`` per formula without
    a result."""
    rows = 0
    for _, element in iterparse(stream, events=("end",)):
        if element.tag == f"{_MAIN}row":
            rows += 1  # ``r`` is optional: without it, rows count from 1
            if int(element.get("r", rows)) >= last_row:
                return
            element.clear()
        elif element.tag == f"{_MAIN}c":
            reference = element.get("r", "")
            column = column_index(re.sub(r"[0-9]+$", "", reference))
            if column is None:
                continue
            value = element.find(f"{_MAIN}v")
            has_value = value is not None and bool(value.text)  # openpyxl writes an empty <v/>
            if element.find(f"{_MAIN}f") is not None and not has_value:
                yield reference, column, False
            elif has_value and element.get("s") in styles and element.get("t") not in _TEXT_CELL_TYPES:
                yield reference, column, True


# --- ODS --------------------------------------------------------------------------------------------


def _ods_percent_columns(path: Path, *, sheet: str, last_row: int) -> frozenset[int]:
    with zipfile.ZipFile(path) as package, package.open("content.xml") as stream:
        return frozenset(_ods_columns(stream, sheet=sheet, last_row=last_row))


def _ods_columns(stream: IO[bytes], *, sheet: str, last_row: int) -> Iterator[int]:
    in_sheet = False
    row = 0
    for event, element in iterparse(stream, events=("start", "end")):
        tag = element.tag
        if tag == f"{_TABLE}table":
            if event == "start":
                in_sheet = element.get(f"{_TABLE}name") == sheet
            elif in_sheet:
                return
            else:
                element.clear()
        elif tag == f"{_TABLE}table-row" and event == "end":
            if in_sheet:
                repeated = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                row += 1
                if row > last_row:
                    return
                yield from _ods_row_columns(element)
                row += min(repeated, last_row) - 1
            # Rows of the sheets before the wanted one are dropped as well: parsed but never kept.
            element.clear()


def _ods_row_columns(row: Any) -> Iterator[int]:
    column = 0
    for cell in row:
        repeated = int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
        if cell.get(f"{_OFFICE}value-type") == "percentage":
            yield from range(column, column + min(repeated, 1024))
        column += repeated
