"""ZIP archives of import files, unpacked safely.

- Member names are never used as paths: each member is written to a fresh numbered file inside the
  reader's own temporary directory. Names that *try* to escape (``../``, absolute paths, drive letters)
  still fail the whole archive, because they only appear in hostile or broken archives.
- Zip bombs (see ``safe_zip``): the directory is checked first (declared sizes per member, in total and
  their compression ratio; duplicate names, overlapping members); then every member is unpacked from its
  raw bytes with the bytes that really come out counted, so a member that lies about its size, passes
  the ratio or the archive's total (``ReadLimits.max_archive_total_bytes``) stops the archive at once.
- Nested archives, encrypted members and symbolic links are refused. Folders, macOS resource forks
  (``__MACOSX/``) and hidden files (``.DS_Store``) are skipped.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pimtasks.imports.errors import UnsafeArchiveError
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.safe_zip import ZipContainer

_DRIVE = re.compile(r"^[A-Za-z]:")
NESTED_ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".gz", ".tar")


@dataclass(frozen=True)
class ArchiveMember:
    """A member unpacked to ``path`` (a name we chose); ``name`` is its name inside the archive."""

    name: str
    path: Path


def open_archive(path: Path, *, limits: ReadLimits) -> ZipContainer:
    """The ZIP archive at ``path`` with its directory checked; pass it to ``list_members``/``extract_member``."""
    return ZipContainer.open(
        path,
        limits=limits,
        what="the ZIP archive",
        total_limit="max_archive_total_bytes",
        member_limit="max_file_bytes",
    )


def list_members(archive: ZipContainer) -> list[zipfile.ZipInfo]:
    """The archive's file members in name order, after every check that needs no decompression."""
    members = [member.info for member in archive.members if not _skipped(member.info)]
    limits = archive.limits
    if len(members) > limits.max_archive_members:
        raise limits.exceeded("max_archive_members", f"the ZIP archive has {len(members):,} files")
    for info in members:
        check_member(info)
    return sorted(members, key=lambda info: info.filename)


def _skipped(info: zipfile.ZipInfo) -> bool:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return info.is_dir() or "__MACOSX" in parts or (bool(parts) and parts[-1].startswith("."))


def check_member(info: zipfile.ZipInfo) -> None:
    """Fail for a member that is unsafe by its name or type (its sizes are ``ZipContainer``'s concern)."""
    name = info.filename
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or _DRIVE.match(normalized) or ".." in PurePosixPath(normalized).parts:
        raise UnsafeArchiveError(
            f"the ZIP archive contains an unsafe path {name!r}; it is refused as a whole", value=name
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchiveError(f"the ZIP archive contains a symbolic link {name!r}", value=name)
    if normalized.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
        raise UnsafeArchiveError(
            f"the ZIP archive contains another archive {name!r}; nested archives are not accepted", value=name
        )


def extract_member(archive: ZipContainer, info: zipfile.ZipInfo, *, target: Path) -> ArchiveMember:
    """Unpack ``info`` to ``target``, its real bytes counted against the limits as they come out."""
    member = archive.member(info.filename)
    if member is None:  # not one of this archive's entries: a programming error, said plainly
        raise KeyError(info.filename)
    with target.open("wb") as sink:
        for chunk in archive.chunks(member):
            sink.write(chunk)
    return ArchiveMember(name=info.filename, path=target)
