"""The import runner's entry point: read, map and validate a file in batches, resumable by row number.

    with read_import(path, file_name=name, settings=task_settings) as reader:
        messages.extend(reader.warnings)
        for batch in reader.batches(resume=checkpoint, batch_size=500):
            write(batch.records)               # catalog writes (insert/update per settings.layout.mode)
            rejected_file.write(batch.rejected)  # see rejected_rows.RejectedRowsWriter
            checkpoint = batch.resume          # store with the run; a continuation passes it back

Entering ``read_import`` opens the file and binds the layout to every table: whatever makes the file
fail *as a whole* (unreadable, unsafe, password-protected, missing columns, ...) is raised there as an
``ImportFileError``, before a single batch is produced.

Duplicate keys within one file: the first row with a key is imported; every later row with the same
key is rejected, naming the first row ("duplicate key article_number='A1': first used in row 5").
Rows are compared by their key cells as converted, valid or not, so a continuation rebuilds the same
picture by converting only the key cells of the rows it skips (cheap, no validation). The key is the
layout's ``key_columns`` or, without a layout, the record's natural key. Keys are remembered as 64-bit
hashes (about 100 bytes per row), which keeps a million-row file well within memory.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.catalog.models import Product
from pimtasks.domain.run import MessageLevel, RunMessage
from pimtasks.domain.task_types import ImportSettings, ImportTarget
from pimtasks.imports.errors import EmptyFileError, ImportFileError
from pimtasks.imports.etim_check import EtimReference, EtimRowCheck
from pimtasks.imports.mapping import RecordMapper, TableMapper
from pimtasks.imports.reading import ImportSource, open_source
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.rows import MappedRecord, RejectedRow, RowError, SourceRow

DEFAULT_BATCH_SIZE = 500


class ResumePoint(BaseModel):
    """Where a continuation starts: after row ``row`` of table ``table`` (0-based, ZIP member order)."""

    model_config = ConfigDict(frozen=True)

    table: int = Field(default=0, ge=0)
    row: int = Field(default=0, ge=0, description="Last row already processed (spreadsheet row number)")


@dataclass
class ImportBatch:
    """Up to ``batch_size`` processed rows of one table."""

    table: int
    file: str
    sheet: str | None
    records: list[MappedRecord] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    resume: ResumePoint = field(default_factory=ResumePoint)
    warnings: list[RunMessage] = field(default_factory=list)
    """Row warnings of this batch's imported rows (a number that could be read two ways, an ETIM check)."""

    @property
    def rows_read(self) -> int:
        """Rows this batch consumed (imported + rejected)."""
        return len(self.records) + len(self.rejected)


