"""Reading, mapping and validating import files (pure Python: no AWS here).

The import runner needs only this module's names:
- ``read_import(source, file_name=..., settings=...)`` -> context manager yielding an ``ImportReader``
  (raises ``ImportFileError`` when the file fails as a whole);
- ``ImportReader.batches(resume=ResumePoint(...), batch_size=...)`` -> ``ImportBatch`` with
  ``records`` (``MappedRecord``), ``rejected`` (``RejectedRow``) and ``resume``;
- ``ImportReader.warnings`` (``RunMessage``), ``RowError.to_message()``, ``ImportFileError.to_message()``;
- ``RejectedRowsWriter(stream, header=reader.header)`` for the rejected-rows file.
"""

from pimtasks.imports.errors import (
    CorruptFileError,
    EmptyFileError,
    ImportFileError,
    LayoutMismatchError,
    LimitExceededError,
    NothingImportedError,
    PasswordProtectedError,
    TooLargeError,
    UnsafeArchiveError,
    UnsafeXmlError,
    UnsupportedFileError,
)
from pimtasks.imports.pipeline import (
    DEFAULT_BATCH_SIZE,
    ImportBatch,
    ImportReader,
    ResumePoint,
    read_import,
    read_records,
)
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.rejected_rows import RejectedRowsWriter
from pimtasks.imports.rows import CellValue, MappedRecord, RejectedRow, RowError, SourceRow

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "CellValue",
    "CorruptFileError",
    "EmptyFileError",
    "ImportBatch",
    "ImportFileError",
    "ImportReader",
    "LayoutMismatchError",
    "LimitExceededError",
    "MappedRecord",
    "NothingImportedError",
    "PasswordProtectedError",
    "ReadLimits",
    "RejectedRow",
    "RejectedRowsWriter",
    "ResumePoint",
    "RowError",
    "SourceRow",
    "TooLargeError",
    "UnsafeArchiveError",
    "UnsafeXmlError",
    "UnsupportedFileError",
    "read_import",
    "read_records",
]
