"""Cell conversions: numbers with a decimal comma, dates in a format or as Excel serials, codes, choices.

Every converter takes a non-empty cell (text already trimmed) and returns the field's value, or raises
``ConversionError`` whose text completes the sentence "<field>: ...".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pimtasks.domain.task_types import DecimalSeparator
from pimtasks.imports.rows import CellValue


class ConversionError(ValueError):
    """A cell that cannot become the field's type; ``str(error)`` is the user-facing problem."""


# Plain: 1234 / 1234.56 / -3 ; with a decimal comma: 1.234,56 / 1234,5 ; with a decimal point: 1,234.56.
# Thousands are grouped strictly: a first group of 1-3 digits not starting with 0, then groups of three.
_PLAIN = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_COMMA = re.compile(r"^[+-]?([1-9][0-9]{0,2}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?$")
_POINT = re.compile(r"^[+-]?([1-9][0-9]{0,2}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?$")
_NOISE = re.compile(r"[\s\u00a0\u202f€$£%]")
# One separator between 1-3 digits and exactly three: 1,234 or 1.234 may be a decimal or a thousands group.
_AMBIGUOUS = re.compile(r"^[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}$")
NUMBER_HINTS: dict[DecimalSeparator, str] = {
    DecimalSeparator.AUTO: "(expected e.g. 1234.56, 1,234.56 or 1.234,56)",
    DecimalSeparator.POINT: "(decimal_separator is 'point': expected e.g. 1234.56 or 1,234.56 — a column that "
                            "writes 1234,56 needs decimal_separator 'comma')",
    DecimalSeparator.COMMA: "(decimal_separator is 'comma': expected e.g. 1234,56 or 1.234,56 — a column that "
                            "writes 1234.56 needs decimal_separator 'point')",
}
NUMBER_HINT = NUMBER_HINTS[DecimalSeparator.AUTO]
_READINGS: dict[DecimalSeparator, tuple[tuple[re.Pattern[str], bool], ...]] = {
    # (pattern, the comma is the decimal separator)
    DecimalSeparator.AUTO: ((_PLAIN, False), (_COMMA, True), (_POINT, False)),
    DecimalSeparator.POINT: ((_POINT, False),),
    DecimalSeparator.COMMA: ((_COMMA, True),),
}

EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day 0 of Excel's 1900 date system as Excel counts (its fictitious 29-02-1900 makes it the 30th)."""
MAX_EXCEL_SERIAL = 2958465  # 9999-12-31

_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?$")
_DAY_FIRST = re.compile(r"^([0-9]{1,2})[-./]([0-9]{1,2})[-./]([0-9]{4})(?: [0-9:.]+)?$")
_SERIAL_TEXT = re.compile(r"^[0-9]{1,7}(\.[0-9]+)?$")


def number_text(value: float) -> str:
    """A float as the spreadsheet showed it: 15 significant digits, so 0.1+0.2 reads 0.3."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g")


def to_decimal(value: CellValue, *, separator: DecimalSeparator = DecimalSeparator.AUTO) -> Decimal:
    """A number cell or text (``1234.56``, ``1.234,56``, ``1,234.56``, ``€ 12,50``, ``12,5%``) as Decimal.

    ``separator`` (a layout column's ``decimal_separator``): ``point`` reads 1234.56 and 1,234.56, ``comma``
    reads 1234,56 and 1.234,56, each with thousands grouped strictly in threes; ``auto`` tries plain
    numbers, then a decimal comma (so ``1,5`` is one and a half), then a decimal point with grouped thousands.
    """
    hint = NUMBER_HINTS[separator]
    if isinstance(value, bool):
        raise ConversionError(f"{_shown(value)} is not a number {hint}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ConversionError(f"{_shown(value)} is not a number {hint}")
        return Decimal(number_text(value))
    if not isinstance(value, str):
        raise ConversionError(f"{_shown(value)} is not a number {hint}")
    if separator is not DecimalSeparator.COMMA and _PLAIN.match(value):
        return Decimal(value)
    text = _NOISE.sub("", value)
    for pattern, comma in _READINGS[separator]:
        if pattern.match(text):
            plain = text.replace(".", "").replace(",", ".") if comma else text.replace(",", "")
            try:
                return Decimal(plain)
            except InvalidOperation:
                break
    raise ConversionError(f"{_shown(value)} is not a number {hint}")


def ambiguous_number(value: CellValue, *, separator: DecimalSeparator) -> str | None:
    """Why a text number could mean something else than it is read as (``1,234``: 1234 or 1.234), or None.

    The text completes "<field>: ..."; it names how the cell was read and the setting that decides it.
    """
    if value.__class__ is not str:
        return None
    text = _NOISE.sub("", value)  # type: ignore[arg-type]
    if not _AMBIGUOUS.match(text):
        return None
    mark = text[-4]
    if separator is DecimalSeparator.AUTO:
        read = to_decimal(text, separator=separator)
        other = "comma" if mark == "," else "point"
        grouped = text.replace(mark, "")
        return (f"{_shown(value)} could mean {read} or {grouped}: read as {read}, with the {other} as the decimal "
                f"separator (decimal_separator 'auto'); if the {other} groups thousands, set the column's "
                f"decimal_separator to '{'point' if other == 'comma' else 'comma'}'")
    grouping = (mark == ",") == (separator is DecimalSeparator.POINT)
    if not grouping:
        return None
    read = to_decimal(text, separator=separator)
    decimal = text.replace(mark, ".")
    return (f"{_shown(value)} was read as {read}, the {'comma' if mark == ',' else 'point'} grouping thousands "
            f"(decimal_separator '{separator.value}'); if it means {Decimal(decimal)}, set the column's "
            f"decimal_separator to '{'comma' if mark == ',' else 'point'}'")


def to_date(value: CellValue, *, date_format: str | None = None) -> dt.date:
    """A date cell, an Excel serial number (45292 is 2024-01-01) or text (the format, ISO, or D-M-YYYY).

    With ``date_format`` the text must follow it; ISO dates (2024-01-31) are accepted as well because
    they cannot be misread. Without a format, day-first dates (31-01-2024, 31.01.2024, 31/01/2024) are
    read the European way.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ConversionError(_date_problem(value, date_format))
    if isinstance(value, int | float):
        return excel_serial_date(value, date_format=date_format)
    if not isinstance(value, str):
        raise ConversionError(_date_problem(value, date_format))
    if date_format:
        try:
            return dt.datetime.strptime(value, date_format).date()
        except ValueError:
            pass
    if match := _ISO_DATE.match(value):
        return _checked_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), value, date_format)
    if not date_format and (match := _DAY_FIRST.match(value)):
        day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if month > 12 >= day:
            # 06/30/2027: month first, as US programs write (LibreOffice's en-US CSV export among them).
            raise ConversionError(
                f"{_shown(value)} is not a valid date: dates without a format are read day first (DD-MM-YYYY); "
                "if the file writes the month first, give the column date_format %m/%d/%Y in a custom layout"
            )
        return _checked_date(year, month, day, value, date_format)
    if _SERIAL_TEXT.match(value):
        return excel_serial_date(float(value), date_format=date_format, shown=value)
    raise ConversionError(_date_problem(value, date_format))


