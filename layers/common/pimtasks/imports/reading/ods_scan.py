"""What python-calamine would hold for an ODS workbook, measured from ``content.xml`` before it loads.

calamine reads *every* sheet of an ODS when the workbook is opened, and repeats cells and rows as the XML
says: ``table:number-columns-repeated`` and ``table:number-rows-repeated`` turn one element into thousands
(or billions) of cells, and a ``<text:s text:c="...">`` into as many spaces. ``ContentScanner`` walks the
tags of ``content.xml`` and adds up, per sheet and in constant memory, what calamine would build:

- the cells it pushes while reading a row (empty cells only when a filled one follows), and the
  dense rectangle it then makes from the first to the last filled row and up to the last filled column,
  with every repetition spelled out;
- the last filled row (for ``max_rows``);
- the text copied by repetition (a repeated cell's text once per copy) and by ``text:s``.

Like calamine, any element with a value or a formula counts as filled; prefixes do not matter (calamine
matches ``table:`` names exactly, so other prefixes only make the scanner more careful than needed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pimtasks.imports.reading.xml_chunks import xml_pieces

ROW_MARKER = b"<table:table-row"
_TAG = re.compile(
    rb"<(/?)(?:[^\s/>:]+:)?(table|table-row|table-cell|covered-table-cell|s)(?=[\s/>])"
    rb"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
)
_ROWS_REPEATED = re.compile(rb"""(?:^|\s)(?:[^\s=:]+:)?number-rows-repeated\s*=\s*["']\s*([0-9]{1,18})""")
_COLUMNS_REPEATED = re.compile(rb"""(?:^|\s)(?:[^\s=:]+:)?number-columns-repeated\s*=\s*["']\s*([0-9]{1,18})""")
_SPACES = re.compile(rb"""(?:^|\s)(?:[^\s=:]+:)?c\s*=\s*["']\s*([0-9]{1,18})""")
_NAME = re.compile(rb"""(?:^|\s)(?:[^\s=:]+:)?name\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_NAMES = (b"table-cell", b"covered-table-cell")


@dataclass
class TableStats:
    """One sheet as calamine would hold it."""

    name: str
    pushed: int = 0
    """Cells pushed while reading rows (before the rectangle is made)."""
    first_row: int = -1
    last_row: int = -1
    """0-based rows of the first and last filled row, repetitions spelled out; -1: no filled row."""
    width: int = 0
    """Columns up to the last filled cell of the widest row."""
    text_bytes: int = 0

    @property
    def rows(self) -> int:
        return self.last_row + 1

    @property
    def rectangle(self) -> int:
        return (self.last_row - self.first_row + 1) * self.width if self.last_row >= 0 else 0

    @property
    def cells(self) -> int:
        return max(self.pushed, self.rectangle)


@dataclass
class _Row:
    repeats: int = 1
    position: int = 0
    """Columns so far (repetitions spelled out)."""
    pending_empty: int = 0
    pushed: int = 0
    filled_width: int = 0
    text_copies: int = 0
    """Text bytes of the row's cells times their column repetitions."""
    text_once: int = 0
    """Text bytes of the row's cells as the XML holds them."""


@dataclass
class _Cell:
    start: int
    repeats: int
    filled: bool
    spaces: int = 0


@dataclass
class ContentScanner:
    """Streams ``content.xml``; ``tables`` grows as sheets are read (the last one may be unfinished)."""

    tables: list[TableStats] = field(default_factory=list)
    _row_index: int = 0
    _row: _Row | None = None
    _cell: _Cell | None = None

    @property
    def cells(self) -> int:
        return sum(table.cells for table in self.tables)

    @property
    def text_bytes(self) -> int:
        return sum(table.text_bytes for table in self.tables)

    def scan(self, chunks: Iterable[bytes], *, part: str) -> Iterator[ContentScanner]:
        """Feed the part's unpacked ``chunks``; yields itself after each piece (to stop early)."""
        for piece in xml_pieces(chunks, part=part, markers=(ROW_MARKER,)):
            self._feed(piece.data, offset=piece.offset)
            yield self

    def _feed(self, data: bytes, *, offset: int) -> None:
        for match in _TAG.finditer(data):
            closing, name, attributes = match[1], match[2], match[3]
            empty = attributes.endswith(b"/")
            at = offset + match.start()
            if name in _CELL_NAMES:
                self._end_cell(at)
                if not closing:
                    self._start_cell(attributes, at=at)
                    if empty:
                        self._end_cell(offset + match.end())
            elif name == b"s":
                if self._cell is not None and not closing:
                    self._cell.spaces += _number(_SPACES, attributes, default=1)
            elif name == b"table-row":
                self._end_cell(at)
                if closing:
                    self._end_row()
                else:
                    self._row = _Row(repeats=_number(_ROWS_REPEATED, attributes, default=1))
                    if empty:
                        self._end_row()
            elif name == b"table":
                self._end_cell(at)
                self._end_row()
                if not closing:
                    found = _NAME.search(attributes)
                    label = (found[1] if found and found[1] is not None else found[2] if found else b"") or b""
                    self.tables.append(TableStats(name=label.decode("utf-8", errors="replace")))
                    self._row_index = 0

    def _start_cell(self, attributes: bytes, *, at: int) -> None:
        if self._row is None:
            return
        filled = b"value" in attributes or b"formula" in attributes
        self._cell = _Cell(start=at, repeats=_number(_COLUMNS_REPEATED, attributes, default=1), filled=filled)

    def _end_cell(self, at: int) -> None:
        """Close the open cell (at its end tag, or at the next cell, row or sheet) the way calamine pushes."""
        cell, row = self._cell, self._row
        if cell is None or row is None:
            return
        self._cell = None
        row.position += cell.repeats
        if cell.filled:
            row.pushed += row.pending_empty + cell.repeats
            row.pending_empty = 0
            row.filled_width = row.position
            size = at - cell.start
            row.text_copies += (size + cell.spaces) * cell.repeats
            row.text_once += size
        else:
            row.pending_empty += cell.repeats

    def _end_row(self) -> None:
        row = self._row
        if row is None:
            return
        self._row = None
        if not self.tables:
            self.tables.append(TableStats(name=""))
        table = self.tables[-1]
        table.pushed += row.pushed
        if row.filled_width:
            if table.first_row < 0:
                table.first_row = self._row_index
            table.last_row = self._row_index + row.repeats - 1
            table.width = max(table.width, row.filled_width)
            table.text_bytes += row.text_copies * row.repeats - row.text_once
        self._row_index += row.repeats


def _number(pattern: re.Pattern[bytes], attributes: bytes, *, default: int) -> int:
    match = pattern.search(attributes)
    return int(match[1]) if match else default
