"""The rejected-rows file: the input columns of every rejected row plus where and why.

CSV, UTF-8 with a BOM and ``;`` as delimiter, so Excel with Dutch or German settings opens it in
columns straight away. Columns: ``file``, ``sheet``, ``row``, the input file's header, ``error``.
``row`` is empty for a rejection that is not a row (row number 0: a file inside a ZIP of attachments).
Rows from a table with another header (a second ZIP member) are matched by column name; cells whose
column the first header lacks go to ``other_columns`` as ``name=value`` pairs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

from pimtasks.imports.rows import RejectedRow, describe_value

BOM = "\ufeff"


class RejectedRowsWriter:
    """Writes rejected rows to a text stream as they come (the runner uploads the file at the end)."""

    def __init__(self, stream: TextIO, *, header: Sequence[str], delimiter: str = ";") -> None:
        self._stream = stream
        self._header = tuple(header)
        self._positions = {name: index for index, name in enumerate(self._header) if name}
        self._writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
        self.count = 0
        stream.write(BOM)
        self._writer.writerow(["file", "sheet", "row", *self._header, "other_columns", "error"])

    def write(self, rejected: Iterable[RejectedRow]) -> None:
        """Append ``rejected`` rows."""
        for item in rejected:
            self._writer.writerow(self._line(item))
            self.count += 1

    def _line(self, item: RejectedRow) -> list[str]:
        source = item.source
        cells = [""] * len(self._header)
        other: list[str] = []
        same_header = tuple(source.header) == self._header
        for index, value in enumerate(source.values):
            text = describe_value(value, limit=32767)
            if same_header:
                if index < len(cells):
                    cells[index] = text
                continue
            name = source.header[index] if index < len(source.header) else ""
            position = self._positions.get(name)
            if position is not None:
                cells[position] = text
            elif text:
                other.append(f"{name}={text}")
        row = str(source.row) if source.row else ""
        return [source.file, source.sheet or "", row, *cells, "; ".join(other), item.reason]
