"""Tell what a file really is from its first bytes, whatever its extension says."""

from __future__ import annotations

import zipfile
from enum import StrEnum
from pathlib import Path

from pimtasks.imports.errors import CorruptFileError, EmptyFileError, PasswordProtectedError, UnsupportedFileError
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.safe_zip import bound_directory

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Stream names inside an OLE compound file are UTF-16LE in its directory entries.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_OLE_WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))


class FileKind(StrEnum):
    """What a file's content is."""

    XLSX = "xlsx"
    XLS = "xls"
    ODS = "ods"
    ZIP = "zip"
    TEXT = "text"
    JSON = "json"
    XML = "xml"


KIND_LABELS = {
    FileKind.XLSX: "an Excel workbook (XLSX)",
    FileKind.XLS: "an Excel 97-2003 workbook (XLS)",
    FileKind.ODS: "an OpenDocument spreadsheet (ODS)",
    FileKind.ZIP: "a ZIP archive",
    FileKind.TEXT: "a text file (CSV/TXT)",
    FileKind.JSON: "a JSON file",
    FileKind.XML: "an XML file",
}

EXTENSION_KINDS: dict[str, FileKind] = {
    ".xlsx": FileKind.XLSX,
    ".xlsm": FileKind.XLSX,
    ".xls": FileKind.XLS,
    ".ods": FileKind.ODS,
    ".zip": FileKind.ZIP,
    ".csv": FileKind.TEXT,
    ".txt": FileKind.TEXT,
    ".tsv": FileKind.TEXT,
    ".json": FileKind.JSON,
    ".xml": FileKind.XML,
}


def sniff_kind(path: Path, *, limits: ReadLimits | None = None) -> FileKind:
    """The kind of the file at ``path``, from its content.

    Raises ``EmptyFileError`` for a file without bytes and ``PasswordProtectedError`` for an encrypted
    Office file (an OLE compound file holding an ``EncryptedPackage`` stream). A ZIP's directory is
    bounded (``ReadLimits.max_zip_entries``) before it is parsed, and no member is unpacked beyond the
    first bytes of ``mimetype``: the limits of what it unpacks to are the reader's, later.
    """
    with path.open("rb") as stream:
        head = stream.read(4096)
    if not head:
        raise EmptyFileError("the file is empty (0 bytes)")
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return _zip_kind(path, limits=limits or ReadLimits())
    if head.startswith(OLE_MAGIC):
        return _ole_kind(path)
    return _text_kind(head)


def _zip_kind(path: Path, *, limits: ReadLimits) -> FileKind:
    try:
        with path.open("rb") as stream:
            bound_directory(stream, limits=limits, what="the file")
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                mimetype = b""
                if "mimetype" in names:
                    with archive.open("mimetype") as member:
                        mimetype = member.read(100)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as error:
        raise CorruptFileError(
            f"the file is damaged: it starts like a ZIP/XLSX but cannot be opened ({error})"
        ) from error
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return FileKind.XLSX
    if b"opendocument.spreadsheet" in mimetype:
        return FileKind.ODS
    if "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names):
        return FileKind.XLSX
    if "[Content_Types].xml" in names and not any(name.startswith("xl/") for name in names):
        if any(name.startswith(("word/", "ppt/")) for name in names):
            raise_unsupported_office(names)
        raise CorruptFileError("the file is damaged: an Office package without a workbook (xl/workbook.xml)")
    return FileKind.ZIP


def raise_unsupported_office(names: set[str]) -> None:
    """Fail for Word/PowerPoint packages, which are ZIPs too."""
    kind = "a Word document" if any(name.startswith("word/") for name in names) else "a PowerPoint file"
    raise UnsupportedFileError(f"the file is {kind}, not a spreadsheet")


def _ole_kind(path: Path) -> FileKind:
    """XLS, or an encrypted XLSX/XLS; other OLE files (old Word documents) are not spreadsheets."""
    found_workbook = False
    # Scan in chunks: the directory sectors can sit anywhere in the file. Overlap so a name split
    # across two chunks is still found.
    overlap = len(_ENCRYPTED_PACKAGE)
    tail = b""
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            if _ENCRYPTED_PACKAGE in data:
                raise PasswordProtectedError(
                    "the file is password-protected (encrypted); save it without a password and upload it again"
                )
            found_workbook = found_workbook or any(name in data for name in _OLE_WORKBOOK_STREAMS)
            tail = data[-overlap:]
    if found_workbook:
        return FileKind.XLS
    raise UnsupportedFileError(
        "the file is an old-style Office file without a workbook (e.g. a Word .doc), not a spreadsheet"
    )


def _text_kind(head: bytes) -> FileKind:
    if head.startswith(_UTF16_BOMS):
        return FileKind.TEXT
    text = head[len(_UTF8_BOM) :] if head.startswith(_UTF8_BOM) else head
    stripped = text.lstrip()
    if stripped.startswith((b"{", b"[")):
        return FileKind.JSON
    if stripped.startswith(b"<"):
        return FileKind.XML
    if b"\x00" in head:
        raise UnsupportedFileError("the file is binary data, not a spreadsheet, CSV or text file")
    return FileKind.TEXT


def extension_kind(file_name: str) -> FileKind | None:
    """The kind the file's extension promises, or None for an unknown extension."""
    return EXTENSION_KINDS.get(Path(file_name).suffix.lower())
