"""Errors that make a whole import file fail (the catalog stays untouched by that file).

Row-level problems are not exceptions: they become ``RowError`` values (see ``pimtasks.imports.rows``)
and the rest of the file goes on.
"""

from __future__ import annotations

from pimtasks.domain.run import MessageLevel, RunMessage
from pimtasks.errors import PimtasksError


class ImportFileError(PimtasksError):
    """The file cannot be imported at all; ``message`` says why in words a product-data manager reads."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value

    def with_file(self, file: str) -> ImportFileError:
        """The same error, naming ``file`` when it did not name one yet (readers deep down may not know it)."""
        if self.file is None:
            self.file = file
        return self

    def to_message(self) -> RunMessage:
        """The run-report line for this failure."""
        return RunMessage(
            level=MessageLevel.ERROR,
            text=self.message,
            file=self.file,
            sheet=self.sheet,
            row=self.row,
            column=self.column,
            value=self.value,
        )


class EmptyFileError(ImportFileError):
    """The file has no bytes, or no header row, or nothing but a header row is not an error (see docs)."""


class UnsupportedFileError(ImportFileError):
    """Not a format this import reads (wrong content, e.g. a PDF, a Word file, JSON for a spreadsheet import)."""


class PasswordProtectedError(ImportFileError):
    """An encrypted workbook: we cannot read it without the password and never ask for one."""


class CorruptFileError(ImportFileError):
    """The file claims a format but its content is damaged."""


class UnsafeArchiveError(ImportFileError):
    """A ZIP that is dangerous to unpack: path traversal, absolute paths, a zip bomb, nested archives."""


class UnsafeXmlError(ImportFileError):
    """XML with entity declarations or external references (XXE, billion laughs)."""


class TooLargeError(ImportFileError):
    """A file or sheet beyond the limits this import accepts."""


class LimitExceededError(TooLargeError):
    """A file beyond one of the ``ReadLimits``: ``limit`` names the setting, ``limit_value`` is its value.

    Raised as soon as a reader sees the limit passed (while unpacking or scanning), never after the work.
    """

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        limit_value: int,
        file: str | None = None,
        sheet: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message, file=file, sheet=sheet, value=value)
        self.limit = limit
        self.limit_value = limit_value


class LayoutMismatchError(ImportFileError):
    """The file does not fit the layout: a missing column, a missing sheet, an ambiguous header."""


class NothingImportedError(ImportFileError):
    """Every row of the file was rejected: nothing of it is in the catalog, so the file failed as a whole."""
