"""Values as text formats write them: decimal point or comma, a date format, booleans as true/false."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


class TextFormat:
    """How a CSV (or any text) export writes typed values."""

    def __init__(self, *, decimal_comma: bool, date_format: str) -> None:
        self._decimal_comma = decimal_comma
        self._date_format = date_format

    def text(self, value: Any) -> str:
        """``Decimal('12.50')`` -> ``12,50`` with a decimal comma (the catalog's scale is kept, never rounded)."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Decimal):
            text = format(value, "f")
            return text.replace(".", ",") if self._decimal_comma else text
        if isinstance(value, dt.date):
            return value.strftime(self._date_format)
        return str(value)

    def date(self, value: dt.date) -> str:
        return value.strftime(self._date_format)


_EXCEL_DIRECTIVES = {"%Y": "yyyy", "%y": "yy", "%m": "mm", "%d": "dd", "%b": "mmm", "%B": "mmmm", "%H": "hh",
                     "%M": "mm", "%S": "ss", "%a": "ddd", "%A": "dddd", "%%": "%"}


def excel_date_format(date_format: str) -> str:
    """A strftime date format as an Excel number format (``%d-%m-%Y`` -> ``dd-mm-yyyy``); unknown directives
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
