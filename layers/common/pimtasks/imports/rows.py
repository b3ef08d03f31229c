"""What readers produce (``SourceRow``) and what mapping produces (``MappedRecord`` or ``RowError``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pimtasks.catalog.models import CatalogRecord
from pimtasks.domain.run import MessageLevel, RunMessage

CellValue = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None
"""A cell as a reader returns it: text, a number, a date, or None/"" for an empty cell."""


class SourceRow(NamedTuple):
    """One data row of an input file, located as the user sees it.

    A named tuple rather than a frozen dataclass: one is made per input row, three times as fast.

    ``row`` is the 1-based row number in the spreadsheet (the line number of the record in a CSV,
    counting the header; the 1-based ordinal of the product in ETIM xChange/BMEcat). ``values`` line up
    with ``header`` (the table's header row); ``cells`` gives the same as a dict.
    """

    file: str
    sheet: str | None
    row: int
    header: Sequence[str]
    values: Sequence[CellValue]

    @property
    def cells(self) -> dict[str, CellValue]:
        """Cells keyed by header text (a later duplicate header wins; use ``values`` for exact positions)."""
        return dict(zip(self.header, self.values, strict=False))


def describe_value(value: CellValue, *, limit: int = 60) -> str:
    """A cell value as text for a message, cut to ``limit`` characters."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row (or one cell of it) was rejected; ``column`` is the file's header text when known."""

    file: str
    sheet: str | None
    row: int
    column: str | None
    value: str | None
    reason: str

    def to_message(self) -> RunMessage:
        """The run-report line for this rejection."""
        return RunMessage(
            level=MessageLevel.ERROR,
            text=self.reason,
            file=self.file,
            sheet=self.sheet,
            row=self.row,
            column=self.column,
            value=self.value,
        )

    def located(self) -> str:
        """``file, sheet S, row R, column C: reason`` for plain-text reports and e-mails."""
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts) + f": {self.reason}"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that will not be imported, with its input cells (for the rejected-rows file) and errors."""

    source: SourceRow
    errors: tuple[RowError, ...]

    @property
    def reason(self) -> str:
        """All reasons in one line (the error column of the rejected-rows file)."""
        return "; ".join(error.reason for error in self.errors)


class MappedRecord(NamedTuple):
    """A valid row: the catalog record plus which fields the file sets and which it clears.

    ``fields`` and ``cleared`` hold field names, and ``name.key`` for per-key parts of dict fields
    (``descriptions.nl``, ``custom_fields.colour``). A writer updating an existing record sets
    ``fields`` (merging dict fields per key) and removes ``cleared``; for a new record it writes the
    whole ``record`` (defaults included).
    """

    file: str
    sheet: str | None
    row: int
    record: CatalogRecord
    key: tuple[str, ...]
    fields: frozenset[str]
    cleared: frozenset[str] = frozenset()
