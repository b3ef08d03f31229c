"""Open an import file (a path or a binary stream) as a list of tables, whatever its format.

    with open_source(path, file_name="prices.xlsx", file_format=FileFormat.STANDARD, layout=None) as source:
        for table in source.tables:
            for row in table.rows():
                ...

The content decides how a file is read, not its name: an ``.xls`` that really is a CSV is read as
CSV, with a warning. A ZIP is unpacked (safely, see ``archive``) into the source's own temporary
directory and each member becomes a table, in member-name order; the directory is removed on exit.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pimtasks.domain.run import MessageLevel, RunMessage
from pimtasks.domain.task_types import FileFormat, ImportLayout
from pimtasks.imports.errors import ImportFileError, TooLargeError, UnsafeArchiveError, UnsupportedFileError
from pimtasks.imports.reading.archive import extract_member, list_members, open_archive
from pimtasks.imports.reading.bmecat import BmecatTable
from pimtasks.imports.reading.delimited import open_text_table
from pimtasks.imports.reading.etim_xchange import EtimXchangeTable
from pimtasks.imports.reading.limits import MIB, ReadLimits
from pimtasks.imports.reading.sniffing import KIND_LABELS, FileKind, extension_kind, sniff_kind
from pimtasks.imports.reading.spreadsheet import open_workbook_table
from pimtasks.imports.reading.tables import Table

__all__ = ["FileKind", "ImportSource", "ReadLimits", "Table", "open_source"]

ACCEPTED_KINDS: dict[FileFormat, tuple[FileKind, ...]] = {
    FileFormat.STANDARD: (FileKind.XLSX, FileKind.XLS, FileKind.ODS, FileKind.TEXT),
    FileFormat.ETIM_XCHANGE: (FileKind.JSON,),
    FileFormat.BMECAT_ETIM: (FileKind.XML,),
}
FORMAT_LABELS = {
    FileFormat.STANDARD: "a spreadsheet (XLSX, XLS, ODS) or a CSV/TXT file",
    FileFormat.ETIM_XCHANGE: "an ETIM xChange JSON file",
    FileFormat.BMECAT_ETIM: "a BMEcat XML file",
}


class ImportSource:
    """An opened import file: its kind, its tables and the warnings met while opening it."""

    def __init__(self, *, file_name: str, kind: FileKind, tables: list[Table], warnings: list[RunMessage]) -> None:
        self.file_name = file_name
        self.kind = kind
        self.tables = tables
        self.warnings = warnings


@contextlib.contextmanager
def open_source(
    source: Path | str | BinaryIO,
    *,
    file_name: str,
    file_format: FileFormat = FileFormat.STANDARD,
    layout: ImportLayout | None = None,
    limits: ReadLimits | None = None,
    workdir: Path | None = None,
) -> Iterator[ImportSource]:
    """Open ``source`` (a local path, or a binary stream that is copied to a temporary file first).

    ``file_name`` is the name users know the file by (the upload's name); it appears in every message.
    Raises ``ImportFileError`` (with ``file`` set) when the file cannot be imported at all.
    """
    limits = limits or ReadLimits()
    scratch = Path(tempfile.mkdtemp(prefix="pimtasks-import-", dir=workdir))
    tables: list[Table] = []
    try:
        try:
            path = _local_path(source, scratch=scratch, limits=limits)
            opened = _open_file(
                path, label=file_name, file_format=file_format, layout=layout, limits=limits, scratch=scratch
            )
        except ImportFileError as error:
            error.with_file(file_name)
            raise
        tables = opened.tables
        yield opened
    finally:
        for table in tables:
            table.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _local_path(source: Path | str | BinaryIO, *, scratch: Path, limits: ReadLimits) -> Path:
    if isinstance(source, str | Path):
        path = Path(source)
        if path.stat().st_size > limits.max_file_bytes:
            raise TooLargeError(f"the file is larger than {limits.max_file_bytes // MIB} MiB")
        return path
    target = scratch / "upload.bin"
    copied = 0
    with target.open("wb") as sink:
        while chunk := source.read(1 << 20):
            copied += len(chunk)
            if copied > limits.max_file_bytes:
                raise TooLargeError(f"the file is larger than {limits.max_file_bytes // MIB} MiB")
            sink.write(chunk)
    return target


def _open_file(
    path: Path,
    *,
    label: str,
    file_format: FileFormat,
    layout: ImportLayout | None,
    limits: ReadLimits,
    scratch: Path,
) -> ImportSource:
    kind = sniff_kind(path, limits=limits)
    warnings = _extension_warning(label, kind)
    if kind is FileKind.ZIP:
        tables = _open_archive(
            path, label=label, file_format=file_format, layout=layout, limits=limits, scratch=scratch
        )
        return ImportSource(file_name=label, kind=kind, tables=tables, warnings=warnings)
    _check_accepted(kind, file_format)
    table = _open_table(path, kind=kind, label=label, layout=layout, limits=limits)
    return ImportSource(file_name=label, kind=kind, tables=[table], warnings=warnings)


def _open_archive(
    path: Path,
    *,
    label: str,
    file_format: FileFormat,
    layout: ImportLayout | None,
    limits: ReadLimits,
    scratch: Path,
) -> list[Table]:
    # Every check and every unpacking happens before the first table is returned, so a bad member
    # fails the archive before any row of it is imported.
    archive = open_archive(path, limits=limits)
    members = list_members(archive)
    tables: list[Table] = []
    try:
        for index, info in enumerate(members):
            member_label = f"{label}/{info.filename}"
            member = extract_member(archive, info, target=scratch / f"member-{index:04d}")
            try:
                kind = sniff_kind(member.path, limits=limits)
                if kind is FileKind.ZIP:
                    raise UnsafeArchiveError(
                        f"{info.filename!r} is itself a ZIP archive; nested archives are not accepted",
                        value=info.filename,
                    )
                _check_accepted(kind, file_format)
                tables.append(_open_table(member.path, kind=kind, label=member_label, layout=layout, limits=limits))
            except ImportFileError as error:
                error.with_file(member_label)
                raise
    except ImportFileError:
        for table in tables:
            table.close()
        raise
    if not tables:
        raise UnsupportedFileError("the ZIP archive contains no files to import")
    return tables


def _open_table(path: Path, *, kind: FileKind, label: str, layout: ImportLayout | None, limits: ReadLimits) -> Table:
    if kind in (FileKind.XLSX, FileKind.XLS, FileKind.ODS):
        return open_workbook_table(path, file=label, kind=kind, layout=layout, limits=limits)
    if kind is FileKind.TEXT:
        return open_text_table(path, file=label, layout=layout, limits=limits)
    if kind is FileKind.JSON:
        return EtimXchangeTable(path, file=label, limits=limits)
    return BmecatTable(path, file=label)


def _check_accepted(kind: FileKind, file_format: FileFormat) -> None:
    if kind not in ACCEPTED_KINDS[file_format]:
        raise UnsupportedFileError(
            f"the file is {KIND_LABELS[kind]}, but this import expects {FORMAT_LABELS[file_format]}"
        )


def _extension_warning(label: str, kind: FileKind) -> list[RunMessage]:
    promised = extension_kind(label)
    if promised is None or promised is kind or (promised is FileKind.TEXT and kind is FileKind.TEXT):
        return []
    return [
        RunMessage(
            level=MessageLevel.WARNING,
            text=f"the file's name says {KIND_LABELS[promised]}, but its content is {KIND_LABELS[kind]}; "
            "it is read as what it contains",
            file=label,
        )
    ]
