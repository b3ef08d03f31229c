"""A file as the files bucket holds it: one version of one object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredFile:
    """One object version; ``version_id`` is None in a bucket without versioning."""

    key: str
    version_id: str | None
    size: int
    last_modified: dt.datetime

    @property
    def name(self) -> str:
        """The file name: the last segment of the key."""
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ListedPage:
    """One page of a bucket listing: objects, subfolders (full prefixes ending in ``/``), whether more follow."""

    files: list[StoredFile]
    folders: list[str]
    truncated: bool
