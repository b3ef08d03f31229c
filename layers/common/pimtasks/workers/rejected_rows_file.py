"""The rejected-rows CSV of one input file while it is imported: on local disk, carried across invocations.

A run that continues in a fresh Lambda invocation (or on another machine) has lost its ``/tmp``: before
handing over, the rows rejected so far are stored at the file's final key, and the continuation downloads
that partial file and appends to it. The CSV layout itself belongs to ``pimtasks.imports.RejectedRowsWriter``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TextIO

from pimtasks.imports import RejectedRow, RejectedRowsWriter

CONTENT_TYPE = "text/csv; charset=utf-8"


class _AppendOnly:
    """A text sink that drops what is written before ``arm()``: the header a resumed file already has."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._armed = False

    def arm(self) -> None:
        self._armed = True

    def write(self, text: str) -> int:
        if self._armed:
            return self._stream.write(text)
        return len(text)


class RejectsFile:
    """Rejected rows of one input file, written as they come."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._stream: TextIO | None = None
        self._writer: RejectedRowsWriter | None = None

    def open(self, *, header: Sequence[str], resumed_rows: int, fetch_partial: Callable[[Path], None]) -> None:
        """Start the file, or continue the partial one (``resumed_rows`` > 0) that ``fetch_partial`` downloads."""
        if not resumed_rows:
            self.start(header=header)
            return
        fetch_partial(self.path)
        self._stream = self.path.open("a", encoding="utf-8", newline="")
        sink = _AppendOnly(self._stream)
        self._writer = RejectedRowsWriter(sink, header=header)  # type: ignore[arg-type]
        sink.arm()
        self.rows = resumed_rows

    def start(self, *, header: Sequence[str]) -> None:
        """Start a new file: for work that never resumes part-way (an attachments ZIP is redone as a whole)."""
        self._stream = self.path.open("w", encoding="utf-8", newline="")
        self._writer = RejectedRowsWriter(self._stream, header=header)
        self.rows = 0

    def write(self, rejected: Iterable[RejectedRow]) -> None:
        if self._writer is None:
            raise RuntimeError("the rejected-rows file is not open")
        before = self._writer.count
        self._writer.write(rejected)
        self.rows += self._writer.count - before

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
            self._writer = None

    @property
    def has_rows(self) -> bool:
        return self.rows > 0 and self.path.exists()
