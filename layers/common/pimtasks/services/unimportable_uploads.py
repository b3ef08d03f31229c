"""The uploads a run fails instead of importing, and why (the rules are ``services.import_files``'s).

Apart from ``import_files`` because it needs the import errors, and so the reading package, which only the
import function loads (the API and the FTPS identity provider use ``import_files`` and start quickly).
"""

from __future__ import annotations

from pimtasks.imports.errors import EmptyFileError, ImportFileError
from pimtasks.services.import_files import parse_upload_key, temporary_name_reason, uploads_folder


class UnimportableUploadError(ImportFileError):
    """An upload that is never imported as it is (a temporary name left behind, a file in a subfolder)."""


def check_importable(*, key: str, size: int) -> None:
    """Raise the ``ImportFileError`` that fails an upload which cannot be imported as it is: a file in a
    subfolder of its import, a temporary name (left behind: it reaches a run only after the grace period),
    an empty file. The messages name the file and say what to do."""
    name = key.rsplit("/", 1)[-1]
    location = parse_upload_key(key)
    if location is not None and location.subfolder:
        folder = uploads_folder(location.import_name)
        raise UnimportableUploadError(
            f"delivered into the subfolder {folder}{location.subfolder}/: only files directly in {folder} are "
            f"imported; upload it into {folder} itself", file=name)
    reason = temporary_name_reason(name)
    if reason is not None:
        raise UnimportableUploadError(
            f"left under a temporary name and never renamed: {reason}; such names are never imported, upload "
            "the file again under its final name", file=name)
    if size == 0:
        raise EmptyFileError("empty file (0 bytes): there is nothing to import", file=name)
