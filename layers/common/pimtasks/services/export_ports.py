"""What an export needs from the outside world, as Protocols (adapters in ``pimtasks.adapters``).

Kept narrow and named for exports: the catalog is read as "records for an export" (the change feed, so a delta is
an index range and never a scan), files are published through the general ``FileStorage`` port, and mail with a
file goes through ``FileMailer``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pimtasks.domain.task_types import ImportTarget


@dataclass(frozen=True)
class ExportRecord:
    """A catalog record (or the tombstone of a removed one) as an export reads it.

    ``position`` is where it stands in change order (a reader resumes after it); ``changed_at`` is when its content
    last changed.
    """

    record_id: str
    key: tuple[str, ...]
    data: dict[str, Any]
    changed_at: dt.datetime
    position: str
    deleted: bool = False


class ExportCatalog(Protocol):
    def records_for_export(self, *, environment: str, entity: ImportTarget, since: dt.datetime | None,
                           after: str | None = None) -> Iterator[ExportRecord]:
        """Records of ``entity`` changed at or after ``since`` (all when None), tombstones included, in change
        order, starting after position ``after``."""
        ...


class FileMailer(Protocol):
    def send_with_file(self, *, to: list[str], subject: str, text: str, file: Path, file_name: str,
                       content_type: str) -> str: ...

    def send(self, *, to: list[str], subject: str, text: str) -> str: ...


class DownloadLinks(Protocol):
    def presigned_get(self, *, key: str, expires_seconds: int, file_name: str | None = None) -> str: ...


class RemoteTransferError(Exception):
    """A remote server refused or did not answer; the text names the host and the server's reply.

    ``retryable`` false: trying again cannot help (an HTTP server refused the login or the file), so the delivery
    does not."""

    def __init__(self, text: str, *, retryable: bool = True) -> None:
        super().__init__(text)
        self.retryable = retryable


class RemoteUploader(Protocol):
    """One connection to a remote server (``with`` closes it)."""

    def __enter__(self) -> RemoteUploader: ...

    def __exit__(self, *exc: object) -> None: ...

    def upload(self, *, local: Path, directory: str, name: str) -> None:
        """Write ``local`` as ``directory/name``: under a temporary name first, renamed when complete (a reader
        of the directory never sees half a file). Raises ``RemoteTransferError``."""
        ...


class MultipartUploads(Protocol):
    """A file sent to the files bucket in parts (each but the last at least 5 MiB), so an export can go on in a
    fresh invocation into the same upload."""

    def start_multipart(self, *, key: str, content_type: str) -> str: ...

    def upload_part(self, *, key: str, upload_id: str, number: int, source: Path) -> str:
        """Send ``source`` as part ``number``; its ETag."""
        ...

    def complete_multipart(self, *, key: str, upload_id: str, parts: Sequence[tuple[int, str]]) -> None: ...

    def abort_multipart(self, *, key: str, upload_id: str) -> None: ...
