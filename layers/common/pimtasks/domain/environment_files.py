"""The files of an environment as the files API shows them: its folders, and keys relative to its prefix.

Every object of an environment lives under ``environments/<env>/<Folder>/...`` (DOMAIN.md keeps the folder
names of the original PIM). A *relative key* (``Reports/Sales conditions APAC/<run_id>/x.xlsx.rejected.csv``)
is what run files and the files API name; only ``environment_key`` turns one into an object key, after
``file_key_problem`` found nothing wrong with it, so no key a caller sends can leave its environment.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class EnvironmentFolder(StrEnum):
    """The top-level folders of an environment (the first segment of every relative key)."""

    UPLOADS = "Uploads"
    ARCHIVED = "Archived"
    FAILED = "Failed"
    REPORTS = "Reports"
    DOWNLOADS = "Downloads"
    ATTACHMENTS = "Attachments"
    INVOICES = "Invoices"
    FEEDS = "Feeds"
    """Each feed's versions (``Feeds/<feed>/<version>/``): the pages and whole file a feed run built."""


FOLDER_NAMES: tuple[str, ...] = tuple(folder.value for folder in EnvironmentFolder)
MAX_KEY_BYTES = 900
"""S3 keys hold 1,024 bytes; the environment prefix and temporary suffixes need some of them."""


ENVIRONMENTS_ROOT = "environments/"


def environment_prefix(environment: str) -> str:
    """``environments/<env>/``: where everything of one environment lives in the files bucket."""
    return f"{ENVIRONMENTS_ROOT}{environment}/"


def environment_key(environment: str, relative_key: str) -> str:
    """The full object key of a key relative to the environment (as run files name them); a key from outside
    is checked with ``file_key_problem`` first."""
    return f"{environment_prefix(environment)}{relative_key}"


def relative_key(environment: str, key: str) -> str:
    """A full object key of the environment as runs and the files API name it: relative to the environment."""
    return key.removeprefix(environment_prefix(environment))


def file_key_problem(key: str, *, folder: bool = False) -> str | None:
    """Why ``key`` cannot name a file (with ``folder``: a folder) of an environment; None when it can.

    A key is ``/``-separated segments, none of them empty, ``.`` or ``..``, with no backslash and no control or
    invisible character, and not absolute. S3 itself would store ``Reports/../../000002/x`` as a plain name,
    but the HTTP clients that follow a presigned URL resolve dot segments, so such a key would address another
    environment's object: it is refused here, before anything is signed.
    """
    if not key:
        return "is empty"
    if len(key.encode("utf-8", errors="surrogatepass")) > MAX_KEY_BYTES:
        return f"is longer than {MAX_KEY_BYTES} bytes"
    if key.startswith("/"):
        return "is absolute: give the key relative to the environment, e.g. Reports/<import>/<file>"
    if "\\" in key:
        return "contains a backslash"
    if any(unicodedata.category(c).startswith("C") for c in key):
        return "contains control or invisible characters"
    segments = key.removesuffix("/").split("/") if folder else key.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "has an empty, '.' or '..' segment"
    return None


def top_folder(key: str) -> str:
    """The first segment of a relative key (``Reports`` of ``Reports/x/y.csv``)."""
    return key.split("/", 1)[0]


@dataclass(frozen=True)
class FileEntry:
    """One file of a folder listing: its key relative to the environment, size and time of its last write."""

    key: str
    size: int
    last_modified: dt.datetime


@dataclass(frozen=True)
class FolderPage:
    """A page of a folder: the files, the subfolders (relative keys ending in ``/``), where the next page
    starts (None on the last)."""

    folder: str
    files: list[FileEntry]
    folders: list[str]
    next_token: str | None
