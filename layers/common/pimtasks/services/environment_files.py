"""The files API: a folder of an environment page by page, and a short-lived presigned download of one file.

Keys are relative to the environment (``Reports/<import>/<run_id>/<file>.rejected.csv``, as runs name their
files). Each is checked (``domain.environment_files.file_key_problem``) before it becomes an object key under
the environment's own prefix, so no key, however it is spelled, reaches another environment's objects; the
environment itself comes from the path the API key was authorised for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.clock import Clock
from pimtasks.domain.environment_files import (
    FOLDER_NAMES,
    FileEntry,
    FolderPage,
    environment_key,
    environment_prefix,
    file_key_problem,
    top_folder,
)
from pimtasks.domain.stored_file import ListedPage
from pimtasks.errors import InvalidFileKeyError, NotFoundError, ValidationFailedError
from pimtasks.services.page_tokens import decode_page_token, encode_page_token
from pimtasks.services.ports import FileBrowser

_BEYOND_FOLDER = "\U0010ffff"
"""Sorts after every character: ``<folder>/`` + this starts a listing after everything in that folder."""


@dataclass(frozen=True)
class DownloadTicket:
    """Where to GET a file, until ``expires_at``."""

    url: str
    expires_at: dt.datetime
    key: str
    version_id: str | None
    size: int
    last_modified: dt.datetime


class _FolderPosition(BaseModel):
    """A page token: the listing it belongs to, and the last key (relative) its previous page showed."""

    model_config = ConfigDict(extra="forbid")

    folder: str
    recursive: bool
    after: str = Field(min_length=1, max_length=1100)


class FilesService:
    def __init__(self, *, files: FileBrowser, clock: Clock, expires_seconds: int) -> None:
        self._files = files
        self._clock = clock
        self._expires = expires_seconds

    def top_folders(self) -> FolderPage:
        """The environment's folders (every environment has them all: they are where its tasks put files)."""
        return FolderPage(folder="", files=[], folders=[f"{name}/" for name in FOLDER_NAMES], next_token=None)

    def list_folder(self, *, environment: str, folder: str, recursive: bool = False, limit: int,
                    next_token: str | None = None) -> FolderPage:
        """A page of ``folder`` (``Reports`` or ``Reports/<import>/...``): its files and, unless ``recursive``
        (every file below it), its subfolders, in key order. ``ValidationFailedError`` on ``folder`` for an
        unknown or malformed folder, on ``next_token`` for a token of another listing."""
        relative = _folder_prefix(folder)
        position = decode_page_token(next_token, position=_FolderPosition)
        if position is not None and (position.folder != relative or position.recursive != recursive
                                     or not position.after.startswith(relative)):
            raise ValidationFailedError(field="next_token", message="a page token of another listing (list again "
                                                                    "without next_token)")
        prefix = environment_prefix(environment)
        page = self._files.list_page(prefix=prefix + relative, recursive=recursive, limit=limit,
                                     start_after=prefix + position.after if position else None)
        files = [FileEntry(key=f.key.removeprefix(prefix), size=f.size, last_modified=f.last_modified)
                 for f in page.files]
        folders = [name.removeprefix(prefix) for name in page.folders]
        after = _last_listed(page, prefix=prefix)
        token = (encode_page_token(_FolderPosition(folder=relative, recursive=recursive, after=after))
                 if page.truncated and after else None)
        return FolderPage(folder=relative, files=files, folders=folders, next_token=token)

    def download(self, *, environment: str, key: str, version_id: str | None = None) -> DownloadTicket:
        """A presigned GET of the file at ``key`` (its current version, or ``version_id``: a run's input after the
        import removed it from Uploads) that expires soon; ``InvalidFileKeyError`` for a key that cannot name a
        file of the environment, ``NotFoundError`` when there is no such file (or version)."""
        problem = file_key_problem(key)
        if problem is not None:
            raise InvalidFileKeyError(field="key", message=f"{key!r} {problem}")
        missing = NotFoundError(f"no file {key!r} in environment {environment}")
        if "/" not in key or top_folder(key) not in FOLDER_NAMES:
            raise missing
        stored = self._files.find(key=environment_key(environment, key), version_id=version_id)
        if stored is None:
            raise missing
        url = self._files.presigned_get(key=stored.key, version_id=stored.version_id, expires_seconds=self._expires,
                                        file_name=stored.name)
        return DownloadTicket(url=url, expires_at=self._clock.now() + dt.timedelta(seconds=self._expires), key=key,
                              version_id=stored.version_id, size=stored.size, last_modified=stored.last_modified)


def _folder_prefix(folder: str) -> str:
    """``Reports`` or ``Reports/x/`` -> ``Reports/`` / ``Reports/x/``, checked like a key."""
    problem = file_key_problem(folder, folder=True)
    if problem is not None:
        raise ValidationFailedError(field="folder", message=f"{folder!r} {problem}")
    if top_folder(folder) not in FOLDER_NAMES:
        raise ValidationFailedError(field="folder", message=f"unknown folder {top_folder(folder)!r}; valid: "
                                                            f"{', '.join(FOLDER_NAMES)}")
    return folder.removesuffix("/") + "/"


def _last_listed(page: ListedPage, *, prefix: str) -> str | None:
    """Where the next page starts (relative): after the last file, or after everything in the last subfolder."""
    candidates = [*(f.key for f in page.files[-1:]), *(name + _BEYOND_FOLDER for name in page.folders[-1:])]
    return max(candidates).removeprefix(prefix) if candidates else None
