"""Manual uploads: a presigned PUT straight into ``environments/<env>/Uploads/<import>/<file name>``.

The file goes from the user's machine to S3 without passing through Lambda; its ObjectCreated event then
starts AutoImport exactly as an FTPS upload does. Only imports open to manual upload get a URL (the rule is
``services.upload_channels``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from pimtasks.clock import Clock
from pimtasks.errors import ValidationFailedError
from pimtasks.services.import_files import temporary_name_reason
from pimtasks.services.ports import TaskStore
from pimtasks.services.upload_channels import ImportFolders, UploadChannel

MAX_FILE_NAME = 200


class Presigner(Protocol):
    def presigned_put(self, *, key: str, expires_seconds: int) -> str: ...


@dataclass(frozen=True)
class UploadTicket:
    url: str
    method: str
    key: str
    expires_at: dt.datetime


def uploads_key(*, environment: str, import_name: str, file_name: str) -> str:
    return f"environments/{environment}/Uploads/{import_name}/{file_name}"


def validate_file_name(file_name: str) -> str:
    """The name a file may be uploaded under: one printable path segment that an import will read.

    Refused, with the reason: no name, a folder path (files in subfolders of an import are never imported),
    ``.``/``..``, control characters, and the temporary names upload clients use while writing
    (``x.part``, ``x.tmp``, ``~$x.xlsx``, ``.x``), which imports never read: a file uploaded under one would
    only wait in its folder until it failed.
    """
    name = unicodedata.normalize("NFC", file_name.strip())
    problem = _file_name_problem(name)
    if problem is not None:
        raise ValidationFailedError(field="file_name", message=f"{file_name!r} {problem}")
    return name


def _file_name_problem(name: str) -> str | None:
    if not name or name in (".", ".."):
        return "is not a file name"
    if len(name) > MAX_FILE_NAME:
        return f"is longer than {MAX_FILE_NAME} characters"
    if "/" in name or "\\" in name:
        return ("names a folder: give the plain file name (files in subfolders of an import are never "
                "imported)")
    if any(unicodedata.category(c).startswith("C") for c in name):
        return "contains control or invisible characters"
    reason = temporary_name_reason(name)
    if reason is not None:
        return f"is a temporary name that is never imported: {reason}; upload the file under its final name"
    return None


class UploadService:
    def __init__(self, *, tasks: TaskStore, presigner: Presigner, clock: Clock, expires_seconds: int) -> None:
        self._tasks = tasks
        self._presigner = presigner
        self._clock = clock
        self._expires = expires_seconds

    def create_upload(self, *, environment: str, import_name: str, file_name: str) -> UploadTicket:
        """A presigned PUT for a file of one of the environment's imports.

        Raises ``ValidationFailedError`` for an unknown import and ``UploadChannelClosedError`` for an import
        whose tasks have ``manual_upload`` off.
        """
        imports = ImportFolders.of(self._tasks.list(environment=environment))
        imports.require(import_name, UploadChannel.MANUAL)
        key = uploads_key(environment=environment, import_name=import_name, file_name=validate_file_name(file_name))
        url = self._presigner.presigned_put(key=key, expires_seconds=self._expires)
        return UploadTicket(url=url, method="PUT", key=key,
                            expires_at=self._clock.now() + dt.timedelta(seconds=self._expires))
