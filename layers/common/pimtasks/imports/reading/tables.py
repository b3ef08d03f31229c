"""The common reader interface: a file yields tables (a sheet, a CSV, a ZIP member), a table yields rows.

A table knows its header before any row is read, so mapping problems (a missing column) fail the file
before a single record is written. ``rows(after_row=N)`` may be called again (a dry pass first, then the
real one; or a continuation after a checkpoint): each call starts over and skips rows up to ``N``.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator, Sequence

from pimtasks.domain.run import MessageLevel, RunMessage
from pimtasks.imports.rows import CellValue, RejectedRow, SourceRow, describe_value


class Table(abc.ABC):
    """One rectangular source of rows with a header."""

    def __init__(
        self,
        *,
        file: str,
        sheet: str | None,
        header_row: int,
        header: Sequence[str],
        first_column: int = 0,
        merged_headers: dict[int, str] | None = None,
    ) -> None:
        self.file = file
        self.sheet = sheet
        self.header_row = header_row
        self.header = tuple(header)
        self.first_column = first_column
        """0-based spreadsheet column of ``header[0]`` (a sheet whose data starts in column C has 2)."""
        self.merged_headers = merged_headers or {}
        """Header position -> merged range (e.g. ``B1:D1``) for header cells that are part of a merge."""

    @abc.abstractmethod
    def rows(self, *, after_row: int = 0) -> Iterator[SourceRow]:
        """Data rows in file order, skipping empty rows and every row numbered ``<= after_row``."""

    def percent_positions(self) -> frozenset[int]:
        """Header positions whose number cells are formatted as percentages (10% stored as 0.1).

        Only spreadsheets know number formats; other tables have none.
        """
        return frozenset()

    def uncalculated_formulas(self) -> tuple[str, ...]:
        """Cells (``D2``) among the first rows holding a formula without a stored result (they read empty)."""
        return ()

    def reading_warnings(self) -> list[RunMessage]:
        """Warnings the reader met while opening the table (readers that walk the whole file then)."""
        return []

    def unreadable_rows(self, rows: Sequence[SourceRow]) -> dict[int, RejectedRow]:
        """The rows of ``rows`` the reader could not read faithfully, by row number, each with its errors.

        The pipeline rejects them like rows that fail mapping. Only a UTF-8 text file with stray bytes has
        any (see ``delimited``); other tables have none.
        """
        return {}

    def column_label(self, position: int) -> str:
        """How a user finds the column at ``position``: its header text, else its letter."""
        name = self.header[position] if position < len(self.header) else ""
        return name or column_letter(self.first_column + position)

    def message(self, level: MessageLevel, text: str, *, row: int | None = None,
                column: str | None = None) -> RunMessage:
        """A run-report line about this table (its file and sheet filled in)."""
        return RunMessage(level=level, text=text, file=self.file, sheet=self.sheet, row=row, column=column)

    def location(self) -> str:
        """``file`` or ``file, sheet 'X'`` for messages."""
        return f"{self.file}, sheet {self.sheet!r}" if self.sheet else self.file

    def close(self) -> None:  # noqa: B027 - optional hook, most tables hold nothing to release
        """Release what the table holds (an open workbook)."""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_index(letters: str) -> int | None:
    """A -> 0, AA -> 26; None when ``letters`` is not a column letter (1-3 letters A-Z)."""
    text = letters.strip().upper()
    if not 1 <= len(text) <= 3 or not text.isascii() or not text.isalpha():
        return None
    index = 0
    for char in text:
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def header_text(value: CellValue) -> str:
    """A header cell as text: trimmed, numbers without a trailing .0, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return describe_value(value, limit=200)


def trim_header(header: list[str]) -> list[str]:
    """Drop empty header cells at the end (formatted but empty columns)."""
    end = len(header)
    while end and not header[end - 1]:
        end -= 1
    return header[:end]
