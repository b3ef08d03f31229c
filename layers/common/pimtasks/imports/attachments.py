"""Attachments import, the pure part: which ZIP member belongs to which article, and is it what its name says.

A ZIP of files plus, optionally, an index: a member named ``index.csv`` / ``index.txt`` / ``index.xlsx`` /
``index.xls`` / ``index.ods`` (any case, any folder) with the columns article number, file name, type code,
language and sequence (the first three required; Dutch and short header names are accepted too). A file the
index does not name may still follow the naming convention ``<article>_<type>_<seq>.<ext>``
(``4711-01_PPI_1.jpg``); a file matched by neither is rejected.

Each file is checked by sniffing its first bytes (magic numbers) against its extension; a mismatch rejects
that member with a message naming it. Its record points to ``Attachments/<article>/<sha256>.<ext>``: the
same bytes are stored once per article, whatever their name, and imported again they are ``unchanged``.
Every rejection also becomes a row of the run's rejected-rows file (``rejected_row``): the ZIP member it
concerns, the index row's own cells when the index named it, and the reason.
Nothing here touches S3 or DynamoDB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pydantic import ValidationError

from pimtasks.catalog.models import Attachment
from pimtasks.imports.errors import ImportFileError
from pimtasks.imports.rows import MappedRecord, RejectedRow, RowError, SourceRow
from pimtasks.imports.validation import describe_errors

SNIFF_BYTES = 4096
INDEX_NAMES = frozenset({"index.csv", "index.txt", "index.xlsx", "index.xls", "index.ods"})
FILE_NAME_PATTERN = re.compile(
    r"^(?P<article>.+)_(?P<type>[A-Za-z0-9]{2,6})_(?P<seq>[0-9]{1,3})\.(?P<ext>[A-Za-z0-9]+)$"
)

# What the bytes say -> a label for messages.
KIND_LABELS = {
    "pdf": "a PDF document", "png": "a PNG image", "jpeg": "a JPEG image", "gif": "a GIF image",
    "tiff": "a TIFF image", "zip": "a ZIP-based (Office) document", "ole": "an old-style Office document",
    "dwg": "an AutoCAD DWG drawing", "dxf": "a DXF drawing", "svg": "an SVG image", "xml": "an XML document",
}
# Extension -> (the kind its bytes must be, the content type it is stored with).
EXTENSIONS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "png": ("png", "image/png"),
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
    "gif": ("gif", "image/gif"),
    "tif": ("tiff", "image/tiff"),
    "tiff": ("tiff", "image/tiff"),
    "docx": ("zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("zip", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "doc": ("ole", "application/msword"),
    "xls": ("ole", "application/vnd.ms-excel"),
    "dwg": ("dwg", "image/vnd.dwg"),
    "dxf": ("dxf", "image/vnd.dxf"),
    "svg": ("svg", "image/svg+xml"),
    "xml": ("xml", "application/xml"),
}
_DWG = re.compile(rb"^AC10[0-9]{2}")
_DXF = re.compile(rb"^\s*(?:999\s*\r?\n[^\r\n]*\r?\n\s*)?0\s*\r?\n\s*SECTION", re.IGNORECASE)

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "article_number": ("article_number", "article", "article_no", "articlenumber", "artikelnummer", "artikel"),
    "file_name": ("file_name", "filename", "file", "bestandsnaam", "bestand"),
    "type_code": ("type_code", "typecode", "type", "attachment_type", "soort"),
    "language": ("language", "lang", "taal"),
    "sequence": ("sequence", "seq", "sequence_number", "volgnummer"),
}
_REQUIRED = ("article_number", "file_name", "type_code")
MEMBER_COLUMN = "member"
"""The rejected-rows file's first input column: the ZIP member a rejection concerns (empty when none)."""
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def sniff(head: bytes) -> str | None:
    """The kind of content the first bytes show (a key of ``KIND_LABELS``), or None when unknown."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(bytes.fromhex("D0CF11E0A1B11AE1")):
        return "ole"
    if _DWG.match(head):
        return "dwg"
    text = head.removeprefix(b"\xef\xbb\xbf")
    if _DXF.match(text):
        return "dxf"
    stripped = text.lstrip()
    if stripped.startswith(b"<"):
        return "svg" if b"<svg" in stripped.lower() else "xml"
    return None


def check_content(member: str, head: bytes) -> tuple[str | None, str | None]:
    """``(content type, None)`` when the bytes match the member's extension, else ``(None, reason)``."""
    extension = PurePosixPath(member).suffix.lower().removeprefix(".")
    expected = EXTENSIONS.get(extension)
    if expected is None:
        accepted = ", ".join(f".{name}" for name in sorted(EXTENSIONS))
        return None, f"{member!r}: files ending in .{extension or '(none)'} are not accepted as attachments " \
                     f"(accepted: {accepted})"
    kind, content_type = expected
    found = sniff(head)
    if found == kind or (kind == "xml" and found == "svg"):
        return content_type, None
    what = KIND_LABELS[found] if found else "not a recognised file type"
    return None, f"{member!r}: its name ends in .{extension} but its content is {what}; the file is not imported"


