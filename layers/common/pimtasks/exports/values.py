"""Values as each format writes them, converted column by column from the catalog's JSON form.

A record arrives as the catalog stores it (``model_dump(mode="json")``: decimals as exact text such as ``12.50``,
dates as ISO text), so a CSV column of prices without a decimal comma, or a JSON number, is that text as it is;
only what a layout changes is converted (a decimal comma, a date format). Each writer builds one converter per
column once, so a row costs one call per cell.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from pimtasks.exports.columns import Column
from pimtasks.exports.fields import ValueKind

Converter = Callable[[Any], Any]
ISO_DATE = "%Y-%m-%d"


def _plain_decimal(value: Any) -> str:
    """Decimal text without an exponent (``1E+2`` -> ``100``)."""
    text = str(value)
    return format(Decimal(text), "f") if "E" in text or "e" in text else text


def _boolean_text(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def _decimal_or_none(value: Any) -> Any:
    return None if value is None else _plain_decimal(value)


def text_converter(column: Column, *, decimal_comma: bool, date_format: str,
                   numbers: bool = False) -> Converter | None:
    """A CSV cell's conversion, or None when the stored value is the cell (the csv module writes None as an empty
    cell). With ``numbers``, numbers become Decimal/int so the csv module leaves them unquoted."""
    if column.kind is ValueKind.DECIMAL:
        if decimal_comma:
            return lambda value: None if value is None else _plain_decimal(value).replace(".", ",")
        if numbers:
            return lambda value: None if value is None else Decimal(str(value))
        return _decimal_or_none
    if column.kind is ValueKind.INTEGER and numbers:
        return lambda value: None if value is None else int(value)
    if column.kind is ValueKind.DATE and date_format != ISO_DATE:
        return lambda value: None if value is None else dt.date.fromisoformat(str(value)).strftime(date_format)
    if column.kind is ValueKind.BOOLEAN:
        return _boolean_text
    return None


def json_converter(column: Column, *, date_format: str) -> Converter:
    """JSON text of a cell: decimals as exact JSON numbers (``12.50``), dates in the layout's format."""
    if column.kind in (ValueKind.DECIMAL, ValueKind.INTEGER):
        return lambda value: "null" if value is None else _plain_decimal(value)
    if column.kind is ValueKind.BOOLEAN:
        return lambda value: "null" if value is None else ("true" if value else "false")
    if column.kind is ValueKind.DATE and date_format != ISO_DATE:
        return lambda value: "null" if value is None else json.dumps(
            dt.date.fromisoformat(str(value)).strftime(date_format))
    return lambda value: "null" if value is None else json.dumps(str(value), ensure_ascii=False)


def typed_converter(column: Column) -> Converter:
    """A spreadsheet cell: Decimal, date, int, bool or text (None stays empty)."""
    if column.kind is ValueKind.DECIMAL:
        return lambda value: None if value is None or value == "" else Decimal(str(value))
    if column.kind is ValueKind.DATE:
        return lambda value: None if value is None or value == "" else dt.date.fromisoformat(str(value))
    if column.kind is ValueKind.INTEGER:
        return lambda value: None if value is None or value == "" else int(value)
    if column.kind is ValueKind.BOOLEAN:
        return lambda value: None if value is None else bool(value)
    return lambda value: None if value is None or value == "" else str(value)


def converters(columns: Sequence[Column], make: Callable[[Column], Converter]) -> list[Converter]:
    return [make(column) for column in columns]


def converting(columns: Sequence[Column], make: Callable[[Column], Converter | None]) -> list[tuple[int, Converter]]:
    """The columns that need a conversion, by index (the others are written as stored)."""
    return [(index, convert) for index, convert in enumerate(map(make, columns)) if convert is not None]


_EXCEL_DIRECTIVES = {"%Y": "yyyy", "%y": "yy", "%m": "mm", "%d": "dd", "%b": "mmm", "%B": "mmmm", "%H": "hh",
                     "%M": "mm", "%S": "ss", "%a": "ddd", "%A": "dddd", "%%": "%"}


def excel_date_format(date_format: str) -> str:
    """A strftime date format as an Excel number format (``%d-%m-%Y`` -> ``dd\\-mm\\-yyyy``); unknown directives
    fall back to ISO."""
    result: list[str] = []
    index = 0
    while index < len(date_format):
        if date_format[index] == "%":
            directive = date_format[index:index + 2]
            if directive not in _EXCEL_DIRECTIVES:
                return "yyyy-mm-dd"
            result.append(_EXCEL_DIRECTIVES[directive])
            index += 2
        else:
            char = date_format[index]
            result.append(char if char in " -/.,:" else f"\\{char}")
            index += 1
    return "".join(result)
