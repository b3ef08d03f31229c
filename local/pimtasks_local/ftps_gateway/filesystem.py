"""pyftpdlib's file system interface over S3, confined to one environment's visible folders.

pyftpdlib hands this class "real" paths produced by its own ``ftp2fs``; here those are the normalised
virtual paths of ``paths.py`` (``/Uploads/Imp/a.csv``), and every S3 key is formed from such a path and
the environment prefix, nowhere else. Folders are S3 prefixes; ``MKD`` writes a zero-byte marker object
``<folder>/`` (as AWS Transfer Family does) so an empty folder is visible until something lands in it.
Listings come from one ListObjectsV2 walk per directory and carry their sizes and times along, so a
``LIST`` costs no request per entry.

Files live directly in an import's folder: imports never read subfolders, so STOR, MKD and RNTO below
``/Uploads/<Import>/`` are refused (550 saying where to put the file) instead of leaving the file unseen;
what is already in a subfolder (other routes) can still be listed, renamed out, deleted and removed.

Given the environment's imports (``StorageSettings.import_folders``), every write below ``/Uploads``
(STOR, MKD, RNFR/RNTO, DELE, RMD) must be inside the folder of an import open to FTPS upload
(``pimtasks.services.upload_channels``, as the Transfer Family session policy has it); anything else is
refused with a 550 naming the import and the setting. Without them (tests of the transport alone) every
valid import folder name is writable.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pimtasks.domain.ftps_user import FTPS_FOLDERS, WRITABLE_FOLDER
from pimtasks.domain.identifiers import is_environment_id
from pimtasks.errors import ValidationFailedError
from pimtasks.services.upload_channels import ImportFolders, UploadChannel, UploadChannelClosedError
from pyftpdlib.exceptions import FilesystemError
from pyftpdlib.filesystems import AbstractedFS

from pimtasks_local.ftps_gateway.import_folders import ImportFolderLookup
from pimtasks_local.ftps_gateway.paths import (
    ROOT,
    PathRefusedError,
    VirtualPath,
    check_import_folder,
    normalize,
    parse_virtual,
)
from pimtasks_local.ftps_gateway.s3_objects import S3ObjectReader, S3UploadWriter

LOGGER = logging.getLogger(__name__)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SIX_MONTHS = 180 * 24 * 3600
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_READ_ONLY = f"read-only; upload into /{WRITABLE_FOLDER}/<Import>/"
_IMPORT_FOLDER_DEPTH = 2  # /Uploads/<Import>
_FILE_DEPTH = 3  # /Uploads/<Import>/<file>


@dataclass(frozen=True)
class StorageSettings:
    """Where and how the gateway stores files (one per server, shared by its connections)."""

    s3: Any
    bucket: str
    part_size: int
    parts_in_flight: int
    import_folders: ImportFolderLookup | None = None


@dataclass(frozen=True)
class Entry:
    """One listed file or folder."""

    name: str
    is_dir: bool
    size: int
    mtime: float
    writable: bool


class ListedName(str):
    """A name from ``listdir`` that carries its listing entry (pyftpdlib sorts and passes names along)."""

    entry: Entry

    def __new__(cls, entry: Entry) -> ListedName:
        listed = super().__new__(cls, entry.name)
        listed.entry = entry
        return listed


class RefusedPath(str):
    """What ``ftp2fs`` returns for a path it refuses: ``validpath`` is False, and the client sees why."""

    reason: str
    raw: str

    def __new__(cls, raw: str, reason: str) -> RefusedPath:
        refused = super().__new__(cls, "\x00refused")
        refused.raw = raw[:200]
        refused.reason = reason
        return refused


class S3FileSystem(AbstractedFS):
    """The tree of one environment: ``/Uploads`` (writable), ``/Archived`` and ``/Downloads`` (read-only)."""

    def __init__(self, root: str, cmd_channel: Any) -> None:
        # pyftpdlib passes the "home" the authorizer gave: here the environment number.
        if not is_environment_id(root):
            raise ValueError("the home of an FTPS session must be an environment number")
        super().__init__(ROOT, cmd_channel)
        self.environment = root
        self._prefix = f"environments/{root}/"
        self._storage: StorageSettings = cmd_channel.storage

    # --- path translation (pyftpdlib calls these with client input) ------------------------------
    def ftpnorm(self, ftppath: str) -> str:
        return normalize(self.cwd, ftppath).text

    def ftp2fs(self, ftppath: str) -> str:
        try:
            return self.ftpnorm(ftppath)
        except PathRefusedError as refused:
            return RefusedPath(ftppath, str(refused))

    def fs2ftp(self, fspath: str) -> str:
        if isinstance(fspath, RefusedPath):
            return f"{fspath.raw} ({fspath.reason})"
        return str(fspath)

    def validpath(self, path: str) -> bool:
        if isinstance(path, RefusedPath):
            return False
        try:
            parse_virtual(path)
        except PathRefusedError:
            return False
        return True

    def realpath(self, path: str) -> str:
        return path

    # --- files ------------------------------------------------------------------------------------
    def open(self, filename: str, mode: str) -> S3ObjectReader | S3UploadWriter:
        path = self._path(filename)
        if mode == "rb":
            return self._reader(path)
        if mode == "wb":
            return self._writer(path)
        raise FilesystemError("appending and resuming uploads are not supported; upload the whole file")

    def _reader(self, path: VirtualPath) -> S3ObjectReader:
        head = self._head(path)
        if head is None:
            raise FilesystemError("No such file")
        return S3ObjectReader(s3=self._storage.s3, bucket=self._storage.bucket, key=path.key(self._prefix),
                              size=int(head["ContentLength"]), etag=str(head["ETag"]), name=path.text)

    def _writer(self, path: VirtualPath) -> S3UploadWriter:
        self._require_writable(path)
        if len(path.segments) < 3:
            raise FilesystemError(f"store files in an import folder: /{WRITABLE_FOLDER}/<Import>/<file>")
        self._check_import_folder(path)
        self._require_ftps_import(path)
        _refuse_subfolder(path, depth=_FILE_DEPTH)
        if self._is_folder(path):
            raise FilesystemError("a folder of that name exists")
        return S3UploadWriter(s3=self._storage.s3, bucket=self._storage.bucket, key=path.key(self._prefix),
                              name=path.text, part_size=self._storage.part_size,
                              parts_in_flight=self._storage.parts_in_flight)

    def remove(self, path: str) -> None:
        target = self._path(path)
        self._require_writable(target)
        self._require_ftps_import(target)
        if self._head(target) is None:
            raise FilesystemError("No such file")
        with self._storage_errors():
            self._storage.s3.delete_object(Bucket=self._storage.bucket, Key=target.key(self._prefix))

    def rename(self, src: str, dst: str) -> None:
        """Copy, then delete the original (S3 has no rename); files only, both ends inside Uploads."""
        source, target = self._path(src), self._path(dst)
        self._require_writable(source)
        self._require_writable(target)
        if len(target.segments) < 3:
            raise FilesystemError(f"files live in an import folder: /{WRITABLE_FOLDER}/<Import>/<file>")
        self._check_import_folder(target)
        self._require_ftps_import(source)
        self._require_ftps_import(target)
        _refuse_subfolder(target, depth=_FILE_DEPTH)
        if self._head(source) is None:
            raise FilesystemError("only files can be renamed" if self._is_folder(source) else "No such file")
        if self._is_folder(target):
            raise FilesystemError("a folder of that name exists")
        if source == target:
            return
        bucket = self._storage.bucket
        with self._storage_errors():
            self._storage.s3.copy({"Bucket": bucket, "Key": source.key(self._prefix)}, bucket,
                                  target.key(self._prefix))
            self._storage.s3.delete_object(Bucket=bucket, Key=source.key(self._prefix))

    # --- folders ----------------------------------------------------------------------------------
    def chdir(self, path: str) -> None:
        target = self._path(path)
        if not self._is_folder(target):
            raise FilesystemError("No such folder")
        self.cwd = target.text

    def mkdir(self, path: str) -> None:
        target = self._path(path)
        self._require_writable(target)
        self._check_import_folder(target)
        self._require_ftps_import(target)
        _refuse_subfolder(target, depth=_IMPORT_FOLDER_DEPTH)
        if self._is_folder(target) or self._head(target) is not None:
            raise FilesystemError("already exists")
        with self._storage_errors():
            self._storage.s3.put_object(Bucket=self._storage.bucket, Key=target.folder_prefix(self._prefix),
                                        Body=b"")

    def rmdir(self, path: str) -> None:
        target = self._path(path)
        self._require_writable(target)
        self._require_ftps_import(target)
        marker = target.folder_prefix(self._prefix)
        with self._storage_errors():
            listed = self._storage.s3.list_objects_v2(Bucket=self._storage.bucket, Prefix=marker, MaxKeys=2)
        keys = [item["Key"] for item in listed.get("Contents", [])]
        if not keys:
            raise FilesystemError("No such folder")
        if keys != [marker]:
            raise FilesystemError("folder not empty")
        with self._storage_errors():
            self._storage.s3.delete_object(Bucket=self._storage.bucket, Key=marker)

    def listdir(self, path: str) -> list[str]:
        target = self._path(path)
        if target.is_root:
            now = time.time()
            return [ListedName(Entry(name=f, is_dir=True, size=0, mtime=now, writable=False)) for f in FTPS_FOLDERS]
        if not self._is_folder(target):
            raise FilesystemError("No such folder")
        return list(self._list_folder(target))

    listdirinfo = listdir

    def _list_folder(self, folder: VirtualPath) -> Iterator[ListedName]:
        prefix = folder.folder_prefix(self._prefix)
        paginator = self._storage.s3.get_paginator("list_objects_v2")
        pending_imports = set(self._import_names()) if folder.segments == (WRITABLE_FOLDER,) else set()
        with self._storage_errors():
            for page in paginator.paginate(Bucket=self._storage.bucket, Prefix=prefix, Delimiter="/"):
                for common in page.get("CommonPrefixes", []):
                    name = common["Prefix"][len(prefix):].rstrip("/")
                    pending_imports.discard(name)
                    if _addressable(name):
                        yield ListedName(Entry(name=name, is_dir=True, size=0, mtime=time.time(),
                                               writable=self._writable(folder.child(name))))
                for item in page.get("Contents", []):
                    name = item["Key"][len(prefix):]
                    if name and _addressable(name):  # "" is the folder's own marker
                        yield ListedName(Entry(name=name, is_dir=False, size=int(item["Size"]),
                                               mtime=item["LastModified"].timestamp(),
                                               writable=self._writable(folder.child(name))))
        for name in sorted(pending_imports):
            yield ListedName(Entry(name=name, is_dir=True, size=0, mtime=time.time(),
                                   writable=self._writable(folder.child(name))))

    # --- metadata ---------------------------------------------------------------------------------
    def stat(self, path: str) -> os.stat_result:
        return _stat_result(self._entry(self._path(path)))

    lstat = stat

    def isfile(self, path: str) -> bool:
        return self._head(self._path(path)) is not None

    def isdir(self, path: str) -> bool:
        return self._is_folder(self._path(path))

    def islink(self, path: str) -> bool:
        return False

    def lexists(self, path: str) -> bool:
        target = self._path(path)
        return self._head(target) is not None or self._is_folder(target)

    def getsize(self, path: str) -> int:
        return self._entry(self._path(path)).size

    def getmtime(self, path: str) -> float:
        return self._entry(self._path(path)).mtime

    def readlink(self, path: str) -> str:
        raise FilesystemError("there are no links")

    def chmod(self, path: str, mode: int) -> None:
        raise FilesystemError("permissions cannot be changed")

    def utime(self, path: str, timeval: float) -> None:
        raise FilesystemError("times cannot be changed")

    def mkstemp(self, *args: Any, **kwargs: Any) -> Any:
        raise FilesystemError("unique names are not supported; choose a file name")

    def get_user_by_uid(self, uid: int) -> str:
        return "owner"

    def get_group_by_gid(self, gid: int) -> str:
        return "group"

    # --- listings -----------------------------------------------------------------------------------
    def format_list(self, basedir: str, listing: Iterable[str], ignore_err: bool = True) -> Iterator[bytes]:
        """``ls -l``-style lines, as most FTP clients parse them."""
        now = time.time()
        for name in listing:
            entry = self._listed_entry(basedir, name, ignore_err=ignore_err)
            if entry is None:
                continue
            mode = "drwxr-xr-x" if entry.is_dir else ("-rw-r--r--" if entry.writable else "-r--r--r--")
            when = time.gmtime(entry.mtime)
            moment = time.strftime("%d  %Y" if now - entry.mtime > _SIX_MONTHS else "%d %H:%M", when)
            line = f"{mode}   1 owner    group    {entry.size:>12} {_MONTHS[when.tm_mon - 1]} {moment} {entry.name}\r\n"
            yield line.encode(self.cmd_channel.encoding, self.cmd_channel.unicode_errors)

    def format_mlsx(self, basedir: str, listing: Iterable[str], perms: str, facts: Iterable[str],
                    ignore_err: bool = True) -> Iterator[bytes]:
        """RFC 3659 fact lines (type, size, modify, perm) for MLSD and MLST."""
        wanted = set(facts)
        for name in listing:
            entry = self._listed_entry(basedir, name, ignore_err=ignore_err)
            if entry is None:
                continue
            values = {
                "type": "dir" if entry.is_dir else "file",
                "size": str(entry.size),
                "modify": time.strftime("%Y%m%d%H%M%S", time.gmtime(entry.mtime)),
                "perm": _mlsx_perm(entry),
            }
            line = "".join(f"{fact}={values[fact]};" for fact in sorted(values) if fact in wanted)
            yield f"{line} {entry.name}\r\n".encode(self.cmd_channel.encoding, self.cmd_channel.unicode_errors)

    def _listed_entry(self, basedir: str, name: str, *, ignore_err: bool) -> Entry | None:
        if isinstance(name, ListedName):
            return name.entry
        try:
            return self._entry(self._path(basedir).child(name) if name else self._path(basedir))
        except FilesystemError:
            if ignore_err:
                return None
            raise

    # --- helpers ------------------------------------------------------------------------------------
    def _path(self, path: str) -> VirtualPath:
        """Defence in depth: every path reaching S3 is re-checked, whatever pyftpdlib did before."""
        if isinstance(path, RefusedPath):
            raise FilesystemError(path.reason)
        try:
            return parse_virtual(path)
        except PathRefusedError as refused:
            raise FilesystemError(str(refused)) from refused

    @staticmethod
    def _require_writable(path: VirtualPath) -> None:
        if not path.in_writable_folder:
            folder = path.segments[0] if path.segments else ROOT
            raise FilesystemError(f"{folder} is {_READ_ONLY}")

    @staticmethod
    def _check_import_folder(path: VirtualPath) -> None:
        try:
            check_import_folder(path)
        except PathRefusedError as refused:
            raise FilesystemError(str(refused)) from refused

    def _entry(self, path: VirtualPath) -> Entry:
        if path.is_root or path.is_top_folder:
            return Entry(name=path.name, is_dir=True, size=0, mtime=time.time(), writable=False)
        head = self._head(path)
        if head is not None:
            return Entry(name=path.name, is_dir=False, size=int(head["ContentLength"]),
                         mtime=head["LastModified"].timestamp(), writable=self._writable(path))
        if self._is_folder(path):
            return Entry(name=path.name, is_dir=True, size=0, mtime=time.time(), writable=self._writable(path))
        raise FilesystemError("No such file or folder")

    def _head(self, path: VirtualPath) -> dict[str, Any] | None:
        if len(path.segments) < 2:
            return None
        try:
            with self._storage_errors():
                return dict(self._storage.s3.head_object(Bucket=self._storage.bucket, Key=path.key(self._prefix)))
        except _NotFound:
            return None

    def _imports(self) -> ImportFolders | None:
        """The environment's imports and their upload channels; None when the gateway was given no lookup."""
        lookup = self._storage.import_folders
        return lookup(self.environment) if lookup else None

    def _import_names(self) -> list[str]:
        """The environment's import folders: they exist in Uploads/ even while empty (a client can change into
        one and is then told plainly whether it may upload there)."""
        imports = self._imports()
        return [name for name in imports.names if _addressable(name)] if imports else []

    def _require_ftps_import(self, path: VirtualPath) -> None:
        """Refuse a write below ``/Uploads`` unless its import folder is open to FTPS upload."""
        imports = self._imports()
        if imports is None or not path.in_writable_folder:
            return
        try:
            imports.require(path.segments[1], UploadChannel.FTPS)
        except ValidationFailedError as unknown:
            raise FilesystemError(unknown.message) from unknown
        except UploadChannelClosedError as closed:
            raise FilesystemError(str(closed)) from closed

    def _writable(self, path: VirtualPath) -> bool:
        """What a listing shows: may this session write here (folder, and import open to FTPS)?"""
        if not path.in_writable_folder:
            return False
        imports = self._imports()
        return imports is None or imports.accepts(path.segments[1], UploadChannel.FTPS)

    def _is_folder(self, path: VirtualPath) -> bool:
        if path.is_root or path.is_top_folder:
            return True
        if path.segments[0] == WRITABLE_FOLDER and len(path.segments) == 2 and path.name in self._import_names():
            return True
        with self._storage_errors():
            listed = self._storage.s3.list_objects_v2(Bucket=self._storage.bucket,
                                                      Prefix=path.folder_prefix(self._prefix), MaxKeys=1)
        return int(listed.get("KeyCount", 0)) > 0

    @contextmanager
    def _storage_errors(self) -> Iterator[None]:
        """S3 failures become messages for the client (``FilesystemError``) instead of a dropped session."""
        try:
            yield
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES:
                raise _NotFound from exc
            LOGGER.warning("storage request failed", extra={"environment": self.environment}, exc_info=True)
            raise FilesystemError("storage error, please retry") from exc
        except BotoCoreError as exc:
            LOGGER.warning("storage unreachable", extra={"environment": self.environment}, exc_info=True)
            raise FilesystemError("storage unavailable, please retry") from exc


