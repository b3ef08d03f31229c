"""What an import run carries from one invocation to the next (stored as the run's checkpoint)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pimtasks.clock import parse_iso
from pimtasks.domain.run import RunCounts
from pimtasks.domain.stored_file import StoredFile
from pimtasks.imports import ResumePoint


class UploadRef(BaseModel):
    """The object version an AutoImport run is for (put in the run's first checkpoint by AutoImport)."""

    key: str
    version_id: str | None = None


class FileState(BaseModel):
    """The file being imported, and how far it got."""

    key: str
    version_id: str | None = None
    size: int
    last_modified: str
    scanned: bool = False
    rows: int | None = None  # data rows, counted by the scan: the measure of the file's progress
    resume: ResumePoint | None = None
    counts: RunCounts = Field(default_factory=RunCounts)
    kept_existing: int = 0

    @classmethod
    def of(cls, stored: StoredFile) -> FileState:
        return cls(key=stored.key, version_id=stored.version_id, size=stored.size,
                   last_modified=stored.last_modified.isoformat())

    def stored(self) -> StoredFile:
        return StoredFile(key=self.key, version_id=self.version_id, size=self.size,
                          last_modified=parse_iso(self.last_modified))

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


class ImportCheckpoint(BaseModel):
    """What a continuation of an import run needs (stored as the run's checkpoint)."""

    upload: UploadRef | None = None
    current: FileState | None = None
    done: list[str] = Field(default_factory=list)
    files_imported: int = 0
    files_failed: int = 0


def file_identity(key: str, version_id: str | None) -> str:
    return f"{key}#{version_id or ''}"
