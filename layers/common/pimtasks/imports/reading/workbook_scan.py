"""An XLSX or ODS package checked part by part before python-calamine opens it.

calamine reads a workbook in Rust, where nothing can stop it half-way: a bomb would fill memory (or abort
the process) before any limit could be applied. So the package is checked first, streaming, in bounded
memory, and stopped at the first limit passed (``ReadLimits``):

1. the ZIP directory (``safe_zip``): entries, duplicates, overlaps, declared sizes and ratios;
2. every part unpacked from its raw bytes, its real size and ratio counted as it comes out, against the
   package's total (``max_workbook_xml_bytes``); parts parsed whole (``styles.xml``, ``workbook.xml``,
   relationships) against ``max_metadata_part_bytes``; DTDs and entity declarations refused;
3. XLSX: the shared-strings table (``max_shared_strings``), then each sheet's cells, rows, columns, copied
   text and merged ranges (``xlsx_scan``); the sheet the import will read (the layout's, else the first
   visible worksheet) is scanned first and stopped at its first limit, and once calamine has chosen the
   sheet, ``WorkbookScan.check_sheet`` checks the one it really chose before it is loaded;
4. ODS: ``content.xml``, all sheets together as calamine loads them (``ods_scan``).

XLSB (binary sheets) cannot be measured this way and is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from defusedxml.ElementTree import fromstring

from pimtasks.imports.errors import CorruptFileError, UnsupportedFileError
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.ods_scan import ContentScanner
from pimtasks.imports.reading.safe_zip import ZipContainer, ZipMember
from pimtasks.imports.reading.sniffing import FileKind
from pimtasks.imports.reading.xlsx_scan import SharedStringsScanner, SheetScanner, SheetStats, StringBounds
from pimtasks.imports.reading.xml_chunks import xml_pieces

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_METADATA_PARTS = frozenset({"[content_types].xml", "xl/workbook.xml", "xl/styles.xml"})
_XML_SUFFIXES = (".xml", ".rels")


@dataclass(frozen=True)
class SheetEntry:
    """A sheet as ``xl/workbook.xml`` lists it, with the part calamine reads for it."""

    name: str
    part: str
    visible: bool


@dataclass
class WorkbookScan:
    """What the scan found; ``check_sheet`` applies the sheet limits to the sheet calamine chose (XLSX)."""

    limits: ReadLimits
    kind: FileKind
    package: ZipContainer | None = None
    sheets: list[SheetEntry] = field(default_factory=list)
    bounds: StringBounds = field(default_factory=StringBounds)
    sheet_stats: dict[str, SheetStats] = field(default_factory=dict)
    """XLSX: the sheet parts scanned so far, by part name."""
    sheet_parts: list[ZipMember] = field(default_factory=list)
    """XLSX: the parts that may be sheets (neither metadata nor shared strings)."""

    def check_sheet(self, name: str) -> None:
        """Fail when the sheet ``name`` is beyond a sheet limit (every part that may be a sheet, if its part
        is not known); a part the first pass only unpacked is scanned now, before calamine loads it."""
        if self.kind is not FileKind.XLSX:
            return
        part = next((sheet.part for sheet in self.sheets if sheet.name == name), None)
        chosen = [member for member in self.sheet_parts if member.name == part] or self.sheet_parts
        for member in chosen:
            stats = self.sheet_stats.get(member.name) or self.scan_part(member, again=True)
            check_sheet_stats(stats, sheet=name if member.name == part else self._label(member.name),
                              limits=self.limits)

    def scan_part(self, member: ZipMember, *, again: bool) -> SheetStats:
        """Scan one part as a sheet, stopping at the first sheet limit it passes."""
        assert self.package is not None
        scanner = SheetScanner(self.bounds)
        label = self._label(member.name)
        for stats in scanner.scan(self.package.chunks(member, again=again), part=member.name):
            check_sheet_stats(stats, sheet=label, limits=self.limits)
        self.sheet_stats[member.name] = scanner.stats
        return scanner.stats

    def _label(self, part: str) -> str:
        return next((sheet.name for sheet in self.sheets if sheet.part == part), part)


def scan_workbook(path: Path, *, kind: FileKind, limits: ReadLimits, wanted: str | None) -> WorkbookScan:
    """Check the XLSX/ODS package at ``path`` (``wanted``: the layout's sheet, if any); see the module doc."""
    package = ZipContainer.open(
        path,
        limits=limits,
        what="the workbook",
        total_limit="max_workbook_xml_bytes",
        member_limit="max_workbook_xml_bytes",
    )
    if kind is FileKind.ODS:
        return _scan_ods(package, limits=limits)
    return _scan_xlsx(package, limits=limits, wanted=wanted)


# --- XLSX ------------------------------------------------------------------------------------------


def _scan_xlsx(package: ZipContainer, *, limits: ReadLimits, wanted: str | None) -> WorkbookScan:
    """Metadata and shared strings first, then the sheet the import will read; other parts are only
    unpacked (counted), and scanned by ``check_sheet`` if calamine chooses one of them."""
    scan = WorkbookScan(limits=limits, kind=FileKind.XLSX, package=package)
    if any(_is_binary_sheet(member.name) for member in package.members):
        raise UnsupportedFileError("the file is a binary Excel workbook (XLSB); save it as XLSX and upload it again")
    metadata = [member for member in package.members if _is_metadata(member.name)]
    strings = [member for member in package.members if PurePosixPath(member.name).name.lower() == "sharedstrings.xml"]
    texts = {member.name: _read_whole(package, member) for member in metadata}
    for name, text in texts.items():
        _refuse_cells([text], part=name)
    scan.sheets = _sheet_entries(texts)
    if len(scan.sheets) > limits.max_sheets:
        raise limits.exceeded("max_sheets", f"the workbook has {len(scan.sheets):,} sheets")
    scan.bounds = _scan_shared_strings(package, strings, limits=limits)
    scan.sheet_parts = [member for member in package.members if member not in metadata and member not in strings]
    target = next((member for member in scan.sheet_parts if member.name == _predicted_part(scan.sheets,
                                                                                            wanted=wanted)), None)
    if target is not None:
        scan.scan_part(target, again=False)
    for member in scan.sheet_parts:
        if member is not target:
            _drain(package.chunks(member))
    return scan


def _is_binary_sheet(name: str) -> bool:
    lowered = name.lower()
    return lowered == "xl/workbook.bin" or (lowered.startswith("xl/worksheets/") and lowered.endswith(".bin"))


def _is_metadata(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(".rels") or lowered in _METADATA_PARTS


def _refuse_cells(chunks: Iterable[bytes], *, part: str) -> None:
    """Parts that are not sheets hold no cells; one that does is a sheet in disguise, which the scan of
    sheets would not measure (its shared-string text), so it is refused."""
    scanner = SheetScanner(StringBounds())
    for _ in scanner.scan(chunks, part=part):
        if scanner.stats.cells:
            raise CorruptFileError(f"the workbook is damaged: {part!r} holds cells although it is not a sheet")


def _read_whole(package: ZipContainer, member: ZipMember) -> bytes:
    pieces = xml_pieces(package.chunks(member, cap_limit="max_metadata_part_bytes"), part=member.name)
    return b"".join(piece.data for piece in pieces)


def _drain(chunks: Iterable[bytes]) -> None:
    for _ in chunks:
        pass


def _scan_shared_strings(package: ZipContainer, members: list[ZipMember], *, limits: ReadLimits) -> StringBounds:
    """The longest bound per index over every candidate table (calamine reads one; which is not ours to guess)."""
    best = StringBounds()
    for member in members:
        scanner = SharedStringsScanner()
        disguised = SheetScanner(StringBounds())
        for piece in xml_pieces(package.chunks(member), part=member.name):
            scanner.feed(piece)
            disguised.feed(piece)
            if disguised.stats.cells:
                raise CorruptFileError(
                    f"the workbook is damaged: {member.name!r} holds cells although it is the shared-strings table"
                )
            if scanner.count > limits.max_shared_strings:
                raise limits.exceeded("max_shared_strings", f"the workbook's shared-strings table has more than "
                                                            f"{limits.max_shared_strings:,} entries")
        found = scanner.bounds().lengths
        if len(found) > len(best.lengths):
            found, best.lengths = best.lengths, found
        for index, length in enumerate(found):
            best.lengths[index] = max(best.lengths[index], length)
    return best


def _sheet_entries(texts: dict[str, bytes]) -> list[SheetEntry]:
    """The sheets of ``xl/workbook.xml`` and their parts by calamine's rule ("xl/" + target unless given)."""
    workbook, relations = texts.get("xl/workbook.xml"), texts.get("xl/_rels/workbook.xml.rels")
    if not workbook:
        return []
    try:
        targets = {
            item.get("Id", ""): item.get("Target", "")
            for item in (fromstring(relations).iter(_PACKAGE_RELATIONSHIP) if relations else ())
        }
        entries = []
        for sheet in fromstring(workbook).iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(_RELATIONSHIP_ID, ""), "")
            part = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
            entries.append(SheetEntry(name=sheet.get("name", ""), part=part,
                                      visible=sheet.get("state", "visible") == "visible"))
    except (SyntaxError, ValueError) as error:
        raise CorruptFileError(f"the workbook is damaged: its list of sheets cannot be read ({error})") from error
    return entries


def _predicted_part(sheets: list[SheetEntry], *, wanted: str | None) -> str | None:
    """The part of the sheet the import will read, as ``spreadsheet.choose_sheet`` picks it."""
    for sheet in sheets:
        if wanted and sheet.name.strip().casefold() == wanted.strip().casefold():
            return sheet.part
    if wanted:
        return None
    return next((sheet.part for sheet in sheets if sheet.visible and sheet.part.split("/")[1:2] == ["worksheets"]),
                None)


def check_sheet_stats(stats: SheetStats, *, sheet: str, limits: ReadLimits) -> None:
    """Fail when one XLSX sheet (as measured so far) passes a sheet limit."""
    if stats.rows > limits.max_rows:
        raise limits.exceeded("max_rows", f"sheet {sheet!r} uses rows up to row {stats.rows:,}", sheet=sheet)
    if stats.columns > limits.max_columns:
        raise limits.exceeded("max_columns", f"sheet {sheet!r} uses {stats.columns:,} columns", sheet=sheet)
    if stats.rectangle > limits.max_cells:
        raise limits.exceeded(
            "max_cells",
            f"sheet {sheet!r} spans {stats.rows:,} rows x {stats.columns:,} columns ({stats.rectangle:,} cells)",
            sheet=sheet,
        )
    if stats.text_bytes > limits.max_text_bytes:
        raise limits.exceeded(
            "max_text_bytes", f"the cells of sheet {sheet!r} copy {stats.text_bytes >> 20:,} MiB of shared text",
            sheet=sheet,
        )
    if stats.merged_ranges > limits.max_merged_ranges:
        raise limits.exceeded(
            "max_merged_ranges", f"sheet {sheet!r} has {stats.merged_ranges:,} merged ranges", sheet=sheet
        )
    if stats.row_tags > limits.max_rows:
        raise limits.exceeded("max_rows", f"sheet {sheet!r} has {stats.row_tags:,} row elements", sheet=sheet)


# --- ODS -------------------------------------------------------------------------------------------


def _scan_ods(package: ZipContainer, *, limits: ReadLimits) -> WorkbookScan:
    content = package.member("content.xml")
    for member in package.members:
        if member is content:
            scanner = ContentScanner()
            for found in scanner.scan(package.chunks(member), part=member.name):
                _check_ods(found, limits=limits)
        elif member.name.lower().endswith(_XML_SUFFIXES):
            _drain(piece.data for piece in xml_pieces(package.chunks(member), part=member.name))
        else:
            _drain(package.chunks(member))
    return WorkbookScan(limits=limits, kind=FileKind.ODS)


def _check_ods(scanner: ContentScanner, *, limits: ReadLimits) -> None:
    if len(scanner.tables) > limits.max_sheets:
        raise limits.exceeded("max_sheets", f"the workbook has more than {limits.max_sheets:,} sheets")
    for sheet in scanner.tables:
        if sheet.rows > limits.max_rows:
            raise limits.exceeded("max_rows", f"sheet {sheet.name!r} uses rows up to row {sheet.rows:,}",
                                  sheet=sheet.name)
    table = scanner.tables[-1] if scanner.tables else None
    if scanner.cells > limits.max_cells:
        where = f" (sheet {table.name!r}: {table.cells:,})" if table is not None else ""
        raise limits.exceeded(
            "max_cells", f"the workbook's sheets, all loaded together, hold {scanner.cells:,} cells{where}",
            sheet=table.name if table is not None else None,
        )
    if scanner.text_bytes > limits.max_text_bytes:
        raise limits.exceeded(
            "max_text_bytes", f"the workbook's repeated cells copy {scanner.text_bytes >> 20:,} MiB of text"
        )
