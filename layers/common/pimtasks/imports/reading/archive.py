"""ZIP archives of import files, unpacked safely.

- Member names are never used as paths: each member is written to a fresh numbered file inside the
  reader's own temporary directory. Names that *try* to escape (``../``, absolute paths, drive letters)
  still fail the whole archive, because they only appear in hostile or broken archives.
- Zip bombs: the declared sizes are checked first (per member, in total, and the compression ratio);
  then the actual bytes are counted while decompressing, so a member that lies about its size is
  stopped at its declared size or the cap, whichever is lower.
- Nested archives, encrypted members and symbolic links are refused. Folders, macOS resource forks
  (``__MACOSX/``) and hidden files (``.DS_Store``) are skipped.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pimtasks.imports.errors import CorruptFileError, UnsafeArchiveError
from pimtasks.imports.reading.limits import MIB, ReadLimits

_DRIVE = re.compile(r"^[A-Za-z]:")
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveMember:
    """A member unpacked to ``path`` (a name we chose); ``name`` is its name inside the archive."""

    name: str
    path: Path


def list_members(path: Path, *, limits: ReadLimits) -> list[zipfile.ZipInfo]:
    """The archive's file members in name order, after every check that needs no decompression."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CorruptFileError(f"the ZIP archive is damaged and cannot be opened ({error})") from error
    members = [info for info in infos if not _skipped(info)]
    if len(members) > limits.max_archive_members:
        raise UnsafeArchiveError(f"the ZIP archive has {len(members)} files, more than {limits.max_archive_members}")
    total = 0
    for info in members:
        check_member(info, limits=limits)
        total += info.file_size
    if total > limits.max_archive_total_bytes:
        raise UnsafeArchiveError(
            f"the ZIP archive unpacks to {total // MIB} MiB, more than the {limits.max_archive_total_bytes // MIB} MiB "
            "accepted (zip bomb?)"
        )
    return sorted(members, key=lambda info: info.filename)


def _skipped(info: zipfile.ZipInfo) -> bool:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return info.is_dir() or "__MACOSX" in parts or (bool(parts) and parts[-1].startswith("."))


def check_member(info: zipfile.ZipInfo, *, limits: ReadLimits) -> None:
    """Fail for a member that is unsafe by its name, type or declared sizes."""
    name = info.filename
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or _DRIVE.match(normalized) or ".." in PurePosixPath(normalized).parts:
        raise UnsafeArchiveError(
            f"the ZIP archive contains an unsafe path {name!r}; it is refused as a whole", value=name
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UnsafeArchiveError(f"the ZIP archive contains a symbolic link {name!r}", value=name)
    if info.flag_bits & 0x1:
        raise UnsafeArchiveError(f"{name!r} in the ZIP archive is password-protected", value=name)
    if normalized.lower().endswith((".zip", ".7z", ".rar", ".gz", ".tar")):
        raise UnsafeArchiveError(
            f"the ZIP archive contains another archive {name!r}; nested archives are not accepted", value=name
        )
    if info.file_size > limits.max_file_bytes:
        raise UnsafeArchiveError(
            f"{name!r} unpacks to {info.file_size // MIB} MiB, more than {limits.max_file_bytes // MIB} MiB", value=name
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MIB and ratio > limits.max_compression_ratio:
        raise UnsafeArchiveError(
            f"{name!r} is compressed {ratio:.0f} times (at most {limits.max_compression_ratio} accepted): "
            "this looks like a zip bomb",
            value=name,
        )


def extract_member(archive_path: Path, info: zipfile.ZipInfo, *, target: Path, limits: ReadLimits) -> ArchiveMember:
    """Decompress ``info`` to ``target`` counting bytes; stop at the declared size or the cap."""
    allowed = min(info.file_size, limits.max_file_bytes)
    written = 0
    try:
        with zipfile.ZipFile(archive_path) as archive, archive.open(info) as source, target.open("wb") as sink:
            while chunk := source.read(_COPY_CHUNK):
                written += len(chunk)
                if written > allowed:
                    raise UnsafeArchiveError(
                        f"{info.filename!r} unpacks to more than its declared {info.file_size} bytes: "
                        "the archive is refused (zip bomb?)",
                        value=info.filename,
                    )
                sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise CorruptFileError(
            f"{info.filename!r} in the ZIP archive is damaged ({error})", value=info.filename
        ) from error
    return ArchiveMember(name=info.filename, path=target)