class ImportReader:
    """Batches of mapped records and rejections for one opened file."""

    def __init__(self, source: ImportSource, *, mapper: RecordMapper, etim: EtimReference | None = None) -> None:
        self.source = source
        self.mappers: list[TableMapper] = [mapper.bind(table) for table in source.tables]
        # Products are checked against the environment's ETIM model when it has one (warnings only).
        self._etim_checks = ([EtimRowCheck(etim, table_mapper) for table_mapper in self.mappers]
                             if etim is not None and mapper.target is ImportTarget.PRODUCTS else None)
        self.warnings: list[RunMessage] = list(source.warnings)
        for table_mapper in self.mappers:
            self.warnings.extend(table_mapper.warnings)
        self._seen: dict[int, int] = {}
        self._check_not_empty()

    def _check_not_empty(self) -> None:
        """A file with a header but no data rows fails: nothing to import is almost always a wrong upload."""
        empty = [mapper.table for mapper in self.mappers if next(iter(mapper.table.rows()), None) is None]
        if empty and len(empty) == len(self.mappers):
            table = empty[0]
            raise EmptyFileError(
                f"{table.location()} has a header row but no data rows; nothing was imported",
                file=table.file,
                sheet=table.sheet,
                row=table.header_row or None,
            )
        for table in empty:
            self.warnings.append(table.message(MessageLevel.WARNING, f"{table.location()} has no data rows"))

    @property
    def header(self) -> tuple[str, ...]:
        """The first table's header: the input columns of the rejected-rows file."""
        return self.mappers[0].table.header if self.mappers else ()

    def holds(self, key: tuple[str, ...]) -> bool:
        """Whether a row read so far had this natural key (imported or rejected, if its key cells could be read):
        once ``batches`` ran to the end, whether the file holds the record. Compared by hash, as duplicates are:
        a collision keeps a record, never removes one."""
        return hash(key) in self._seen

    def batches(
        self, *, resume: ResumePoint | None = None, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> Iterator[ImportBatch]:
        """Process every row after ``resume`` in batches; each batch's ``resume`` continues after it."""
        resume = resume or ResumePoint()
        self._seen.clear()
        for index, table_mapper in enumerate(self.mappers):
            if index < resume.table:
                self._remember_keys(index, table_mapper, through_row=None)
                continue
            after_row = resume.row if index == resume.table else 0
            if after_row:
                self._remember_keys(index, table_mapper, through_row=after_row)
            yield from self._table_batches(index, table_mapper, after_row=after_row, batch_size=batch_size)

    def _table_batches(
        self, index: int, table_mapper: TableMapper, *, after_row: int, batch_size: int
    ) -> Iterator[ImportBatch]:
        table = table_mapper.table
        batch = ImportBatch(index, table.file, table.sheet, resume=ResumePoint(table=index, row=after_row))
        rows = table.rows(after_row=after_row)
        try:
            while True:
                with _collector_paused():
                    batch = self._fill(batch, rows, index=index, batch_size=batch_size)
                if batch.rows_read < batch_size:
                    break
                done = batch
                batch = ImportBatch(index, table.file, table.sheet, resume=done.resume)
                yield done
            if batch.rows_read:
                last = batch.records[-1].row if batch.records else 0
                last = max(last, batch.rejected[-1].source.row if batch.rejected else 0)
                batch.resume = ResumePoint(table=index, row=last)
                yield batch
        finally:
            # A ZIP binds all its tables at once: only the table being read keeps its memos.
            table_mapper.column_batch.forget()

    def _fill(self, batch: ImportBatch, rows: Iterator[SourceRow], *, index: int, batch_size: int) -> ImportBatch:
        """Map rows into ``batch`` until it holds ``batch_size`` rows or the table ends."""
        table_mapper = self.mappers[index]
        seen = self._seen
        chunk = list(itertools.islice(rows, batch_size - batch.rows_read))
        unreadable = table_mapper.table.unreadable_rows(chunk)  # e.g. stray bytes in a UTF-8 CSV
        checked: list[tuple[SourceRow, Product]] | None = [] if self._etim_checks is not None else None
        for row, (outcome, key) in zip(chunk, table_mapper.map_rows(chunk), strict=True):
            if unreadable:
                outcome = unreadable.get(row.row, outcome)
            if key is not None:
                digest = hash(key)
                first = seen.get(digest)
                if first is None:
                    seen[digest] = (index << 32) | row.row  # _pack, inline: once per row
                elif outcome.__class__ is MappedRecord:
                    outcome = self._duplicate(index, table_mapper, row, key, first)
            if outcome.__class__ is MappedRecord:
                batch.records.append(outcome)  # type: ignore[arg-type]
                if checked is not None:
                    checked.append((row, outcome.record))  # type: ignore[union-attr, arg-type]
            else:
                batch.rejected.append(outcome)  # type: ignore[arg-type]
        batch.warnings.extend(table_mapper.take_warnings())
        if checked and self._etim_checks is not None:
            batch.warnings.extend(self._etim_checks[index].check(checked))
        if chunk and batch.rows_read >= batch_size:
            batch.resume = ResumePoint(table=index, row=chunk[-1].row)
        return batch

    def _duplicate(
        self, index: int, table_mapper: TableMapper, row: SourceRow, key: tuple[str, ...], first: int
    ) -> RejectedRow:
        first_table, first_row = _unpack(first)
        where = (
            f"row {first_row}" if first_table == index else f"{self.mappers[first_table].table.file}, row {first_row}"
        )
        error = RowError(
            row.file,
            row.sheet,
            row.row,
            *table_mapper.key_cell(key),
            f"duplicate key {table_mapper.key_text(key)}: first used in {where}; this row is not imported",
        )
        return RejectedRow(row, (error,))

    def _register(self, index: int, table_mapper: TableMapper, row: SourceRow) -> None:
        key = table_mapper.duplicate_key(row)
        if key is not None:
            self._seen.setdefault(hash(key), _pack(index, row.row))

    def _remember_keys(self, index: int, table_mapper: TableMapper, *, through_row: int | None) -> None:
        """Rebuild the duplicate-key picture of rows a continuation skips (key cells only)."""
        for row in table_mapper.table.rows():
            if through_row is not None and row.row > through_row:
                return
            self._register(index, table_mapper, row)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one batch is built.

    The row loop allocates many short-lived, acyclic objects (cells, dicts, records); the generational
    collector keeps walking them and costs about 40% of the import's time. Whatever cyclic garbage a
    batch might leave is collected once the collector runs again, between batches, so memory stays
    bounded by one batch. A collector the caller had disabled stays disabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _pack(table: int, row: int) -> int:
    return (table << 32) | row


def _unpack(value: int) -> tuple[int, int]:
    return value >> 32, value & 0xFFFFFFFF


def mapper_for(settings: ImportSettings) -> RecordMapper:
    """The record mapper the task's settings describe."""
    layout = settings.layout if settings.custom_layout else None
    return RecordMapper(target=settings.target, layout=layout)


@contextlib.contextmanager
def read_import(
    source: Path | str | BinaryIO,
    *,
    file_name: str,
    settings: ImportSettings,
    limits: ReadLimits | None = None,
    workdir: Path | None = None,
    etim: EtimReference | None = None,
) -> Iterator[ImportReader]:
    """Open ``source`` for the import task ``settings``; raises ``ImportFileError`` if it fails as a whole.

    ``etim``: the environment's ETIM model, which product rows are checked against (None: no check).
    """
    layout = settings.layout if settings.custom_layout else None
    with open_source(
        source, file_name=file_name, file_format=settings.file_format, layout=layout, limits=limits, workdir=workdir
    ) as opened:
        try:
            reader = ImportReader(opened, mapper=mapper_for(settings), etim=etim)
        except ImportFileError as error:
            error.with_file(file_name)
            raise
        yield reader


def read_records(
    source: Path | str | BinaryIO,
    *,
    file_name: str,
    target: ImportTarget = ImportTarget.PRODUCTS,
    settings: ImportSettings | None = None,
) -> tuple[list[MappedRecord], list[RejectedRow], list[RunMessage]]:
    """Everything of a small file at once (tests, previews): records, rejections, warnings (the file's, then
    the rows')."""
    settings = settings or ImportSettings(import_name="preview", target=target)
    records: list[MappedRecord] = []
    rejected: list[RejectedRow] = []
    with read_import(source, file_name=file_name, settings=settings) as reader:
        warnings = list(reader.warnings)
        for batch in reader.batches():
            records.extend(batch.records)
            rejected.extend(batch.rejected)
            warnings.extend(batch.warnings)
        return records, rejected, warnings