def is_index(member: str) -> bool:
    return PurePosixPath(member).name.lower() in INDEX_NAMES


@dataclass(frozen=True)
class IndexEntry:
    """One row of the index: which file, for which article, as what."""

    row: int
    article_number: str
    file_name: str
    type_code: str
    language: str | None = None
    sequence: str | None = None
    source: SourceRow | None = field(default=None, compare=False)
    """The index row as read, for the rejected-rows file."""


@dataclass(frozen=True)
class Rejection:
    """A member (or an index row) that is not imported, and why.

    ``member`` is the ZIP member it concerns and ``source`` the index row it comes from, when there is one:
    together they are the input columns of its line in the rejected-rows file.
    """

    file: str
    reason: str
    row: int | None = None
    value: str | None = None
    member: str | None = None
    source: SourceRow | None = None


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def index_columns(header: Sequence[str], *, file: str) -> dict[str, int]:
    """Field -> column position; fails the whole ZIP when a required column is missing."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        normalized = _SEPARATORS.sub("_", str(name).strip().lower()).strip("_")
        for field_name, aliases in _HEADER_ALIASES.items():
            if normalized in aliases and field_name not in positions:
                positions[field_name] = position
    missing = [name for name in _REQUIRED if name not in positions]
    if missing:
        raise ImportFileError(f"the attachments index has no column for {', '.join(missing)} "
                              f"(found: {', '.join(map(str, header))})", file=file)
    return positions


def parse_index(rows: Iterable[SourceRow], *, file: str) -> tuple[list[IndexEntry], list[Rejection]]:
    """The index's entries, and its rows that miss a required value."""
    entries: list[IndexEntry] = []
    rejected: list[Rejection] = []
    positions: dict[str, int] | None = None
    for row in rows:
        if positions is None:
            positions = index_columns(row.header, file=file)
        values = {name: _cell_text(row.values[pos]) if pos < len(row.values) else None
                  for name, pos in positions.items()}
        if not any(values.values()):
            continue
        missing = [name for name in _REQUIRED if not values.get(name)]
        if missing:
            rejected.append(Rejection(file=file, row=row.row, reason=f"index row {row.row}: no {', '.join(missing)}",
                                      source=row))
            continue
        entries.append(IndexEntry(row=row.row, article_number=values["article_number"] or "",
                                  file_name=values["file_name"] or "", type_code=values["type_code"] or "",
                                  language=values.get("language"), sequence=values.get("sequence"), source=row))
    return entries, rejected


@dataclass(frozen=True)
class MemberFile:
    """A file of the ZIP as unpacked: its name in the archive, SHA-256 and first bytes."""

    name: str
    checksum: str
    head: bytes


@dataclass(frozen=True)
class PlannedAttachment:
    """An attachment record to write, and the member whose bytes go to ``record.stored_key``."""

    member: str
    record: Attachment
    row: int | None = None
    source: SourceRow | None = None
    """The index row that named the member (None when its file name did)."""


@dataclass
class AttachmentPlan:
    planned: list[PlannedAttachment] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def refusal(self, record: MappedRecord, reason: str, *, archive: str) -> Rejection:
        """A record the catalog refused, as a rejection that names its member and index row again.

        ``MappedRecord`` carries neither, so the planned attachment is found by its location
        (``<archive>/<member>`` and index row): unique per plan, as each index row names one file.
        """
        for item in self.planned:
            if f"{archive}/{item.member}" == record.file and (item.row or 0) == record.row:
                return Rejection(file=record.file, reason=reason, row=item.row, member=item.member,
                                 source=item.source)
        return Rejection(file=record.file, reason=reason, row=record.row or None)

    def uploads(self) -> dict[str, str]:
        """Stored key -> the (first) member holding those bytes: each distinct content once."""
        keys: dict[str, str] = {}
        for item in self.planned:
            assert item.record.stored_key is not None
            keys.setdefault(item.record.stored_key, item.member)
        return keys


def stored_key(article_number: str, checksum: str, member: str) -> str:
    """Where the bytes go, relative to the environment."""
    extension = PurePosixPath(member).suffix.lower()
    return f"Attachments/{article_number}/{checksum}{extension}"


