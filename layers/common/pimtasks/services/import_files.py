"""Where an import's files live in the files bucket, and which uploads are ready to be imported.

Folders of an environment (``environments/<env>/``, DOMAIN.md):
- ``Uploads/<Import>/<file>``: waiting files (only direct children are imported; a file in a subfolder fails
  its import, see below);
- ``Archived/<Import>/<yyyy>/<mm>/<run_id>/<file>``: imported files, with Archived = yes (UTC month);
- ``Failed/<Import>/<run_id>/<file>`` (+ ``<file>.report.txt``): files that failed as a whole;
- ``Reports/<Import>/<run_id>/<file>.report.txt`` and ``<file>.rejected.csv``.

A file still being uploaded is never picked up. S3 only shows an object once its upload completed
(a PutObject, or CompleteMultipartUpload from the FTPS gateway), so what is listed is complete. What is left:
- names that clients use while writing (``*.part``, ``*.filepart``, ``*.tmp``, ``~$...``, dot files): an FTPS
  client uploads to such a name and then renames the file, and the rename is what gets imported. A file
  still under such a name after ``TEMPORARY_UPLOAD_GRACE_SECONDS`` was left behind: it fails its import
  (``services.unimportable_uploads``) and goes to ``Failed/``, so it is reported instead of waiting unseen forever;
- zero-byte objects younger than a minute (a client that creates the name first and writes it
  afterwards), which wait for the next look of a listing run; an older empty file, or the upload of an
  empty file, fails its run as an empty file.
Nothing that lands in ``Uploads/<Import>/`` is silently skipped: what cannot be imported as it is (an empty
file, a temporary name left behind, a file in a subfolder) fails its run, naming the file and why, and is
moved to ``Failed/``. The ways in refuse such names up front where they can: the API's presigned upload
(422) and the FTPS gateway (550 for subfolders).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pimtasks.domain.identifiers import is_environment_id, is_folder_name
from pimtasks.domain.stored_file import StoredFile

TRANSIENT_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".temp", ".crdownload", ".download", "~")
TRANSIENT_PREFIXES = (".", "~$")
SETTLE_SECONDS = 60.0
TEMPORARY_UPLOAD_GRACE_SECONDS = 15 * 60
"""How long a file may keep a temporary name (waiting for the client's rename) before it fails its import.
15 minutes is also the longest delay SQS can give a message (AutoImport looks again after it)."""


@dataclass(frozen=True)
class UploadLocation:
    """What an uploads key names."""

    environment: str
    import_name: str
    file_name: str
    subfolder: str = ""
    """``sub/dir`` for ``Uploads/<Import>/sub/dir/<file>``; empty for a file directly in the import's folder."""


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
    """``environments/<env>/Uploads/<import>/[<sub>/...]<file>`` -> its parts; None for any other key (and for
    folder markers, keys ending in ``/``)."""
    parts = key.split("/")
    if len(parts) < 5 or parts[0] != "environments" or parts[2] != "Uploads":
        return None
    environment, import_name, inside = parts[1], parts[3], parts[4:]
    if not is_environment_id(environment) or not is_folder_name(import_name) or not inside[-1]:
        return None
    return UploadLocation(environment=environment, import_name=import_name, file_name=inside[-1],
                          subfolder="/".join(inside[:-1]))


def temporary_name_reason(file_name: str) -> str | None:
    """Why ``file_name`` is a name upload clients give a file while writing it (never imported), or None."""
    lowered = file_name.lower()
    if lowered.startswith("~$"):
        return "it starts with ~$ (an Office lock file)"
    if lowered.startswith(TRANSIENT_PREFIXES):
        return "it starts with a dot (a hidden or temporary file)"
    suffix = next((suffix for suffix in TRANSIENT_SUFFIXES if lowered.endswith(suffix)), None)
    if suffix is not None:
        return f"it ends with {suffix} (a temporary name upload clients use while writing)"
    return None


def is_transient_name(file_name: str) -> bool:
    """A name upload clients give a file while they are still writing it."""
    return temporary_name_reason(file_name) is not None


def is_ready(stored: StoredFile, *, now: dt.datetime, settle_seconds: float = SETTLE_SECONDS,
             grace_seconds: float = TEMPORARY_UPLOAD_GRACE_SECONDS) -> bool:
    """True when a run should take ``stored`` now, to import it or to fail it (see the module docstring)."""
    age = (now - stored.last_modified).total_seconds()
    if is_transient_name(stored.name):
        return age >= grace_seconds  # left behind: the run fails it (unimportable_uploads)
    return not (stored.size == 0 and age < settle_seconds)


def upload_checkpoint(*, key: str, version_id: str | None) -> dict[str, object]:
    """The first checkpoint of an AutoImport run: the one object version it imports."""
    return {"upload": {"key": key, "version_id": version_id}}