def excel_serial_date(serial: float, *, date_format: str | None = None, shown: CellValue = None) -> dt.date:
    """Excel's day number as a date (the fraction, a time of day, is dropped)."""
    if not 1 <= serial <= MAX_EXCEL_SERIAL:
        raise ConversionError(_date_problem(shown if shown is not None else serial, date_format))
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _checked_date(year: int, month: int, day: int, shown: str, date_format: str | None) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise ConversionError(f"{_shown(shown)} is not a valid date ({error})") from error


def _date_problem(value: CellValue, date_format: str | None) -> str:
    expected = human_date_format(date_format) if date_format else "YYYY-MM-DD or DD-MM-YYYY"
    example = dt.date(2024, 12, 31).strftime(date_format) if date_format else "2024-12-31"
    return f"{_shown(value)} is not a date (expected {expected}, e.g. {example})"


def human_date_format(date_format: str) -> str:
    """``%d-%m-%Y`` -> ``DD-MM-YYYY``."""
    replacements = {
        "%d": "DD",
        "%m": "MM",
        "%Y": "YYYY",
        "%y": "YY",
        "%b": "Mon",
        "%B": "Month",
        "%H": "hh",
        "%M": "mm",
    }
    text = date_format
    for code, word in replacements.items():
        text = text.replace(code, word)
    return text


def to_text(value: CellValue) -> str:
    """Any cell as text: integral numbers without ``.0``, dates in ISO form, booleans as true/false."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def to_digits(value: CellValue) -> str:
    """A GS1 number: a number cell or text, spaces removed (check digits are the model's business)."""
    text = to_text(value)
    return text.replace(" ", "").replace("\u00a0", "")


def to_integer(value: CellValue) -> int:
    """Whole numbers only."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        number = to_decimal(value)
    except ConversionError as error:
        raise ConversionError(f"{_shown(value)} is not a whole number") from error
    if number != number.to_integral_value():
        raise ConversionError(f"{_shown(value)} is not a whole number")
    return int(number)


_TRUE = frozenset({"true", "yes", "y", "1", "ja", "j", "x", "waar", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "nee", "onwaar", "off"})


def to_boolean(value: CellValue) -> bool:
    """A flag: a checkbox (boolean) cell, 1/0, or text true/false, yes/no, y/n, ja/nee, j/n (x is true)."""
    if isinstance(value, bool):
        return value
    text = to_text(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConversionError(f"{_shown(value)} is not true or false (expected true/false, yes/no, 1/0 or ja/nee)")


def choice_converter(choices: type[StrEnum]) -> Callable[[CellValue], Any]:
    """A converter accepting an enumeration's values in any case and spelling (``On-hold`` = ``on hold``)."""
    lookup = {re.sub(r"[^0-9a-z]", "", member.value): member for member in choices}
    valid = ", ".join(member.value for member in choices)

    def convert(value: CellValue) -> StrEnum:
        key = re.sub(r"[^0-9a-z]", "", to_text(value).casefold())
        member = lookup.get(key)
        if member is None:
            raise ConversionError(f"{_shown(value)} is not one of: {valid}")
        return member

    return convert


def _shown(value: CellValue) -> str:
    text = to_text(value) if value is not None else ""
    if len(text) > 60:
        text = text[:59] + "…"
    return repr(text)