def _build(member: MemberFile, content_type: str, *, article: str, type_code: str, language: str | None,
           sequence: str | None, row: int | None, label: str,
           source: SourceRow | None = None) -> PlannedAttachment | Rejection:
    if "/" in article or "\\" in article or article in (".", ".."):
        return Rejection(file=label, row=row, value=article, reason=f"{label!r}: the article number {article!r} "
                                                                      "cannot name a folder",
                         member=member.name, source=source)
    try:
        record = Attachment.model_validate({
            "article_number": article, "type_code": type_code.upper(), "language": language,
            "sequence": sequence or 1, "file_name": PurePosixPath(member.name).name,
            "stored_key": stored_key(article, member.checksum, member.name), "checksum": member.checksum,
            "content_type": content_type,
        })
    except ValidationError as error:
        reasons = "; ".join(f"{path}: {reason}" if path else reason for path, reason in describe_errors(error))
        where = f"index row {row}" if row is not None else label
        return Rejection(file=label, row=row, reason=f"{where}: {reasons}", member=member.name, source=source)
    return PlannedAttachment(member=member.name, record=record, row=row, source=source)


def plan_attachments(members: Sequence[MemberFile], entries: Sequence[IndexEntry] | None, *,
                     archive: str, index_name: str | None = None) -> AttachmentPlan:
    """The records to write for ``members`` (with the index's ``entries``, if any); the rest rejected.

    ``archive`` is the ZIP's file name: members are named ``<archive>/<member>`` in rejections.
    """
    plan = AttachmentPlan()
    by_name: dict[str, list[IndexEntry]] = {}
    for entry in entries or ():
        by_name.setdefault(entry.file_name.lower(), []).append(entry)
    used: set[str] = set()
    for member in members:
        label = f"{archive}/{member.name}"
        full, base = member.name.lower(), PurePosixPath(member.name).name.lower()
        listed = by_name.get(full) or by_name.get(base)
        if listed:
            used.add(full if full in by_name else base)
        content_type, problem = check_content(member.name, member.head)
        if content_type is None:
            plan.rejected.append(Rejection(file=label, reason=problem or "not accepted", value=member.name,
                                           member=member.name))
            continue
        if listed:
            for entry in listed:
                outcome = _build(member, content_type, article=entry.article_number, type_code=entry.type_code,
                                 language=entry.language, sequence=entry.sequence, row=entry.row,
                                 label=f"{archive}/{index_name}" if index_name else label, source=entry.source)
                _add(plan, outcome)
            continue
        match = FILE_NAME_PATTERN.match(PurePosixPath(member.name).name)
        if match is None:
            reason = (f"{member.name!r} is not in the index and its name does not follow "
                      "<article>_<type>_<seq>.<ext>" if entries is not None else
                      f"{member.name!r}: the name does not follow <article>_<type>_<seq>.<ext> (e.g. 4711_PPI_1.jpg) "
                      "and the ZIP has no index")
            plan.rejected.append(Rejection(file=label, reason=reason, value=member.name, member=member.name))
            continue
        _add(plan, _build(member, content_type, article=match["article"], type_code=match["type"], language=None,
                          sequence=match["seq"], row=None, label=label))
    for name, listed in by_name.items():
        if name not in used:
            for entry in listed:
                plan.rejected.append(Rejection(
                    file=f"{archive}/{index_name}" if index_name else archive, row=entry.row, value=entry.file_name,
                    reason=f"index row {entry.row}: the file {entry.file_name!r} is not in the ZIP",
                    source=entry.source))
    return plan


def _add(plan: AttachmentPlan, outcome: PlannedAttachment | Rejection) -> None:
    if isinstance(outcome, Rejection):
        plan.rejected.append(outcome)
    else:
        plan.planned.append(outcome)


def mapped_records(plan: AttachmentPlan, *, archive: str) -> list[MappedRecord]:
    """The planned records as the catalog writer takes them (every field set, none cleared)."""
    records: list[MappedRecord] = []
    for item in plan.planned:
        data = item.record.model_dump(exclude_none=True)
        records.append(MappedRecord(file=f"{archive}/{item.member}", sheet=None, row=item.row or 0,
                                    record=item.record, key=item.record.natural_key(),
                                    fields=frozenset(data), cleared=frozenset()))
    return records


def rejected_rows_header(index_header: Sequence[str]) -> tuple[str, ...]:
    """The input columns of the rejected-rows file: the ZIP member, then the index's own header (if any)."""
    return (MEMBER_COLUMN, *index_header)


def rejected_row(rejection: Rejection) -> RejectedRow:
    """``rejection`` as a line of the rejected-rows file (whose header is ``rejected_rows_header``).

    A rejection from the index carries the index row's cells next to the member; one from a ZIP member has
    only the member's name (the writer matches cells to the file's columns by name, the rest stay empty).
    """
    source = rejection.source
    header = (MEMBER_COLUMN, *(source.header if source else ()))
    values = (rejection.member, *(source.values if source else ()))
    sheet = source.sheet if source else None
    line = SourceRow(rejection.file, sheet, rejection.row or 0, header, values)
    error = RowError(rejection.file, sheet, rejection.row or 0, None, rejection.value, rejection.reason)
    return RejectedRow(line, (error,))
