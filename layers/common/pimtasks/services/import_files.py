"""Where an import's files live in the files bucket, and which uploads are ready to be imported.

Folders of an environment (``environments/<env>/``, DOMAIN.md):
- ``Uploads/<Import>/<file>``: waiting files (only direct children; subfolders are not imports);
- ``Archived/<Import>/<yyyy>/<mm>/<run_id>/<file>``: imported files, with Archived = yes (UTC month);
- ``Failed/<Import>/<run_id>/<file>`` (+ ``<file>.report.txt``): files that failed as a whole;
- ``Reports/<Import>/<run_id>/<file>.report.txt`` and ``<file>.rejected.csv``.

A file still being uploaded is never picked up. S3 only shows an object once its upload completed
(a PutObject, or CompleteMultipartUpload from the FTPS gateway), so what is listed is complete. What is left:
names that clients use while writing (``*.part``, ``*.filepart``, ``*.tmp``, ``~$...``, dot files), which
are ignored, and zero-byte objects younger than a minute (a client that creates the name first and
writes it afterwards), which wait for the next look; an older empty file is imported and fails as empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pimtasks.domain.identifiers import is_environment_id, is_folder_name
from pimtasks.domain.stored_file import StoredFile

TRANSIENT_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".temp", ".crdownload", ".download", "~")
TRANSIENT_PREFIXES = (".", "~$")
SETTLE_SECONDS = 60.0


@dataclass(frozen=True)
class UploadLocation:
    """What an uploads key names."""

    environment: str
    import_name: str
    file_name: str


def environment_key(environment: str, relative: str) -> str:
    """The full object key of ``relative`` (a key relative to the environment, as run files name them)."""
    return f"environments/{environment}/{relative}"


def uploads_folder(import_name: str) -> str:
    return f"Uploads/{import_name}/"


def archived_file(*, import_name: str, run_id: str, file_name: str, when: dt.datetime) -> str:
    moment = when.astimezone(dt.UTC)
    return f"Archived/{import_name}/{moment:%Y}/{moment:%m}/{run_id}/{file_name}"


def failed_file(*, import_name: str, run_id: str, file_name: str) -> str:
    return f"Failed/{import_name}/{run_id}/{file_name}"


def report_file(*, import_name: str, run_id: str, file_name: str) -> str:
    return f"Reports/{import_name}/{run_id}/{file_name}.report.txt"


def rejected_rows_file(*, import_name: str, run_id: str, file_name: str) -> str:
    return f"Reports/{import_name}/{run_id}/{file_name}.rejected.csv"


def parse_upload_key(key: str) -> UploadLocation | None:
    """``environments/<env>/Uploads/<import>/<file>`` -> its parts; None for any other key."""
    parts = key.split("/")
    if len(parts) != 5 or parts[0] != "environments" or parts[2] != "Uploads":
        return None
    _, environment, _, import_name, file_name = parts
    if not is_environment_id(environment) or not is_folder_name(import_name) or not file_name:
        return None
    return UploadLocation(environment=environment, import_name=import_name, file_name=file_name)


def is_transient_name(file_name: str) -> bool:
    """A name upload clients give a file while they are still writing it."""
    lowered = file_name.lower()
    return lowered.startswith(TRANSIENT_PREFIXES) or lowered.endswith(TRANSIENT_SUFFIXES)


def is_ready(stored: StoredFile, *, now: dt.datetime, settle_seconds: float = SETTLE_SECONDS) -> bool:
    """True when ``stored`` can be imported now (see the module docstring)."""
    if is_transient_name(stored.name):
        return False
    young = (now - stored.last_modified).total_seconds() < settle_seconds
    return not (stored.size == 0 and young)


def upload_checkpoint(*, key: str, version_id: str | None) -> dict[str, object]:
    """The first checkpoint of an AutoImport run: the one object version it imports."""
    return {"upload": {"key": key, "version_id": version_id}}