class _NotFound(FilesystemError):
    """The object does not exist (a FilesystemError, so an unexpected one still reads well to the client)."""

    def __init__(self) -> None:
        super().__init__("No such file or folder")


def _refuse_subfolder(path: VirtualPath, *, depth: int) -> None:
    """Refuse a path deeper than ``depth`` segments: a file must sit directly in ``/Uploads/<Import>/``
    (``_FILE_DEPTH``), a folder can only be an import's own (``_IMPORT_FOLDER_DEPTH``)."""
    if len(path.segments) > depth:
        folder = f"/{WRITABLE_FOLDER}/{path.segments[1]}/"
        raise FilesystemError(f"subfolders of an import are never imported; store the file directly in {folder}")


def _addressable(name: str) -> bool:
    """Only names a client could also type are listed (a key with control characters is skipped)."""
    try:
        normalize(ROOT, f"/{WRITABLE_FOLDER}/{name}")
    except PathRefusedError:
        return False
    return "/" not in name


def _mlsx_perm(entry: Entry) -> str:
    if entry.is_dir:
        return "elcmp" if entry.writable else "el"
    return "rdfw" if entry.writable else "r"


def _stat_result(entry: Entry) -> os.stat_result:
    mode = (stat.S_IFDIR | 0o755) if entry.is_dir else (stat.S_IFREG | (0o644 if entry.writable else 0o444))
    mtime = int(entry.mtime)
    return os.stat_result((mode, 0, 0, 1, 0, 0, entry.size, mtime, mtime, mtime))
